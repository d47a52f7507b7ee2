"""The event stream: each person's interactions numbered 1, 2, 3, … with their sessions, identity calls left out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Built, build_story, buy, visit

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana browses on her phone, logs in (an identify call), adds to cart, and buys in the same visit;
    # the next day she walks into the store.
    "ana": [
        visit("2026-03-01 09:00:00", "Paid Social", event="Beranda", page_path="/", device_type="mobile"),
        {"at": "2026-03-01 09:01:00", "type": "identify", "event": "Identify"},
        {"at": "2026-03-01 09:02:00", "type": "track", "event": "Product Added", "device_type": "mobile"},
        buy("2026-03-01 09:05:00", 185000, device_type="mobile"),
        {"at": "2026-03-02 16:00:00", "type": "offline", "event": "store_visit", "channel": "Offline Store"},
    ],
    # Budi's two page views share one second: the event id breaks the tie (budi-1 before budi-2).
    "budi": [
        visit("2026-03-03 10:00:00", "Email", event="Produk", page_path="/produk", event_id="budi-2"),
        visit("2026-03-03 10:00:00", "Email", event="Beranda", page_path="/", event_id="budi-1"),
    ],
    # Citra buys twice, a week apart: her first and second conversions.
    "citra": [
        visit("2026-03-02 08:00:00", "Organic Search", event="Beranda", page_path="/"),
        buy("2026-03-02 08:10:00", 90000),
        visit("2026-03-09 08:00:00", "Email", event="Beranda", page_path="/"),
        buy("2026-03-09 08:20:00", 60000),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(Path(tmp_path_factory.mktemp("events")), STORY)


def stream_of(built: Built, user: str) -> list[dict[str, Any]]:
    person = built.user(user)
    return sorted((row for row in built.rows("events") if row["person_id"] == person), key=lambda row: row["position"])


def test_identity_calls_are_not_interactions_and_positions_have_no_gaps(built: Built) -> None:
    ana = stream_of(built, "ana")
    assert [row["event"] for row in ana] == ["Beranda", "Product Added", "Order Completed", "store_visit"]
    assert [row["position"] for row in ana] == [1, 2, 3, 4]
    assert [row["is_conversion"] for row in ana] == [False, False, True, False]
    assert ana[2]["revenue"] == 185000


def test_each_interaction_carries_its_session_page_and_device(built: Built) -> None:
    ana = stream_of(built, "ana")
    sessions = built.sessions_of(built.user("ana"))
    assert [row["session_id"] for row in ana] == [sessions[0]["session_id"]] * 3 + [sessions[1]["session_id"]]
    assert [row["page_path"] for row in ana] == ["/", None, None, None]
    assert [row["device_type"] for row in ana[:3]] == ["mobile"] * 3


def test_ties_in_time_are_ordered_by_event_id(built: Built) -> None:
    assert [(row["event_id"], row["position"]) for row in stream_of(built, "budi")] == [("budi-1", 1), ("budi-2", 2)]


def test_every_stored_interaction_is_in_the_stream_once(built: Built) -> None:
    ids = [row["event_id"] for row in built.rows("events")]
    assert len(ids) == len(set(ids)) == sum(len(events) for events in STORY.values()) - 1  # one identify call


def test_each_conversion_carries_the_number_the_conversions_table_gives_it(built: Built) -> None:
    numbered = {row["event_id"]: row["conversion_index"] for row in built.rows("events") if row["is_conversion"]}
    expected = {row["conversion_event_id"]: row["conversion_index"] for row in built.rows("conversions")}
    assert numbered == expected
    assert sorted(row["conversion_index"] for row in stream_of(built, "citra") if row["is_conversion"]) == [1, 2]
    assert all(row["conversion_index"] is None for row in built.rows("events") if not row["is_conversion"])
