"""Top conversion paths by channel, source / medium, campaign, keyword and ad, with and without the exposure transform."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Built, build_story

from jejak.analytics.paths import top_conversion_paths
from jejak.engine import connect
from jejak.store.derived import table_path

SHOP = "https://kopi.example.id"


def visit(at: str, **fields: Any) -> dict[str, Any]:
    return {"at": at, "type": "page", **fields}


def buy(at: str, revenue: int) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": "Order Completed", "revenue": revenue}


def ad(at: str) -> dict[str, Any]:
    return visit(
        at, page_url=f"{SHOP}/?utm_source=instagram&utm_medium=paid_social&utm_campaign=ramadan&utm_content=reels"
    )


def mail(at: str) -> dict[str, Any]:
    return visit(
        at, page_url=f"{SHOP}/?utm_source=newsletter&utm_medium=email&utm_campaign=edisi-12&utm_term=resep+kopi"
    )


STORY: dict[str, list[dict[str, Any]]] = {
    # Ana and Budi: an Instagram ad, two newsletter visits, a purchase.
    "ana": [ad("2026-03-01 09:00"), mail("2026-03-02 19:00"), mail("2026-03-03 19:00"), buy("2026-03-03 19:05", 100)],
    "budi": [ad("2026-03-04 09:00"), mail("2026-03-05 19:00"), mail("2026-03-06 19:00"), buy("2026-03-06 19:05", 300)],
    # Citra: a newsletter visit and a purchase.
    "citra": [mail("2026-03-07 10:00"), buy("2026-03-07 10:05", 50)],
    # Dewi types the address and buys.
    "dewi": [visit("2026-03-08 10:00"), buy("2026-03-08 10:05", 50)],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("paths"), STORY)


def _paths(built: Built, **options: Any) -> list[tuple[str, int, float]]:
    engine = connect()
    try:
        touches = engine.read_parquet(table_path(built.project, "touchpoints"))
        conversions = engine.read_parquet(table_path(built.project, "conversions"))
        in_window = engine.read_parquet(table_path(built.project, "journey_touches"))
        rows = engine.to_pyarrow(top_conversion_paths(touches, conversions, lookback_days=30, **options)).to_pylist()
        # The build's journey_touches table gives the same paths without finding the touches again.
        kept = top_conversion_paths(touches, conversions, lookback_days=30, in_window=in_window, **options)
        assert engine.to_pyarrow(kept).to_pylist() == rows
    finally:
        engine.close()
    return [(row["path"], row["conversions"], row["conversion_share"]) for row in rows]


def test_channel_paths_with_exposure(built: Built) -> None:
    assert _paths(built) == [
        ("Paid Social > Email", 2, 0.5),
        ("Direct", 1, 0.25),
        ("Email", 1, 0.25),
    ]


def test_without_exposure_repeats_stay(built: Built) -> None:
    assert _paths(built, exposure=False)[0] == ("Paid Social > Email > Email", 2, 0.5)


def test_source_medium_and_campaign_paths(built: Built) -> None:
    assert _paths(built, dimension="source_medium")[0] == ("instagram / paid_social > newsletter / email", 2, 0.5)
    assert ("(direct) / (none)", 1, 0.25) in _paths(built, dimension="source_medium")
    assert _paths(built, dimension="campaign")[0] == ("ramadan > edisi-12", 2, 0.5)


def test_keyword_and_ad_paths(built: Built) -> None:
    # The ad's address names its ad (utm_content), the newsletter's its keyword (utm_term); the rest carry neither.
    assert _paths(built, dimension="content") == [("(not set)", 2, 0.5), ("reels > (not set)", 2, 0.5)]
    assert _paths(built, dimension="term") == [
        ("(not set) > resep kopi", 2, 0.5),
        ("(not set)", 1, 0.25),
        ("resep kopi", 1, 0.25),
    ]


def test_the_other_row_keeps_the_totals(built: Built) -> None:
    rows = _paths(built, n=1)
    assert rows[0] == ("Paid Social > Email", 2, 0.5)
    assert rows[1][0] == "Other (2 rows, 50.0 % of total)"
    assert (rows[1][1], rows[1][2]) == (2, 0.5)
    # One path past the top is shown as itself: an "Other (1 row, …)" would hide its name and save no row.
    every = _paths(built, n=3)
    assert _paths(built, n=2) == every and len(every) == 3
    assert not [row for row in every if row[0].startswith("Other (")]


def test_the_builds_own_paths_give_the_same_top_paths(built: Built) -> None:
    from jejak.analytics.paths import top_of_paths

    engine = connect()
    try:
        from_build = engine.to_pyarrow(top_of_paths(engine.read_parquet(table_path(built.project, "paths")), n=2))
    finally:
        engine.close()
    rows = [(row["path"], row["conversions"], row["conversion_share"]) for row in from_build.to_pylist()]
    assert rows == _paths(built, n=2)
