"""Time lag and path length reports on hand-written journeys."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Built, build_story, buy, visit
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.analytics.lags import lag_summary, path_length, time_lag
from jejak.engine import connect
from jejak.store.derived import table_path

STORY: dict[str, list[dict[str, Any]]] = {
    # Ana: Instagram on the 1st, two e-mail visits, buys on the 4th at a later hour: 3 days, 3 touches.
    "ana": [
        visit("2026-03-01 09:00", "Paid Social"),
        visit("2026-03-02 19:00", "Email"),
        visit("2026-03-04 19:00", "Email"),
        buy("2026-03-04 19:05", 185000),
    ],
    # Budi: one WhatsApp chat and a purchase 10 minutes later: 0 days, 1 touch.
    "budi": [visit("2026-03-05 10:00", "WhatsApp"), buy("2026-03-05 10:10", 90000)],
    # Citra: a brochure 20 days before she buys after a search: 20 days (12-30), 2 touches.
    "citra": [
        visit("2026-03-01 08:00", "Print / QR"),
        visit("2026-03-21 08:00", "Organic Search"),
        buy("2026-03-21 08:30", 60000),
    ],
    # Dewi: thirteen Direct visits, one a day, and a purchase on the last: 12 days, 13 touches (12+).
    "dewi": [visit(f"2026-03-{day:02d} 12:00", "Direct") for day in range(1, 14)] + [buy("2026-03-13 12:30", 40000)],
    # Eko never buys: his journey is in no bucket.
    "eko": [visit("2026-03-10 12:00", "Paid Search")],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("lags"), STORY)


def _rows(built: Built, report: Any, **options: Any) -> list[dict[str, Any]]:
    return built.report(lambda read: report(read("journeys"), **options))


def test_time_lag_buckets_count_whole_days_from_the_first_touch(built: Built) -> None:
    rows = _rows(built, time_lag)
    assert [(r["bucket"], r["conversions"], r["revenue"]) for r in rows] == [
        ("0", 1, 90000.0),
        ("3", 1, 185000.0),
        ("12-30", 2, 100000.0),  # Dewi's 12 days and Citra's 20
    ]
    assert [r["conversion_share"] for r in rows] == [0.25, 0.25, 0.5]


def test_path_length_counts_every_touch_before_the_transform(built: Built) -> None:
    rows = _rows(built, path_length)
    # Dewi's 13 Direct visits collapse to one under the exposure transform, but she touched 13 times.
    assert [(r["bucket"], r["conversions"]) for r in rows] == [("1", 1), ("2", 1), ("3", 1), ("12+", 1)]


def test_buckets_split_by_the_first_touch_channel(built: Built) -> None:
    rows = _rows(built, path_length, by_first_channel=True)
    assert {(r["first_channel"], r["bucket"]) for r in rows} == {
        ("Direct", "12+"),
        ("Paid Social", "3"),
        ("Print / QR", "2"),
        ("WhatsApp", "1"),
    }
    assert all(r["conversion_share"] == 1.0 for r in rows)


def test_lag_summary_gives_median_and_mean(built: Built) -> None:
    [summary] = _rows(built, lag_summary)
    lags = sorted([10 / 60 / 24, 3 + 10.083333333333334 / 24, 20 + 0.5 / 24, 12 + 0.5 / 24])
    assert summary["conversions"] == 4
    assert summary["median_lag_days"] == pytest.approx((lags[1] + lags[2]) / 2)
    assert summary["mean_lag_days"] == pytest.approx(sum(lags) / 4)
    assert summary["median_touches"] == pytest.approx(2.5)
    assert summary["mean_touches"] == pytest.approx((3 + 1 + 2 + 13) / 4)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 200 * 86_400), st.integers(1, 30), st.booleans(), st.integers(0, 1000)),
        min_size=1,
        max_size=40,
    )
)
def test_histogram_counts_sum_to_the_conversions(journeys: list[tuple[int, int, bool, int]]) -> None:
    import datetime as dt

    import ibis
    import pyarrow as pa

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    table = pa.table(
        {
            "converted": [converted for _, _, converted, _ in journeys],
            "first_touch_at": [start] * len(journeys),
            "conversion_at": [start + dt.timedelta(seconds=lag) for lag, _, _, _ in journeys],
            "touches_before_transform": [touches for _, touches, _, _ in journeys],
            "revenue": [float(value) for _, _, _, value in journeys],
            "path": [["Direct"]] * len(journeys),
        }
    )
    engine = connect()
    conversions = sum(converted for _, _, converted, _ in journeys)
    for report in (time_lag, path_length):
        rows = engine.to_pyarrow(report(ibis.memtable(table))).to_pylist()
        assert sum(r["conversions"] for r in rows) == conversions


def test_filters_narrow_every_report(built: Built) -> None:
    import datetime as dt

    from jejak.journeys.filters import filter_conversions, filter_journeys, filter_sessions

    engine = connect()
    try:
        journeys = engine.read_parquet(table_path(built.project, "journeys"))
        conversions = engine.read_parquet(table_path(built.project, "conversions"))
        sessions = engine.read_parquet(table_path(built.project, "sessions"))
        # Journeys that touched Email: only Ana's.
        emailed = engine.to_pyarrow(time_lag(filter_journeys(journeys, channel="Email"))).to_pylist()
        assert [(r["bucket"], r["conversions"]) for r in emailed] == [("3", 1)]
        # Conversions from 5 March on: Budi's, Dewi's (13th) and Citra's (21st).
        late = filter_conversions(conversions, start=dt.date(2026, 3, 5))
        assert engine.to_pyarrow(late.count()).as_py() == 3
        assert engine.to_pyarrow(filter_conversions(conversions, conversion_types=["purchase"]).count()).as_py() == 0
        # Sessions of 1 March: Ana's ad, Citra's brochure and Dewi's first visit.
        first_day = filter_sessions(sessions, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
        assert engine.to_pyarrow(first_day.count()).as_py() == 3
        assert engine.to_pyarrow(filter_sessions(sessions, channel="WhatsApp").count()).as_py() == 1
    finally:
        engine.close()
