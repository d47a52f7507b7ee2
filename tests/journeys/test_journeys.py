"""Journeys end at conversions, look back 30 days, and add up to unique paths that reconcile."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import ibis
import pyarrow as pa
import pytest
from conftest import Built, build_story, buy, jakarta, visit
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine import Engine, connect
from jejak.journeys.channels import DEFAULT_CHANNEL_RULES
from jejak.journeys.journeys import conversions, journey_touches, journeys, touchpoints, unique_paths
from jejak.journeys.sessions import journey_marks, sessionize

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana: an Instagram ad, two e-mails, a purchase; then a WhatsApp chat and a second purchase; then one more visit.
    "ana": [
        visit("2026-03-01 09:00", "Paid Social"),
        visit("2026-03-02 19:00", "Email"),
        visit("2026-03-03 19:00", "Email"),
        buy("2026-03-03 19:05", 185000),
        visit("2026-03-10 12:00", "WhatsApp"),
        buy("2026-03-10 12:03", 90000, event="purchase"),
        visit("2026-03-12 08:00"),  # no channel, no referrer: Direct
    ],
    # Budi scans a brochure exactly 30 days before he buys: the brochure counts.
    "budi": [
        visit("2026-03-01 12:00:00", "Print / QR"),
        visit("2026-03-31 11:55:00", "Paid Search"),
        buy("2026-03-31 12:00:00", 200000),
    ],
    # Cici scans it one second earlier: 30 days and 1 second before, outside the lookback.
    "cici": [
        visit("2026-03-01 11:59:59", "Print / QR"),
        visit("2026-03-31 11:55:00", "Paid Search"),
        buy("2026-03-31 12:00:00", 150000),
    ],
    # Dedi buys twice in one visit: the second purchase has no touch of its own and gets its session's channel.
    "dedi": [
        visit("2026-03-05 10:00", "Organic Search"),
        buy("2026-03-05 10:05", 100000),
        buy("2026-03-05 10:20", 50000),
    ],
    # Eka visits twice from a blog and never buys.
    "eka": [visit("2026-03-06 10:00", "Referral"), visit("2026-03-07 10:00", "Referral")],
    # Fajar walks into the store and buys: the purchase is the touch.
    "fajar": [
        {"at": "2026-03-08 16:00", "type": "offline", "event": "Order Completed", "revenue": 75000, "channel": "Offline Store"},
    ],
    # Gita came from a blog 42 days before her last visit, then from Instagram; no purchase.
    "gita": [visit("2026-02-01 10:00", "Referral"), visit("2026-03-15 10:00", "Organic Social")],
}  # fmt: skip

CONVERSION_EVENTS = 7  # ana 2, budi 1, cici 1, dedi 2, fajar 1
REVENUE = 185000 + 90000 + 200000 + 150000 + 100000 + 50000 + 75000


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("journeys"), STORY)


def paths_of(built: Built, person: str) -> list[tuple[list[str], bool]]:
    return [(j["path"], j["converted"]) for j in built.journeys_of(f"u:{person}")]


def test_journeys_are_cut_at_each_conversion(built: Built) -> None:
    assert paths_of(built, "ana") == [
        (["Paid Social", "Email"], True),  # the two e-mail visits collapse (exposure)
        (["WhatsApp"], True),  # the WhatsApp visit came after purchase 1: it belongs to journey 2
        (["Direct"], False),
    ]
    first, second, _ = built.journeys_of("u:ana")
    assert (first["revenue"], second["revenue"]) == (185000.0, 90000.0)
    assert (first["conversion_type"], second["conversion_type"]) == ("Order Completed", "purchase")
    assert first["first_touch_at"] == jakarta("2026-03-01 09:00")
    assert first["conversion_at"] == jakarta("2026-03-03 19:05")
    assert first["touches"] == 2
    assert first["path_text"] == "Paid Social > Email"


def test_a_touch_exactly_lookback_days_before_the_conversion_counts(built: Built) -> None:
    assert paths_of(built, "budi") == [(["Print / QR", "Paid Search"], True)]


def test_a_touch_one_second_older_than_the_lookback_is_dropped(built: Built) -> None:
    assert paths_of(built, "cici") == [(["Paid Search"], True)]
    [journey] = built.journeys_of("u:cici")
    assert journey["first_touch_at"] == jakarta("2026-03-31 11:55")


def test_a_second_purchase_in_one_session_gets_the_sessions_channel(built: Built) -> None:
    first, second = built.journeys_of("u:dedi")
    assert (first["path"], second["path"]) == (["Organic Search"], ["Organic Search"])
    assert second["touches"] == 1
    assert second["converted"] and second["revenue"] == 50000.0
    assert second["first_touch_at"] == second["conversion_at"] == jakarta("2026-03-05 10:20")
    conversion = {c["conversion_index"]: c for c in built.rows("conversions") if c["person_id"] == "u:dedi"}
    assert conversion[1]["session_id"] == conversion[2]["session_id"]
    assert conversion[2]["session_channel"] == "Organic Search"


def test_a_conversion_that_opens_a_session_is_its_own_touch(built: Built) -> None:
    assert paths_of(built, "fajar") == [(["Offline Store"], True)]


def test_people_who_never_convert_keep_a_non_converting_journey(built: Built) -> None:
    assert paths_of(built, "eka") == [(["Referral"], False)]
    [journey] = built.journeys_of("u:eka")
    assert journey["conversion_at"] is None and journey["revenue"] == 0.0
    assert journey["first_touch_at"] == jakarta("2026-03-06 10:00")


def test_last_touch_at_is_the_last_touch_even_when_exposure_collapses_repeats(built: Built) -> None:
    first = built.journeys_of("u:ana")[0]
    assert first["last_touch_at"] == jakarta("2026-03-03 19:00")  # Ana's second e-mail visit, 5 min before buying
    [eka] = built.journeys_of("u:eka")
    assert eka["last_touch_at"] == jakarta("2026-03-07 10:00")


def test_a_non_converting_journey_looks_back_from_its_last_touch(built: Built) -> None:
    assert paths_of(built, "gita") == [(["Organic Social"], False)]


def test_unique_paths_reconcile_with_the_story(built: Built) -> None:
    paths = {row["path"]: row for row in built.rows("paths")}
    assert {name: (row["conversions"], row["non_conversions"], row["revenue"]) for name, row in paths.items()} == {
        "Paid Social > Email": (1, 0, 185000.0),
        "WhatsApp": (1, 0, 90000.0),
        "Direct": (0, 1, 0.0),
        "Print / QR > Paid Search": (1, 0, 200000.0),
        "Paid Search": (1, 0, 150000.0),
        "Organic Search": (2, 0, 150000.0),
        "Referral": (0, 1, 0.0),
        "Offline Store": (1, 0, 75000.0),
        "Organic Social": (0, 1, 0.0),
    }
    assert sum(row["conversions"] for row in paths.values()) == CONVERSION_EVENTS
    assert sum(row["revenue"] for row in paths.values()) == REVENUE
    assert len(built.rows("conversions")) == CONVERSION_EVENTS
    assert sum(c["revenue"] for c in built.rows("conversions")) == REVENUE
    assert paths["Print / QR > Paid Search"]["touches"] == 2


def test_journeys_are_numbered_once_per_person(built: Built) -> None:
    keys = [(j["person_id"], j["journey_index"]) for j in built.rows("journeys")]
    assert len(keys) == len(set(keys))
    assert Counter(j["converted"] for j in built.rows("journeys")) == {True: CONVERSION_EVENTS, False: 3}


# --- properties on random journeys ---------------------------------------------------------------------

BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CHANNELS = ["Paid Search", "Email", "WhatsApp", None]
TEXT_COLUMNS = (
    "event_id", "person_id", "type", "event", "touchpoint", "currency", "source", "medium", "campaign", "term",
    "content", "referrer", "page_url", "page_path", "channel", "device_type", "os", "browser",
)  # fmt: skip
SCHEMA = pa.schema(
    [(name, pa.string()) for name in TEXT_COLUMNS]
    + [("timestamp", pa.timestamp("us", tz="UTC")), ("revenue", pa.float64())]
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = connect()
    yield engine
    engine.close()


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Random people with random visits and purchases spread over 20 days."""
    rows: list[dict[str, Any]] = []
    # Many people per example: each example costs a few engine round trips, whatever its size.
    for person in range(draw(st.integers(1, 8))):
        for _ in range(draw(st.integers(1, 10))):
            converts = draw(st.booleans())
            rows.append(
                {
                    "event_id": f"e{len(rows):03d}",
                    "person_id": f"p{person}",
                    "type": draw(st.sampled_from(["page", "page", "offline"])),
                    "event": "Order Completed" if converts else "Page Viewed",
                    "revenue": float(draw(st.integers(1, 9))) if converts else None,
                    "channel": draw(st.sampled_from(CHANNELS)),
                    "timestamp": BASE + dt.timedelta(seconds=draw(st.integers(0, 20 * 86400))),
                }
            )
    for row in rows:
        row["touchpoint"] = "offline" if row["type"] == "offline" else "online"
    return rows


@settings(max_examples=10, deadline=None)
@given(rows=histories(), lookback_days=st.sampled_from([1, 3, 30]), transform=st.sampled_from(["exposure", "unique"]))
def test_paths_hold_every_conversion_and_only_touches_inside_the_lookback(
    engine: Engine, rows: list[dict[str, Any]], lookback_days: int, transform: str
) -> None:
    table = ibis.memtable(pa.Table.from_pylist(rows, schema=SCHEMA))
    sessionized = engine.materialize(
        sessionize(table, gap_seconds=1800, max_seconds=86400, conversion_events=["Order Completed"]), "p_sessions"
    )
    marks = engine.materialize(journey_marks(sessionized), "p_marks")
    touches = engine.materialize(touchpoints(marks, table, DEFAULT_CHANNEL_RULES), "p_touches")
    converted = engine.materialize(conversions(marks, touches), "p_conversions")
    in_window = engine.materialize(journey_touches(touches, converted, lookback_days=lookback_days), "p_window")
    journey_table = engine.materialize(
        journeys(in_window, converted, transform=transform, transform_channel="Direct", max_touches=0), "p_journeys"
    )
    paths = engine.to_pyarrow(unique_paths(journey_table)).to_pylist()
    conversion_rows = engine.to_pyarrow(converted).to_pylist()
    window_rows = engine.to_pyarrow(in_window).to_pylist()
    journey_rows = engine.to_pyarrow(journey_table).to_pylist()

    expected_conversions = [row for row in rows if row["event"] == "Order Completed"]
    assert sum(p["conversions"] for p in paths) == len(expected_conversions)
    assert sum(p["revenue"] for p in paths) == pytest.approx(sum(row["revenue"] for row in expected_conversions))
    assert sum(p["non_conversions"] for p in paths) == sum(not j["converted"] for j in journey_rows)
    assert all(p["conversions"] + p["non_conversions"] > 0 for p in paths)

    ends = {(c["person_id"], c["conversion_index"]): c["conversion_epoch_seconds"] for c in conversion_rows}
    lookback_seconds = lookback_days * 86400
    for touch in window_rows:
        end = ends.get((touch["person_id"], touch["journey_index"]))
        if end is not None:
            assert end - lookback_seconds <= touch["epoch_seconds"] <= end
    for journey in journey_rows:
        assert journey["touches"] >= 1
        assert journey["touches"] == len(journey["path"])
        if journey["converted"]:
            assert journey["first_touch_at"] >= journey["conversion_at"] - dt.timedelta(days=lookback_days)
            assert journey["last_touch_at"] <= journey["conversion_at"]
    per_person = Counter(j["person_id"] for j in journey_rows if not j["converted"])
    assert all(count == 1 for count in per_person.values()), "at most one open journey per person"
    if transform == "unique":
        counted = Counter((t["person_id"], t["journey_index"]) for t in window_rows)
        for journey in journey_rows:
            key = (journey["person_id"], journey["journey_index"])
            assert journey["touches"] == max(counted.get(key, 0), 1)
