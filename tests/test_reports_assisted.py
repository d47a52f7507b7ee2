"""Assisted conversions on hand-written journeys."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Built, build_story, buy, visit

from jejak.analytics.assisted import assisted_conversions
from jejak.core.errors import SettingError
from jejak.engine import connect
from jejak.store.derived import table_path

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana: an Instagram ad, then two e-mail visits, and she buys on the second: Email assists and closes.
    "ana": [
        visit("2026-03-01 09:00", "Paid Social", campaign="ramadan"),
        visit("2026-03-02 19:00", "Email", campaign="newsletter-12"),
        visit("2026-03-03 19:00", "Email", campaign="newsletter-12"),
        buy("2026-03-03 19:05", 185000),
    ],
    # Budi chats on WhatsApp and buys twice in that chat: the second purchase has no touch of its own.
    "budi": [visit("2026-03-05 10:00", "WhatsApp"), buy("2026-03-05 10:10", 90000), buy("2026-03-05 10:20", 90000)],
    # Citra scans a brochure, later searches and buys.
    "citra": [
        visit("2026-03-01 08:00", "Print / QR", campaign="brosur-maret"),
        visit("2026-03-21 08:00", "Organic Search"),
        buy("2026-03-21 08:30", 60000),
    ],
    # Eko clicks an ad and never buys: he counts nowhere.
    "eko": [visit("2026-03-10 12:00", "Paid Search")],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("assisted"), STORY)


def _report(built: Built, dimension: str = "channel") -> dict[str, dict[str, Any]]:
    engine = connect()
    try:
        touches = engine.read_parquet(table_path(built.project, "touchpoints"))
        conversions = engine.read_parquet(table_path(built.project, "conversions"))
        in_window = engine.read_parquet(table_path(built.project, "journey_touches"))
        table = assisted_conversions(touches, conversions, lookback_days=30, dimension=dimension)
        rows = engine.to_pyarrow(table).to_pylist()
        # The build's journey_touches table gives the same report without finding the touches again.
        kept = assisted_conversions(touches, conversions, lookback_days=30, dimension=dimension, in_window=in_window)
        assert engine.to_pyarrow(kept).to_pylist() == rows
    finally:
        engine.close()
    return {row[dimension]: row for row in rows}


def _counts(row: dict[str, Any]) -> tuple[int, int, int]:
    return row["first_interaction_conversions"], row["assisted_conversions"], row["last_interaction_conversions"]


def test_first_assisted_and_last_interactions_per_channel(built: Built) -> None:
    report = _report(built)
    assert {channel: _counts(row) for channel, row in report.items()} == {
        "Paid Social": (1, 1, 0),
        "Email": (0, 1, 1),  # the first e-mail visit assists, the second closes
        "WhatsApp": (2, 0, 2),  # both of Budi's purchases
        "Print / QR": (1, 1, 0),
        "Organic Search": (0, 0, 1),
    }
    assert report["Email"]["assisted_revenue"] == 185000.0
    assert report["WhatsApp"]["last_interaction_revenue"] == 180000.0


def test_the_ratio_says_what_a_channel_mostly_does(built: Built) -> None:
    report = _report(built)
    assert report["Paid Social"]["reading"] == "only assists"
    assert report["Paid Social"]["assisted_to_last_ratio"] is None
    assert (report["Email"]["assisted_to_last_ratio"], report["Email"]["reading"]) == (1.0, "assists and closes")
    assert (report["WhatsApp"]["assisted_to_last_ratio"], report["WhatsApp"]["reading"]) == (0.0, "mostly closes")


def test_first_and_last_interactions_each_sum_to_the_conversions(built: Built) -> None:
    report = _report(built)
    assert sum(row["first_interaction_conversions"] for row in report.values()) == 4
    assert sum(row["last_interaction_conversions"] for row in report.values()) == 4
    assert sum(row["last_interaction_revenue"] for row in report.values()) == 185000 + 180000 + 60000


def test_by_campaign(built: Built) -> None:
    report = _report(built, "campaign")
    assert _counts(report["ramadan"]) == (1, 1, 0)
    assert _counts(report["newsletter-12"]) == (0, 1, 1)
    assert _counts(report["(not set)"]) == (2 + 0, 0, 2 + 1)  # Budi's WhatsApp twice, Citra's search closes


def test_an_unknown_dimension_is_refused(built: Built) -> None:
    with pytest.raises(SettingError, match="Expected one of: channel, source_medium, campaign"):
        _report(built, "device")
