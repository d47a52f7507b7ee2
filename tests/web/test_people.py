"""The People page over real HTTP: find a person by e-mail (through its HMAC), person id or user id; their timeline."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from conftest import build_story, buy, visit
from markupsafe import escape

from jejak.core.pii import hmac_hex, normalise_email, normalise_phone
from jejak.segments.stages import current_stages
from jejak.service.builds import open_build, persona_assignments
from jejak.store.derived import table_path
from jejak.store.project import Project
from jejak.synth.catalogue import SHOP_PHONE
from jejak.web.auth import add_user
from web.conftest import PASSWORD, USER, Dashboard, serving


def _table(project: Project, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(table_path(project, name)).to_pylist()
    return rows


def _person_of(project: Project, node: str) -> str:
    [person] = [row["person_id"] for row in _table(project, "identities") if row["node"] == node]
    return str(person)


def _identify_with_email(project: Project) -> dict[str, Any]:
    """The first identify call of the demo's web app that carries an e-mail and a user id (from the raw file)."""
    raw = project.root.parent / "raw" / "web_app.jsonl"
    with raw.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if '"identify"' not in line:
                continue
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if message.get("userId") and (message.get("traits") or {}).get("email"):
                    return dict(message)
    raise AssertionError(f"no identify call with an e-mail in {raw}")


@pytest.fixture(scope="module")
def known(dashboard: Dashboard) -> dict[str, Any]:
    """An e-mail and user id from the demo's raw data, and the person the build made of them."""
    message = _identify_with_email(dashboard.project)
    email = message["traits"]["email"]
    node = "3e:" + hmac_hex(dashboard.project.hmac_key(), str(normalise_email(email)))
    return {"email": email, "user_id": message["userId"], "person": _person_of(dashboard.project, node)}


def test_an_email_finds_its_person_through_the_hmac(dashboard: Dashboard, known: dict[str, Any]) -> None:
    typed = f"  {known['email'].upper()} "  # as a person would type it: other case, stray spaces
    with dashboard.logged_in() as client:
        data = client.get("/people.json", params={"q": typed}).json()
        page = client.get("/people", params={"q": typed})
    assert [(row["person_id"], row["matched_by"]) for row in data["sections"]["matches"]] == [
        (known["person"], "e-mail")
    ]
    # One person: the page opens their profile straight away.
    assert data["sections"]["profile"][0]["person_id"] == known["person"]
    assert f'data-person="{escape(known["person"])}"' in page.text
    # The e-mail is never stored: nothing but the search box shows what was typed.
    assert page.text.lower().count(known["email"].lower()) == 1


def test_a_person_id_and_a_user_id_find_the_same_person(dashboard: Dashboard, known: dict[str, Any]) -> None:
    with dashboard.logged_in() as client:
        by_id = client.get("/people.json", params={"q": known["person"]}).json()
        by_user = client.get("/people.json", params={"q": known["user_id"]}).json()
    assert [row["matched_by"] for row in by_id["sections"]["matches"]] == ["person id"]
    assert by_id["sections"]["profile"][0]["person_id"] == known["person"]
    assert _person_of(dashboard.project, "1u:" + known["user_id"]) == known["person"]
    assert [(row["person_id"], row["matched_by"]) for row in by_user["sections"]["matches"]] == [
        (known["person"], "user id")
    ]


def test_the_timeline_has_every_event_of_the_person_in_time_order(dashboard: Dashboard) -> None:
    people = _table(dashboard.project, "people")
    busiest = max(people, key=lambda row: (row["events"], row["person_id"]))
    person = busiest["person_id"]
    with dashboard.logged_in() as client:
        data = client.get("/people.json", params={"person": person}).json()
        page = client.get("/people", params={"person": person})
    timeline = data["sections"]["timeline"]
    assert len(timeline) == busiest["events"] == data["sections"]["profile"][0]["events"]
    assert [row["timestamp"] for row in timeline] == sorted(row["timestamp"] for row in timeline)
    # Every interaction of the build is there, with the build's channel; the rest are identity calls.
    interactions = {row["event_id"]: row for row in _table(dashboard.project, "events") if row["person_id"] == person}
    shown = {row["event_id"]: row for row in timeline}
    assert set(interactions) <= set(shown)
    assert all(shown[event_id]["channel"] == row["channel"] for event_id, row in interactions.items())
    assert {row["type"] for row in timeline if row["event_id"] not in interactions} <= {"identify", "alias", "group"}
    assert page.text.count('<tr class="event"') == len(timeline)
    assert 'data-section="timeline"' in page.text


def test_the_profile_has_the_builds_stage_persona_and_conversions(dashboard: Dashboard) -> None:
    conversions = _table(dashboard.project, "conversions")
    buyer = max(conversions, key=lambda row: (row["revenue"] or 0, row["person_id"]))["person_id"]
    with dashboard.logged_in() as client:
        data = client.get("/people.json", params={"person": buyer}).json()
    profile = data["sections"]["profile"][0]
    bought = [row for row in conversions if row["person_id"] == buyer]
    assert profile["conversions"] == len(bought) == len(data["sections"]["person_conversions"])
    assert profile["revenue"] == pytest.approx(sum(row["revenue"] or 0 for row in bought))
    # The revenue says what it is in, on the page too (the timeline's rows did; the profile's total did not).
    currencies = sorted({row["currency"] for row in bought})
    assert profile["currency"] == ", ".join(currencies) and currencies
    with dashboard.logged_in() as client:
        page = client.get("/people", params={"person": buyer}).text
    shown = re.search(r'<dd data-field="revenue">([^<]*)</dd>', page)
    assert shown is not None and shown.group(1).endswith(f" {profile['currency']}"), shown
    milestones = [row for row in _table(dashboard.project, "person_stages") if row["person_id"] == buyer]
    assert sorted(row["stage"] for row in data["sections"]["stage_history"]) == sorted(
        row["stage"] for row in milestones
    )
    with open_build(dashboard.project) as built:
        stages = built.read("person_stages")
        [now] = built.rows(current_stages(stages.filter(stages.person_id == buyer)))
        assigned = persona_assignments(built)
        [persona] = built.rows(assigned.filter(assigned.person_id == buyer))
    assert profile["current_stage"] == now["current_stage"]
    assert profile["persona"] == persona["persona"]


def test_a_shared_phone_says_it_joins_nobody(dashboard: Dashboard) -> None:
    node = "4p:" + hmac_hex(dashboard.project.hmac_key(), str(normalise_phone(SHOP_PHONE)))
    shared = {row["node"]: row["user_ids"] for row in _table(dashboard.project, "shared_identifiers")}
    assert node in shared, "the demo's shop phone is typed for many members"
    with dashboard.logged_in() as client:
        data = client.get("/people.json", params={"q": SHOP_PHONE}).json()
    [match] = [row for row in data["sections"]["matches"] if row["person_id"] is None]
    assert f"shared by {shared[node]} user ids" in match["matched_by"]


def test_the_blank_page_lists_the_people_seen_last(dashboard: Dashboard) -> None:
    people = _table(dashboard.project, "people")
    with dashboard.logged_in() as client:
        data = client.get("/people.json").json()
        page = client.get("/people")
    recent = data["sections"]["recently_seen"]
    latest = max(row["last_seen_at"] for row in people)
    assert recent and recent[0]["last_seen_at"] == latest.isoformat(sep=" ")
    assert all(f'data-person="{escape(row["person_id"])}"' in page.text for row in recent)
    # The page shows when on the shop's clock (the timezone setting, WIB); the JSON twin keeps UTC.
    on_the_shops_clock = latest.astimezone(ZoneInfo(dashboard.project.settings.timezone))
    assert f'<td class="text">{on_the_shops_clock:%Y-%m-%d %H:%M:%S} WIB</td>' in page.text
    assert "+00:00" not in page.text


def test_an_unknown_identifier_finds_nobody(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        data = client.get("/people.json", params={"q": "nobody@nowhere.example"}).json()
        page = client.get("/people", params={"q": "nobody@nowhere.example"})
        stranger = client.get("/people", params={"person": "u:no-such-person"})
        too_long = client.get("/people.json", params={"q": "x" * 400})
    assert data["sections"]["matches"] == [] and data["found"] is False
    assert 'id="nothing-found"' in page.text and 'data-section="timeline"' not in page.text
    assert stranger.status_code == 200 and 'id="unknown-person"' in stranger.text
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "bad_setting"


SCRIPT = "<script>alert('jejak')</script>"
IMAGE = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def risky(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A project whose events carry markup in their properties, traits and names, with its own dashboard."""
    story = {
        "ana": [
            visit("2026-03-01 09:00", "Direct", properties=json.dumps({"note": SCRIPT})),
            {"at": "2026-03-01 09:01", "type": "identify", "traits": json.dumps({"name": IMAGE})},
            buy("2026-03-01 09:05", 150_000, event=f"Order {SCRIPT}"),
        ],
        # Budi visits once; a week later he answers the survey by e-mail (a session, but no visit).
        "budi": [
            visit("2026-03-01 10:00", "Paid Search"),
            {"at": "2026-03-08 08:00", "type": "track", "event": "Survey Answered"},
        ],
    }
    built = build_story(tmp_path_factory.mktemp("risky"), story)
    add_user(built.project.sqlite_path, USER, PASSWORD, admin=True)
    for url in serving(built.project):
        yield Dashboard(built.project, url)


def test_markup_in_the_data_is_shown_escaped(risky: Dashboard) -> None:
    with risky.logged_in() as client:
        page = client.get("/people", params={"q": "ana"})
        data = client.get("/people.json", params={"person": "u:ana"}).json()
    timeline = data["sections"]["timeline"]
    assert len(timeline) == 3
    assert json.loads(timeline[0]["properties"])["note"] == SCRIPT
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert str(escape(SCRIPT)) in page.text
    assert str(escape(json.dumps({"name": IMAGE}, separators=(",", ":")))) in page.text
    # The only scripts are the dashboard's own files.
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/static/plotly.min.js" defer>',
        '<script src="/static/app.js" defer>',
    ]


def test_the_profile_counts_visits_not_sessions(risky: Dashboard) -> None:
    with risky.logged_in() as client:
        data = client.get("/people.json", params={"person": "u:budi"}).json()
    [profile] = data["sections"]["profile"]
    sessions = {row["session_id"] for row in data["sections"]["timeline"]}
    assert (len(sessions), profile["sessions"]) == (2, 1)


def test_the_people_page_is_in_indonesian_too(risky: Dashboard) -> None:
    with risky.logged_in() as client:
        page = client.get("/people", params={"person": "u:ana", "lang": "id"})
    assert "Linimasa lintas saluran" in page.text and "Cari orang" in page.text
