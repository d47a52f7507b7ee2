"""Devices report on hand-written journeys: conversion by device and OS, cross-device journeys, hand-offs."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Built, build_story

from jejak.analytics.devices import cross_device, device_conversion, device_handoff, unnamed_device_channels
from jejak.core.errors import SettingError
from jejak.core.vocabulary import NOT_SET
from jejak.engine import connect
from jejak.store.derived import table_path


def visit(at: str, channel: str, device: str, os: str) -> dict[str, Any]:
    return {"at": at, "type": "page", "channel": channel, "device_type": device, "os": os}


def buy(at: str, revenue: int, device: str, os: str) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": "Order Completed", "revenue": revenue, "device_type": device, "os": os}


STORY: dict[str, list[dict[str, Any]]] = {
    # Ana sees an ad on her phone, then buys on her laptop two days later.
    "ana": [
        visit("2026-03-01 09:00", "Paid Social", "mobile", "Android"),
        visit("2026-03-03 19:00", "Email", "desktop", "Windows"),
        buy("2026-03-03 19:05", 200000, "desktop", "Windows"),
    ],
    # Budi does everything on his phone.
    "budi": [visit("2026-03-05 10:00", "WhatsApp", "mobile", "iOS"), buy("2026-03-05 10:10", 100000, "mobile", "iOS")],
    # Citra browses on a laptop and leaves.
    "citra": [visit("2026-03-06 10:00", "Organic Search", "desktop", "macOS")],
    # Dewi buys at the till: an offline touch has no device.
    "dewi": [
        {
            "at": "2026-03-07 11:00",
            "type": "offline",
            "event": "Order Completed",
            "revenue": 50000,
            "channel": "Offline Store",
        }
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("devices"), STORY)


def _run(built: Built, report: Any, **options: Any) -> list[dict[str, Any]]:
    engine = connect()
    try:
        tables = {
            name: engine.read_parquet(table_path(built.project, name))
            for name in ("sessions", "touchpoints", "conversions")
        }
        if report in (device_conversion, unnamed_device_channels):
            table = report(tables["sessions"], tables["touchpoints"], **options)
        else:
            table = report(tables["touchpoints"], tables["conversions"], lookback_days=30, **options)
            # The build's journey_touches table gives the same rows without finding the touches again.
            in_window = engine.read_parquet(table_path(built.project, "journey_touches"))
            kept = report(
                tables["touchpoints"], tables["conversions"], lookback_days=30, in_window=in_window, **options
            )
            assert engine.to_pyarrow(kept).to_pylist() == engine.to_pyarrow(table).to_pylist()
            # So do the devices the build kept on the journeys table, one row per journey.
            journeys = engine.read_parquet(table_path(built.project, "journeys"))
            from_journeys = report(journeys=journeys, **options)
            assert engine.to_pyarrow(from_journeys).to_pylist() == engine.to_pyarrow(table).to_pylist()
        rows: list[dict[str, Any]] = engine.to_pyarrow(table).to_pylist()
    finally:
        engine.close()
    return rows


def test_conversion_rate_revenue_and_average_order_by_device(built: Built) -> None:
    rows = {row["device_type"]: row for row in _run(built, device_conversion)}
    assert {device: (r["sessions"], r["converting_sessions"], r["conversion_rate"]) for device, r in rows.items()} == {
        "desktop": (2, 1, 0.5),
        "mobile": (2, 1, 0.5),
        "offline": (1, 1, 1.0),
    }
    assert (rows["desktop"]["revenue"], rows["desktop"]["average_order"]) == (200000.0, 200000.0)


def test_by_operating_system(built: Built) -> None:
    rows = {row["os"]: row["converting_sessions"] for row in _run(built, device_conversion, by="os")}
    assert rows == {"Android": 0, "Windows": 1, "iOS": 1, "macOS": 0, "offline": 1}


def test_cross_device_journeys_and_conversions_on_another_device(built: Built) -> None:
    [row] = _run(built, cross_device)
    # Dewi's journey, a sale at the till, had no touch on a device: it is neither counted nor crossed.
    assert (row["journeys"], row["cross_device_journeys"]) == (3, 1)
    assert row["cross_device_share"] == pytest.approx(1 / 3)
    assert (row["conversions"], row["converted_on_another_device"]) == (2, 1)
    assert row["another_device_share"] == pytest.approx(1 / 2)


def test_which_device_closes_after_which(built: Built) -> None:
    rows = [(r["first_device"], r["converting_device"], r["conversions"]) for r in _run(built, device_handoff)]
    assert sorted(rows) == [("mobile", "desktop", 1), ("mobile", "mobile", 1), ("offline", "offline", 1)]


def test_an_unknown_grouping_is_refused(built: Built) -> None:
    with pytest.raises(SettingError, match="device_type or os"):
        _run(built, device_conversion, by="browser")


def test_the_journeys_keep_each_ones_first_device_and_whether_it_crossed_devices(built: Built) -> None:
    journeys = built.table("journeys").to_pylist()
    kept = {
        row["person_id"]: (row["first_device"], row["crossed_devices"], row["converting_device"]) for row in journeys
    }
    assert sorted(kept.values(), key=str) == sorted(
        [
            ("mobile", True, "desktop"),
            ("mobile", False, "mobile"),
            ("desktop", False, None),
            ("offline", False, "offline"),
        ],
        key=str,
    )


def test_the_dashboard_counts_only_the_journeys_inside_its_dates(built: Built) -> None:
    import datetime as dt

    from jejak.service.builds import open_build
    from jejak.service.reports import Scope, devices

    with open_build(built.project) as opened:
        everything = devices(opened, Scope())
        # From 4 March: Budi (5th), Citra (6th) and Dewi (7th, at the till: no device); Ana bought on the 3rd, across
        # devices.
        later = devices(opened, Scope(start=dt.date(2026, 3, 4)))
    assert (everything["cross_device"][0]["journeys"], everything["cross_device"][0]["cross_device_journeys"]) == (3, 1)
    assert (later["cross_device"][0]["journeys"], later["cross_device"][0]["cross_device_journeys"]) == (2, 0)
    assert sorted((r["first_device"], r["conversions"]) for r in later["handoff"]) == [("mobile", 1), ("offline", 1)]


def test_journeys_without_their_devices_are_refused_with_a_way_out(built: Built) -> None:
    engine = connect()
    try:
        journeys = engine.read_parquet(table_path(built.project, "journeys")).drop("first_device")
        with pytest.raises(SettingError, match="rebuild the project"):
            cross_device(journeys=journeys)
    finally:
        engine.close()


# As a call log and a marketplace's orders are imported: tracks with the channel their file gave (`--set`), no type
# and no device.
def given(at: str, event: str, channel: str, revenue: int | None = None) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": event, "channel": channel, "revenue": revenue}


CHANNELS_STORY: dict[str, list[dict[str, Any]]] = {
    # Eko calls the shop, then buys on his phone ten minutes later: one device, two channels.
    "eko": [
        given("2026-04-01 09:00", "Call", "Call Centre"),
        visit("2026-04-01 09:10", "Paid Social", "mobile", "Android"),
        buy("2026-04-01 09:15", 90000, "mobile", "Android"),
    ],
    # Fitri looks on her phone and orders on Shopee: the order names no device.
    "fitri": [
        visit("2026-04-02 20:00", "Organic Social", "mobile", "iOS"),
        given("2026-04-03 08:00", "Order Completed", "Marketplace", 120000),
    ],
    # Gita reads on her laptop and buys on her phone: across devices.
    "gita": [
        visit("2026-04-04 10:00", "Organic Search", "desktop", "Windows"),
        buy("2026-04-05 21:00", 150000, "mobile", "Android"),
    ],
}


@pytest.fixture(scope="module")
def channels_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_story(tmp_path_factory.mktemp("devices-channels"), CHANNELS_STORY)


def test_a_call_or_a_marketplace_order_is_no_device_a_journey_crosses_to(channels_built: Built) -> None:
    [row] = _run(channels_built, cross_device)
    assert (row["journeys"], row["cross_device_journeys"]) == (3, 1)
    # Fitri's order closed on no device; Eko's and Gita's on a phone, Gita's after a laptop.
    assert (row["conversions"], row["converted_on_another_device"]) == (2, 1)
    handoff = {
        (r["first_device"], r["converting_device"]): r["conversions"] for r in _run(channels_built, device_handoff)
    }
    assert handoff == {("mobile", "mobile"): 1, ("mobile", NOT_SET): 1, ("desktop", "mobile"): 1}


def test_a_call_given_its_channel_by_its_file_is_an_offline_touch_of_its_own(channels_built: Built) -> None:
    rows = {row["device_type"]: row["sessions"] for row in _run(channels_built, device_conversion)}
    # The call is a session of its own (not the start of Eko's visit ten minutes later), and on no device.
    assert rows["offline"] == 1
    eko = [j for j in channels_built.table("journeys").to_pylist() if j["converted"] and j["revenue"] == 90000]
    assert [j["path"] for j in eko] == [["Call Centre", "Paid Social"]]


def test_the_sessions_on_no_device_are_named_by_their_channel(channels_built: Built) -> None:
    # Fitri's Shopee order names no device: it is the `(not set)` row, and the report says it is the Marketplace's.
    devices = {row["device_type"]: row for row in _run(channels_built, device_conversion)}
    unnamed = _run(channels_built, unnamed_device_channels)
    assert [(row["channel"], row["sessions"], row["converting_sessions"]) for row in unnamed] == [("Marketplace", 1, 1)]
    assert sum(row["sessions"] for row in unnamed) == devices[NOT_SET]["sessions"]
    assert sum(row["converting_sessions"] for row in unnamed) == devices[NOT_SET]["converting_sessions"]
    assert [row["session_share"] for row in unnamed] == [1.0]
    # Grouped by OS, the offline call is `offline` and so not among them either.
    assert {row["channel"] for row in _run(channels_built, unnamed_device_channels, by="os")} == {"Marketplace"}


def test_offline_channels_is_a_setting(tmp_path_factory: pytest.TempPathFactory) -> None:
    def eko_paths(built: Built) -> list[list[str]]:
        return [j["path"] for j in built.table("journeys").to_pylist() if j["converted"] and j["revenue"] == 90000]

    built = build_story(
        tmp_path_factory.mktemp("devices-online-calls"), CHANNELS_STORY, settings={"offline_channels": []}
    )
    # Without it the call is an online touch, on no device: no session is offline.
    assert "offline" not in {row["device_type"] for row in _run(built, device_conversion)}
    # Eko's visit still starts a session of its own, as it arrives from elsewhere (its channel) than the call.
    assert eko_paths(built) == [["Call Centre", "Paid Social"]]
    # With neither, the call opens the session Eko's visit joins: the visit's channel is lost.
    neither = {"offline_channels": [], "session_split_at_new_source": False}
    assert eko_paths(build_story(tmp_path_factory.mktemp("devices-one-session"), CHANNELS_STORY, settings=neither)) == [
        ["Call Centre"]
    ]
