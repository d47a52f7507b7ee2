"""Reports count the days of the business's time zone (`engine.zones`), not UTC's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import pyarrow as pa
import pytest
from conftest import Built, build_story, buy, visit
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.analytics.funnels import Funnel, attempts, best_of_days, funnel_trend
from jejak.engine import connect
from jejak.engine.zones import day_number, local_date, local_day, midnight
from jejak.service.builds import open_build
from jejak.service.reports import FunnelQuery, Scope, funnel, overview

# A fixed offset, summer times north and south, a half-hour summer time, offsets of 45 and 30 minutes, and a
# summer time that begins and ends at midnight.
ZONES = (
    "Asia/Jakarta",
    "Europe/London",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "America/Santiago",  # its clocks jump at midnight: 6 September 2026 begins at 01:00
    "UTC",
)
# 1970 to 2099, where the offsets are read, and the instants on either side of a change most of all.
SECONDS = st.one_of(
    st.integers(min_value=0, max_value=4_102_444_799),
    st.sampled_from([1774745999, 1774746000, 1792889999, 1792890000]),  # London's changes of 2026
)


@settings(max_examples=40, deadline=None)
@given(st.lists(SECONDS, min_size=1, max_size=30), st.sampled_from(ZONES))
def test_a_local_day_is_the_tz_database_date(seconds: list[int], zone: str) -> None:
    table = ibis.memtable(pa.table({"s": pa.array(seconds, pa.int64())}))
    query = table.select("s", day=local_day(table.s, zone), date=local_date(table.s, zone))
    rows = connect().to_pyarrow(query).to_pylist()
    for row in rows:
        expected = dt.datetime.fromtimestamp(row["s"], ZoneInfo(zone)).date()
        assert (row["date"], row["day"]) == (expected, day_number(expected)), (zone, row["s"])


@pytest.mark.parametrize("zone", ZONES)
def test_a_day_begins_at_its_zones_midnight(zone: str) -> None:
    info = ZoneInfo(zone)
    for day in (
        dt.date(2026, 3, 29),
        dt.date(2026, 10, 25),
        dt.date(2026, 11, 11),
        dt.date(2026, 4, 5),
        dt.date(2026, 9, 6),
    ):
        start = midnight(day, zone)
        assert start.astimezone(info).date() == day
        assert (start - dt.timedelta(seconds=1)).astimezone(info).date() == day - dt.timedelta(days=1)
    # A date before any instant a datetime holds keeps everything, rather than failing.
    assert midnight(dt.date.min, "Asia/Jakarta") == dt.datetime.min.replace(tzinfo=dt.UTC)


def added(at: str) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": "Product Added"}


# An Indonesian shop's 11.11 sale opens at midnight WIB, 17:00 UTC on the 10th.
STORY: dict[str, list[dict[str, Any]]] = {
    # Ana orders at 00:30 WIB on the 11th: the sale's first hour, still the 10th in UTC.
    "ana": [visit("2026-11-11 00:20", "Paid Social"), added("2026-11-11 00:25"), buy("2026-11-11 00:30", 150000)],
    # Budi orders at 23:30 WIB on the 10th, before the sale: the 10th in both.
    "budi": [visit("2026-11-10 23:10", "Email"), added("2026-11-10 23:20"), buy("2026-11-10 23:30", 90000)],
    # Citra orders at 08:00 WIB on the 11th: the 11th in both.
    "citra": [visit("2026-11-11 07:55", "WhatsApp"), added("2026-11-11 07:58"), buy("2026-11-11 08:00", 60000)],
}
SALE_DAY = dt.date(2026, 11, 11)
STEPS = ("Product Added", "Order Completed")


@pytest.fixture(scope="module", params=["Asia/Jakarta", "UTC"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    # The story's times are WIB either way (its own offsets); the setting decides whose days the reports count.
    stories = {name: [{**row, "at": row["at"] + "+07:00"} for row in rows] for name, rows in STORY.items()}
    root = tmp_path_factory.mktemp("zones")
    return build_story(Path(root), stories, settings={"timezone": request.param})


def test_reports_count_the_days_of_the_timezone_setting(built: Built) -> None:
    wib = built.project.settings.timezone == "Asia/Jakarta"
    sale_buyers = {"ana", "citra"} if wib else {"citra"}
    sale_revenue = 210000.0 if wib else 60000.0
    with open_build(built.project) as opened:
        found = overview(opened, Scope(start=SALE_DAY, end=SALE_DAY))
        days = {row["day"]: row["revenue"] for row in overview(opened, Scope())["by_day"]}
        sale = funnel(opened, Scope(start=SALE_DAY, end=SALE_DAY), FunnelQuery(STEPS))
        stream = opened.read("events")
        every_day = opened.rows(funnel_trend(stream, Funnel.of(STEPS, zone=built.project.settings.timezone)))
    [headline] = found["headline"]
    assert (headline["conversions"], headline["revenue"]) == (len(sale_buyers), sale_revenue)
    assert days[SALE_DAY] == sale_revenue and days[SALE_DAY - dt.timedelta(days=1)] == 300000.0 - sale_revenue
    # The funnel's people of the day, and its trend by day, count the same day's starts.
    assert [row["people"] for row in sale["steps"]] == [len(sale_buyers)] * 2
    assert {row["period"]: row["completed"] for row in every_day}[SALE_DAY] == len(sale_buyers)


def test_a_funnels_kept_days_are_the_zones(built: Built) -> None:
    zone = built.project.settings.timezone
    every_day = Funnel.of(STEPS, zone=zone)
    day_only = Funnel.of(STEPS, start=SALE_DAY, end=SALE_DAY, zone=zone)
    with open_build(built.project) as opened:
        stream = opened.read("events")
        kept = opened.rows(best_of_days(attempts(stream, every_day, per_day=True), day_only))
        scanned = opened.rows(attempts(stream, day_only))
    assert sorted(row["person_number"] for row in kept) == sorted(row["person_number"] for row in scanned)
    assert len(kept) == (2 if zone == "Asia/Jakarta" else 1)
