"""A session that begins with an event that is no visit from a channel is no touchpoint.

A survey answered through a Google Form, imported from the form's file, has no source, referrer or page: as a
session of its own it was a Direct touch, and the person's next purchase path read `Direct > Paid Search`, crediting
Direct with half of a purchase (all of it under first touch) it never saw. The same held for an order's refund or
shipping update imported from its own file, and for a server's identify call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Built, build_story, buy, visit

from jejak.analytics.bounce import bounce
from jejak.analytics.summary import activity, by_day, headline
from jejak.segments.features import person_features

SURVEY = "Survey Answered"


def _answer(at: str, **more: Any) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": SURVEY, **more}


STORY: dict[str, list[dict[str, Any]]] = {
    # Hana buys from an Instagram ad, answers the survey by e-mail two days later, is identified by the shop's
    # server, and buys again from a search ad: her second path is the search ad alone.
    "hana": [
        visit("2026-03-01 09:00", "Paid Social"),
        buy("2026-03-01 09:05", 100000),
        _answer("2026-03-03 19:00"),
        {"at": "2026-03-05 03:00", "type": "identify"},
        visit("2026-03-10 10:00", "Paid Search"),
        buy("2026-03-10 10:05", 120000),
    ],
    # Indra answers inside a visit that an e-mail opened: that visit is a touch, as any other.
    "indra": [
        visit("2026-03-02 19:00", "Email"),
        _answer("2026-03-02 19:04"),
        visit("2026-03-05 10:00", "Organic Search"),
        buy("2026-03-05 10:05", 90000),
    ],
    # Joko's answers were imported with their channel given (--set channel=WhatsApp): it says where, so it touches.
    "joko": [
        _answer("2026-03-02 10:00", channel="WhatsApp"),
        visit("2026-03-06 10:00", "Paid Search"),
        buy("2026-03-06 10:05", 80000),
    ],
    # Lala's parcel is shipped (the shop's shipping file), and ten minutes later she comes from a Google search (a
    # referrer, no campaign tags) and buys: that visit is her session's touch, though the shipping update opened the
    # session. (A link with tags, an e-mail's, would start a session of its own: `test_sessions`.)
    "lala": [
        visit("2026-03-01 08:00", "Paid Search"),
        buy("2026-03-01 08:05", 50000),
        {"at": "2026-03-03 10:00", "type": "track", "event": "Order Shipped"},
        {"at": "2026-03-03 10:01", "type": "identify"},
        {"at": "2026-03-03 10:10", "type": "page", "referrer": "https://www.google.com/"},
        buy("2026-03-03 10:15", 65000),
    ],
    # Kiki's refund came from the shop's refunds file, saying nothing of where: no touch on her next path.
    "kiki": [
        visit("2026-03-01 11:00", "Referral"),
        buy("2026-03-01 11:05", 70000),
        {"at": "2026-03-04 15:00", "type": "track", "event": "Order Refunded", "revenue": -70000},
        visit("2026-03-08 11:00", "Organic Social"),
        buy("2026-03-08 11:05", 60000),
    ],
    # Mira is identified by the shop's server and answers the survey by e-mail, and five minutes later arrives from an
    # Instagram ad: her first contact is the ad's visit (a session of its own, as it arrives from the ad), not the
    # answer.
    "mira": [
        {"at": "2026-03-04 20:00", "type": "identify"},
        _answer("2026-03-04 20:01"),
        visit("2026-03-04 20:05", "Paid Social"),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("no-visit"), STORY)


def _paths(built: Built, person: str) -> list[list[str]]:
    return [journey["path"] for journey in built.journeys_of(built.user(person))]


def test_a_session_that_is_no_visit_is_on_no_path(built: Built) -> None:
    assert _paths(built, "hana") == [["Paid Social"], ["Paid Search"]]
    assert _paths(built, "kiki") == [["Referral"], ["Organic Social"]]
    # Inside a visit, or with its channel given, an answer changes nothing.
    assert _paths(built, "indra") == [["Email", "Organic Search"]]
    assert _paths(built, "joko") == [["WhatsApp", "Paid Search"]]


def test_a_visit_that_follows_in_the_same_session_is_its_touch(built: Built) -> None:
    lala = built.user("lala")
    assert _paths(built, "lala") == [["Paid Search"], ["Organic Search"]]
    [_, shipped] = built.sessions_of(lala)
    assert (shipped["channel"], shipped["visit"], shipped["events"]) == ("Organic Search", True, 4)
    [touch] = [row for row in built.rows("touchpoints") if row["session_id"] == shipped["session_id"]]
    assert touch["event"] == "Page Viewed" and touch["timestamp"] > shipped["started_at"]
    second = next(row for row in built.rows("conversions") if row["person_id"] == lala and row["revenue"] == 65000)
    assert second["session_channel"] == "Organic Search"


def test_the_visit_not_the_session_start_is_the_arrival(built: Built) -> None:
    # The stage rule for arrivals from ads reads the visit's start: the answer that opened the session is in no stage,
    # and the identify call before it is no interaction at all.
    mira = built.user("mira")
    stream = sorted((row for row in built.rows("events") if row["person_id"] == mira), key=lambda row: row["position"])
    assert [(row["event"], row["is_visit_start"], row["stage"]) for row in stream] == [
        (SURVEY, False, None),
        ("Page Viewed", True, "Awareness"),
    ]
    assert [row["stage"] for row in built.rows("person_stages") if row["person_id"] == mira] == ["Awareness"]


def test_such_a_session_is_kept_unassigned_and_its_events_too(built: Built) -> None:
    hana = built.user("hana")
    sessions = built.sessions_of(hana)
    assert [row["channel"] for row in sessions] == ["Paid Social", "Unassigned", "Unassigned", "Paid Search"]
    assert sum(row["events"] for row in sessions) == len(STORY["hana"])  # every event in a session, as before
    touched = {row["session_id"] for row in built.rows("touchpoints") if row["person_id"] == hana}
    assert touched == {sessions[0]["session_id"], sessions[3]["session_id"]}
    answer = next(row for row in built.rows("events") if row["person_id"] == hana and row["event"] == SURVEY)
    assert answer["channel"] == "Unassigned"


def test_the_setting_names_the_events(tmp_path: Path) -> None:
    # With no such events named, Hana's answer is a Direct visit again; her identify call still is no visit.
    again = build_story(tmp_path, {"hana": STORY["hana"]}, settings={"non_touch_events": []})
    assert _paths(again, "hana") == [["Paid Social"], ["Direct", "Paid Search"]]


def test_an_email_tools_events_are_email_touches_or_none(tmp_path: Path) -> None:
    # Nina's and Oki's e-mail tool sends its own events (Segment's e-mail spec, or the words some tools use), with no
    # utm_medium=email. An open or a click is an Email touch; a delivery, a bounce, a spam complaint and an unsubscribe
    # are no touch. Before, each was a Direct touch: Nina's path read `Direct > Direct > Organic Search`.
    story: dict[str, list[dict[str, Any]]] = {
        "nina": [
            {"at": "2026-03-02 08:00", "type": "track", "event": "Email Delivered"},
            {"at": "2026-03-03 19:00", "type": "track", "event": "Email Opened"},
            visit("2026-03-06 10:00", "Organic Search"),
            buy("2026-03-06 10:05", 90000),
            {"at": "2026-03-08 08:00", "type": "track", "event": "Email Marked as Spam"},
            {"at": "2026-03-09 08:00", "type": "track", "event": "Unsubscribed"},
            {"at": "2026-03-10 08:00", "type": "track", "event": "Email Bounced"},
        ],
        # Oki clicks the e-mail's link and lands on the shop a minute later: the visit's page says nothing of where,
        # and the click that opened the session is its touch.
        "oki": [
            {"at": "2026-03-04 12:00", "type": "track", "event": "Clicked Email"},
            visit("2026-03-04 12:01"),
            buy("2026-03-04 12:05", 50000),
        ],
    }
    built = build_story(tmp_path, story)
    assert _paths(built, "nina") == [["Email", "Organic Search"]]
    assert _paths(built, "oki") == [["Email"]]
    nina = built.sessions_of(built.user("nina"))
    assert [(row["channel"], row["visit"]) for row in nina] == [
        ("Unassigned", False),
        ("Email", True),
        ("Organic Search", True),
        ("Unassigned", False),
        ("Unassigned", False),
        ("Unassigned", False),
    ]


def test_reports_count_visits_only(built: Built) -> None:
    # Hana's answer and identify call are sessions in the table (so sessions partition her events), but no visits: a
    # customer list's identify calls would otherwise add a session to each customer, and an Unassigned bounce. So
    # are Kiki's refund, and Mira's identify call and answer (the ad's visit after them arrives from elsewhere).
    visits = [row for row in built.rows("sessions") if row["visit"]]
    assert len(visits) == len(built.rows("touchpoints")) == len(built.rows("sessions")) - 4
    assert {row["channel"] for row in built.rows("sessions") if not row["visit"]} == {"Unassigned"}
    [top] = built.report(lambda read: headline(read("people"), read("sessions"), read("journeys")))
    assert top["sessions"] == len(visits)
    [period] = built.report(lambda read: activity(read("sessions"), read("conversions"), read("journeys")))
    assert period["sessions"] == len(visits)
    days = built.report(lambda read: by_day(read("sessions"), read("conversions"), "Asia/Jakarta"))
    assert sum(row["sessions"] for row in days) == len(visits)
    bounced = built.report(lambda read: bounce(read("sessions"), by="channel"))
    assert "Unassigned" not in {row["channel"] for row in bounced}
    features = built.report(lambda read: person_features(read("people"), read("sessions"), read("conversions")))
    hana = next(row for row in features if row["person_id"] == built.user("hana"))
    assert hana["sessions"] == 2
    assert hana["share_social"] == hana["share_search"] == pytest.approx(0.5)  # no share of "other" channels
