"""Sessions: a person's events cut at every gap over 30 minutes, at 24 hours, and around offline touchpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from conftest import Built, build_story, jakarta
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine import Engine, connect
from jejak.journeys.sessions import journey_marks, sessionize, with_session_ids


def every_ten_minutes(hours: int, start: str) -> list[dict[str, Any]]:
    first = dt.datetime.fromisoformat(start)
    return [
        {"at": (first + dt.timedelta(minutes=10 * step)).isoformat(sep=" "), "type": "page"}
        for step in range(hours * 6 + 1)
    ]


STORY: dict[str, list[dict[str, Any]]] = {
    # Exactly 30:00 apart: still one visit.
    "tepat": [{"at": "2026-03-01 09:00:00", "type": "page"}, {"at": "2026-03-01 09:30:00", "type": "page"}],
    # 30:01 apart: two visits.
    "lewat": [{"at": "2026-03-01 09:00:00", "type": "page"}, {"at": "2026-03-01 09:30:01", "type": "page"}],
    # Times are compared to the whole second: 09:00:00.4 and 09:30:00.6 are 1800 whole seconds apart.
    "pecahan": [{"at": "2026-03-01 09:00:00.4", "type": "page"}, {"at": "2026-03-01 09:30:00.6", "type": "page"}],
    # A kiosk that never sleeps: a page view every 10 minutes for 30 hours (181 events).
    "kios": every_ten_minutes(30, "2026-03-02 00:00:00"),
    # Online, a store visit in the middle, online again: the store visit is its own session and splits the run.
    "toko": [
        {"at": "2026-03-03 10:00", "type": "page"},
        {"at": "2026-03-03 10:05", "type": "offline", "event": "store_visit"},
        {"at": "2026-03-03 10:10", "type": "page"},
        {"at": "2026-03-03 10:15", "type": "page"},
        {"at": "2026-03-03 18:00", "type": "offline", "event": "store_visit"},
        {"at": "2026-03-03 18:01", "type": "offline", "event": "call_centre"},
    ],
    # A purchase inside a visit.
    "beli": [
        {"at": "2026-03-04 20:00", "type": "page"},
        {"at": "2026-03-04 20:04", "type": "page"},
        {"at": "2026-03-04 20:09", "event": "Order Completed", "revenue": "185000"},
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("sessions"), STORY)


def shape(built: Built, person: str) -> list[int]:
    return [s["events"] for s in built.sessions_of(f"u:{person}")]


def test_events_exactly_at_the_gap_stay_in_one_session(built: Built) -> None:
    [session] = built.sessions_of("u:tepat")
    assert session["events"] == 2
    assert session["duration_seconds"] == 1800


def test_one_second_over_the_gap_starts_a_new_session(built: Built) -> None:
    assert shape(built, "lewat") == [1, 1]


def test_the_gap_is_measured_in_whole_seconds(built: Built) -> None:
    assert shape(built, "pecahan") == [2]


def test_a_run_longer_than_the_cap_is_cut_at_run_start_plus_24_hours(built: Built) -> None:
    sessions = built.sessions_of("u:kios")
    # Events at minute 0, 10, … 1800: minutes 0–1430 (144 events) fall before the 24 h mark, 1440–1800 (37) after.
    assert [s["events"] for s in sessions] == [144, 37]
    assert sessions[0]["started_at"] == jakarta("2026-03-02 00:00")
    assert sessions[0]["ended_at"] == jakarta("2026-03-02 23:50")
    assert sessions[1]["started_at"] == jakarta("2026-03-03 00:00")
    assert all(s["duration_seconds"] <= 24 * 3600 for s in sessions)


def test_an_offline_touchpoint_is_a_session_of_its_own_and_splits_the_run(built: Built) -> None:
    sessions = built.sessions_of("u:toko")
    assert [s["events"] for s in sessions] == [1, 1, 2, 1, 1]
    assert [s["touchpoint"] for s in sessions] == ["online", "offline", "online", "offline", "offline"]
    assert sessions[1]["channel"] == "Offline Store"
    assert sessions[4]["channel"] == "Call Centre"


def test_a_session_counts_its_views_conversions_and_revenue(built: Built) -> None:
    [session] = built.sessions_of("u:beli")
    assert (session["events"], session["page_views"], session["conversions"]) == (3, 2, 1)
    assert session["revenue"] == 185000.0
    assert session["duration_seconds"] == 9 * 60
    assert session["channel"] == "Direct"


def test_sessions_hold_every_event_once(built: Built) -> None:
    assert sum(s["events"] for s in built.rows("sessions")) == sum(len(events) for events in STORY.values())
    ids = [s["session_id"] for s in built.rows("sessions")]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(t["session_id"] for t in built.rows("touchpoints"))


def test_the_gap_and_the_cap_are_settings(tmp_path: Path) -> None:
    story = {
        # With a 10-minute gap: 10:00 apart stays together, 10:01 apart splits.
        "singkat": [
            {"at": "2026-03-01 09:00:00", "type": "page"},
            {"at": "2026-03-01 09:10:00", "type": "page"},
            {"at": "2026-03-01 09:20:01", "type": "page"},
        ],
        # With a one-hour cap: a page every 10 minutes from 12:00 to 14:20 is cut at 13:00 and 14:00 (6, 6, 3 events).
        "lama": [{**event} for event in every_ten_minutes(2, "2026-03-01 12:00:00")]
        + [{"at": "2026-03-01 14:10:00", "type": "page"}, {"at": "2026-03-01 14:20:00", "type": "page"}],
    }
    built = build_story(tmp_path, story, settings={"session_gap_seconds": 600, "session_max_seconds": 3600})
    assert shape(built, "singkat") == [2, 1]
    assert shape(built, "lama") == [6, 6, 3]
    assert [s["started_at"] for s in built.sessions_of("u:lama")] == [
        jakarta("2026-03-01 12:00"),
        jakarta("2026-03-01 13:00"),
        jakarta("2026-03-01 14:00"),
    ]


# A new arrival inside a visit: another campaign's ad clicked, a chat begun, an order on a marketplace.
ARRIVALS: dict[str, list[dict[str, Any]]] = {
    # An Instagram ad, two pages, then a Google ad ten minutes in: two visits, two touches.
    "iklan": [
        {"at": "2026-03-05 10:00", "type": "page", "source": "instagram", "medium": "paid_social", "campaign": "gayo"},
        {"at": "2026-03-05 10:03", "type": "page"},
        {"at": "2026-03-05 10:06", "type": "page"},
        {"at": "2026-03-05 10:10", "type": "page", "source": "google", "medium": "cpc", "campaign": "gayo"},
        {"at": "2026-03-05 10:12", "type": "page"},
    ],
    # The landing page seen again (reloaded, or back to it), its tags written otherwise: still the one visit.
    "muat": [
        {"at": "2026-03-05 11:00", "type": "page", "source": "instagram", "medium": "paid_social", "campaign": "gayo"},
        {"at": "2026-03-05 11:02", "type": "page"},
        {"at": "2026-03-05 11:04", "type": "page", "source": "Instagram", "medium": "paid_social", "campaign": "gayo"},
    ],
    # A visit with no tags (Direct), then a WhatsApp chat five minutes later, then its link's page: the chat starts a
    # visit of its own, and the page from its link (no tags) belongs to it.
    "obrolan": [
        {"at": "2026-03-05 12:00", "type": "page"},
        {"at": "2026-03-05 12:05", "event": "wa_chat", "source": "whatsapp", "medium": "chat"},
        {"at": "2026-03-05 12:07", "type": "page", "referrer": "https://wa.me/628123456789"},
    ],
    # Browsing the shop's site, then the order placed on Tokopedia (its file's channel) fifteen minutes later.
    "pasar": [
        {"at": "2026-03-05 13:00", "type": "page", "source": "google", "medium": "organic"},
        {"at": "2026-03-05 13:15", "event": "Order Completed", "revenue": "90000", "channel": "Marketplace"},
    ],
}


@pytest.fixture(scope="module")
def arrivals(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("arrivals"), ARRIVALS)


def test_a_new_campaign_inside_a_visit_starts_a_session_and_a_touch(arrivals: Built) -> None:
    assert shape(arrivals, "iklan") == [3, 2]
    touches = sorted(
        (t for t in arrivals.rows("touchpoints") if t["person_id"] == "u:iklan"), key=lambda t: t["timestamp"]
    )
    assert [(t["source"], t["channel"]) for t in touches] == [("instagram", "Paid Social"), ("google", "Paid Search")]


def test_the_same_campaign_again_and_pages_without_tags_do_not_cut(arrivals: Built) -> None:
    assert shape(arrivals, "muat") == [3]


def test_a_chat_or_a_marketplace_order_inside_a_visit_is_a_visit_of_its_own(arrivals: Built) -> None:
    assert shape(arrivals, "obrolan") == [1, 2]
    assert [s["channel"] for s in arrivals.sessions_of("u:obrolan")] == ["Direct", "WhatsApp"]
    assert shape(arrivals, "pasar") == [1, 1]
    [order] = [c for c in arrivals.rows("conversions") if c["person_id"] == "u:pasar"]
    assert order["session_channel"] == "Marketplace"


def test_splitting_at_a_new_source_is_a_setting(tmp_path: Path) -> None:
    built = build_story(tmp_path, ARRIVALS, settings={"session_split_at_new_source": False})
    assert [shape(built, person) for person in ARRIVALS] == [[5], [3], [3], [2]]


# --- property: sessions partition each person's events ---------------------------------------------------

BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("person_id", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("type", pa.string()),
        ("event", pa.string()),
        ("touchpoint", pa.string()),
        ("revenue", pa.float64()),
        ("currency", pa.string()),
        ("arrival", pa.string()),
    ]
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = connect()
    yield engine
    engine.close()


@st.composite
def stories(draw: st.DrawFn) -> tuple[list[tuple[str, int, str, bool, str | None]], int, int]:
    """Random people's events, with many steps right at the gap (±1 s, with sub-second parts), some of them arriving
    from somewhere (`a`, `b`: a campaign's tags, a chat)."""
    gap_seconds = draw(st.sampled_from([1, 60, 600, 1800]))
    max_seconds = draw(st.sampled_from([60, 1800, 3600, 86400]))
    events: list[tuple[str, int, str, bool, str | None]] = []
    for person in draw(st.lists(st.sampled_from(["ana", "budi", "cici"]), min_size=1, max_size=3, unique=True)):
        clock_micros = draw(st.integers(0, 3600 * 1_000_000))
        for _ in range(draw(st.integers(1, 12))):
            step = draw(st.one_of(st.integers(0, 2 * gap_seconds), st.sampled_from([gap_seconds - 1, gap_seconds])))
            fraction = draw(st.one_of(st.sampled_from([-600_000, 0, 400_000, 600_000]), st.integers(-999_999, 999_999)))
            clock_micros += step * 1_000_000 + fraction
            clock_micros = max(clock_micros, 0)
            touchpoint = draw(st.sampled_from(["online", "online", "offline"]))
            came_from = draw(st.sampled_from([None, None, "a", "b"]))
            events.append((person, clock_micros, touchpoint, draw(st.booleans()), came_from))
    return events, gap_seconds, max_seconds


# Arrivals numbered as the pipeline gives them (`arrivals_by_channel`), in the order of their texts.
NUMBERED = {"a": 0, "b": 1}


@pytest.mark.parametrize("numbered", [False, True], ids=["texts", "numbers"])
@settings(max_examples=40, deadline=None)
@given(story=stories())
def test_sessions_partition_each_persons_events(
    engine: Engine, story: tuple[list[tuple[str, int, str, bool, str | None]], int, int], numbered: bool
) -> None:
    events, gap_seconds, max_seconds = story
    rows = [
        {
            "event_id": f"e{index:03d}",
            "person_id": person,
            "timestamp": BASE + dt.timedelta(microseconds=micros),
            "type": "offline" if touchpoint == "offline" else "page",
            "event": "Order Completed" if converts else "Page Viewed",
            "touchpoint": touchpoint,
            "revenue": 10.0 if converts else None,
            "currency": "IDR",
            "arrival": came_from,
        }
        for index, (person, micros, touchpoint, converts, came_from) in enumerate(events)
    ]
    came_from = {row["event_id"]: row["arrival"] for row in rows}
    schema = SCHEMA
    if numbered:
        rows = [{**row, "arrival": NUMBERED.get(row["arrival"] or "")} for row in rows]
        schema = SCHEMA.set(SCHEMA.get_field_index("arrival"), pa.field("arrival", pa.int64()))
    table = ibis.memtable(pa.Table.from_pylist(rows, schema=schema))
    result = sessionize(table, gap_seconds=gap_seconds, max_seconds=max_seconds, conversion_events=["Order Completed"])
    out = engine.to_pyarrow(with_session_ids(result)).to_pylist()
    marks = {row["event_id"]: row for row in engine.to_pyarrow(journey_marks(result)).to_pylist()}

    # Every event is in exactly one session.
    assert sorted(row["event_id"] for row in out) == sorted(row["event_id"] for row in rows)
    assert all(row["session_id"] for row in out)

    for person in {row["person_id"] for row in rows}:
        mine = sorted((r for r in out if r["person_id"] == person), key=lambda r: (r["timestamp"], r["event_id"]))
        seconds = [int(r["timestamp"].timestamp() // 1) for r in mine]  # whole seconds
        sessions = [r["session_id"] for r in mine]
        # Sessions are contiguous runs of the person's events, and each starts exactly once.
        runs = [s for i, s in enumerate(sessions) if i == 0 or sessions[i - 1] != s]
        assert len(runs) == len(set(runs)), "a session is interleaved with another"
        assert all(r["session_id"].startswith(person + "#") for r in mine)
        assert [r["is_session_start"] for r in mine] == [
            i == 0 or sessions[i - 1] != sessions[i] for i in range(len(mine))
        ]
        run_start = seconds[0]
        for i in range(1, len(mine)):
            apart = seconds[i] - seconds[i - 1]
            offline = mine[i]["touchpoint"] == "offline" or mine[i - 1]["touchpoint"] == "offline"
            # The person's last arrival before: the latest earlier one to the second (two in one second: the larger).
            arrived = [came_from[row["event_id"]] for row in mine[: i + 1]]
            earlier = [(seconds[j], where) for j, where in enumerate(arrived[:i]) if where is not None]
            last = max(earlier)[1] if earlier else None
            new_source = arrived[i] is not None and arrived[i] != last
            new_run = apart > gap_seconds or offline or new_source
            if new_run:
                run_start = seconds[i]
            capped = (seconds[i] - run_start) // max_seconds != (seconds[i - 1] - run_start) // max_seconds
            if sessions[i] == sessions[i - 1]:
                assert apart <= gap_seconds and not offline and not new_source
                assert seconds[i] - seconds[i - 1] < max_seconds
            else:
                # A new session only where a rule cuts: the gap, an offline touchpoint, a new arrival, or the cap.
                assert new_run or capped
        for session in set(sessions):
            inside = [s for s, sid in zip(seconds, sessions, strict=True) if sid == session]
            assert max(inside) - min(inside) < max_seconds
        # journey_index (on session starts and conversions only) counts the conversions before, plus one.
        conversions_before = 0
        for row in mine:
            marked = row["is_session_start"] or row["is_conversion"]
            assert (row["event_id"] in marks) == marked
            if marked:
                assert marks[row["event_id"]]["journey_index"] == conversions_before + 1
                assert marks[row["event_id"]]["session_id"] == row["session_id"]
            conversions_before += int(row["is_conversion"])
