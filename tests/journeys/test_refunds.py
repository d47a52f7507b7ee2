"""Refunds are subtracted from the revenue of the orders they name, in every table after the conversions.

Before, a refund event was stored and counted nowhere: an order refunded in full still brought its whole revenue to
its channel, its path and every attribution model. GA4's purchase revenue is net of refunds; so is jejak's now.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import cli_project, make_project, write_csv, write_jsonl

from jejak.cli.main import cli
from jejak.core.errors import SettingError
from jejak.core.settings import resolve_settings
from jejak.ingest.importer import import_file
from jejak.pipeline import run_build
from jejak.service import reports
from jejak.service.builds import open_build
from jejak.service.reports import Scope
from jejak.store.project import open_project


def _table(build: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(build / name).to_pylist()


def _order(message_id: str, when: str, revenue: float, user: str, source: str, **order: str) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": message_id,
        "userId": user,
        "event": "Order Completed",
        "timestamp": when,
        "properties": {"revenue": revenue, "currency": "IDR", **order},
        "context": {"campaign": {"source": source, "medium": "cpc"}},
    }


def _refund(message_id: str, when: str, amount: float, **order: str) -> dict[str, Any]:
    """A refund the shop's server sends, its amount as Segment's `total`: no customer, only the order it names."""
    return {
        "type": "track",
        "messageId": message_id,
        "anonymousId": "server",
        "event": "Order Refunded",
        "timestamp": when,
        "properties": {"total": amount, **order},
    }


def test_a_refund_takes_its_amount_off_its_orders_revenue_in_paths_and_attribution(tmp_path: Path) -> None:
    runner, root = cli_project(tmp_path)
    messages = [
        _order("o1", "2026-03-01T09:00:00+07:00", 300000, "ana", "google", order_id="A-1"),
        _order("o2", "2026-03-02T09:00:00+07:00", 80000, "budi", "facebook", order_id="A-2"),
        # A part of Ana's order comes back, with a minus sign as a till writes it; Budi's is refunded past its whole.
        _refund("r1", "2026-03-05T09:00:00+07:00", -100000, order_id="A-1"),
        _refund("r2", "2026-03-06T09:00:00+07:00", 90000, order_id="A-2"),
        _refund("r3", "2026-03-06T10:00:00+07:00", 5000, order_id="A-404"),
    ]
    source = write_jsonl(tmp_path / "web.jsonl", messages)
    assert runner.invoke(cli, ["import", str(source), "--project", str(root)]).exit_code == 0
    built = runner.invoke(cli, ["build", "--project", str(root)])
    assert built.exit_code == 0, built.output
    build = root / "data" / "tables"
    conversions = {row["conversion_event_id"]: row for row in _table(build, "conversions")}
    assert {
        key: (row["gross_revenue"], row["refunded_revenue"], row["revenue"]) for key, row in conversions.items()
    } == {
        "o1": (300000.0, 100000.0, 200000.0),
        "o2": (80000.0, 80000.0, 0.0),  # never below zero
    }
    paths = {row["path"]: row["revenue"] for row in _table(build, "paths")}
    assert paths == {"Paid Search": 200000.0, "Paid Social": 0.0}
    refunds = {row["refund_event_id"]: (row["conversion_event_id"], row["outcome"]) for row in _table(build, "refunds")}
    assert refunds == {"r1": ("o1", "subtracted"), "r2": ("o2", "subtracted"), "r3": (None, "order_not_found")}

    attributed = runner.invoke(cli, ["attribute", "--model", "last_touch", "--format", "json", "--project", str(root)])
    assert attributed.exit_code == 0, attributed.output
    credited = {row["channel"]: row["revenue"] for row in json.loads(attributed.output)}
    assert credited == {"Paid Search": 200000.0, "Paid Social": 0.0}

    summary = runner.invoke(cli, ["report", "summary", "--format", "json", "--project", str(root)])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.output)
    assert data["headline"][0]["revenue"] == 200000.0
    assert [(row["outcome"], row["refunds"], row["amount"], row["subtracted_revenue"]) for row in data["refunds"]] == [
        ("subtracted", 2, 190000.0, 180000.0),  # Budi's 90,000 took only his order's 80,000
        ("order_not_found", 1, 5000.0, 0.0),
    ]
    # The dashboard's overview says how much was subtracted from the period's revenue, Ana's in March alone.
    with open_build(open_project(root)) as built:
        [whole] = reports.overview(built, Scope())["headline"]
        [march_first] = reports.overview(built, Scope(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1)))["headline"]
    assert (whole["revenue"], whole["refunded_revenue"]) == (200000.0, 180000.0)
    assert (march_first["revenue"], march_first["refunded_revenue"]) == (200000.0, 100000.0)
    shown = runner.invoke(cli, ["report", "summary", "--project", str(root)])
    assert "subtracted from their order's revenue" in shown.output
    assert "name an order id no conversion has" in shown.output


def test_a_shops_refunds_file_names_orders_imported_under_their_number(tmp_path: Path) -> None:
    """A marketplace's orders map their number to event_id; its returns file keeps it as `properties.order_id`.
    The returns are no orders named by a status: the import does not say they add nothing."""
    project = make_project(tmp_path / "p")
    orders = write_csv(
        tmp_path / "orders.csv",
        [
            {"No. Pesanan": "2611A1", "Waktu": "2026-11-01 10:00", "Telepon": "0812-1111-2222", "Total": "150000"},
            {"No. Pesanan": "2611A2", "Waktu": "2026-11-02 10:00", "Telepon": "0812-1111-3333", "Total": "90000"},
        ],
    )
    returns = write_csv(
        tmp_path / "returns.csv",
        [{"No. Retur": "R1", "No. Pesanan": "2611A1", "Waktu": "2026-11-05 10:00", "Telepon": "0812-1111-2222",
          "Dana": "50000"}],
    )  # fmt: skip
    import_file(
        project,
        orders,
        column_map={"No. Pesanan": "event_id", "Waktu": "timestamp", "Telepon": "phone", "Total": "revenue"},
        constants={"event": "Order Completed", "channel": "Marketplace"},
    )
    refunds = import_file(
        project,
        returns,
        column_map={"No. Retur": "event_id", "No. Pesanan": "properties.order_id", "Waktu": "timestamp",
                    "Telepon": "phone", "Dana": "revenue"},
        constants={"event": "Order Refunded"},
    )  # fmt: skip
    assert refunds.rows_stored == 1 and refunds.unconverted is None
    build = run_build(project).build_dir
    assert sorted(row["revenue"] for row in _table(build, "conversions")) == [90000.0, 100000.0]


def test_a_refunds_sheet_saved_with_floats_or_text_marks_still_names_its_orders(tmp_path: Path) -> None:
    """pandas writes a number column with gaps as floats (`1001.0`), and a spreadsheet keeps a long number as text
    with a mark (`'1002`); the orders export numbered them 1001 and 1002. Both are subtracted."""
    project = make_project(tmp_path / "p")
    orders = write_csv(
        tmp_path / "orders.csv",
        [
            {"order": "1001", "at": "2026-11-01 10:00", "customer": "ana", "total": "150000"},
            {"order": "1002", "at": "2026-11-02 10:00", "customer": "budi", "total": "90000"},
            {"order": "1003", "at": "2026-11-02 11:00", "customer": "citra", "total": "70000"},
        ],
    )
    returns = write_csv(
        tmp_path / "returns.csv",
        [
            {"order": "1001.0", "at": "2026-11-05 10:00", "customer": "ana", "amount": "50000"},
            {"order": "'1002", "at": "2026-11-06 10:00", "customer": "budi", "amount": "90000"},
            {"order": "1003.5", "at": "2026-11-06 11:00", "customer": "citra", "amount": "1000"},
        ],
    )
    mapped = {"at": "timestamp", "customer": "user_id"}
    import_file(project, orders, column_map={**mapped, "order": "event_id", "total": "revenue"},
                constants={"event": "Order Completed", "channel": "Marketplace"})  # fmt: skip
    import_file(project, returns, column_map={**mapped, "order": "properties.order_id", "amount": "revenue"},
                constants={"event": "Order Refunded"})  # fmt: skip
    build = run_build(project).build_dir
    revenue = {row["conversion_event_id"]: row["revenue"] for row in _table(build, "conversions")}
    assert revenue == {"1001": 100000.0, "1002": 0.0, "1003": 70000.0}
    # 1003.5 is no whole number: no order has it, and it is said so rather than rounded to an order.
    outcomes = {row["order_id"]: row["outcome"] for row in _table(build, "refunds")}
    assert outcomes == {"1001": "subtracted", "1002": "subtracted", "1003.5": "order_not_found"}


def test_an_event_cannot_be_both_a_conversion_and_a_refund() -> None:
    with pytest.raises(SettingError, match="conversion_events and refund_events both name 'purchase'"):
        resolve_settings({"settings": {"refund_events": ["Order Refunded", "purchase"]}}, env={})
