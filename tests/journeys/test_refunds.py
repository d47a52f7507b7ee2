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
from conftest import cli_project, lake_events, make_project, quarantined, write_csv, write_jsonl

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


def _revenues(build: Path) -> dict[str, tuple[float, float, float]]:
    """Each conversion's gross revenue, the refunds subtracted from it and its net revenue."""
    rows = _table(build, "conversions")
    return {row["conversion_event_id"]: (row["gross_revenue"], row["refunded_revenue"], row["revenue"]) for row in rows}


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
    assert _revenues(build) == {
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
    assert "naming an order id no conversion has" in shown.output


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


def _shopify_row(name: str, status: str, total: str, refunded: str, item: str, **more: str) -> dict[str, str]:
    """A row of Shopify's orders export (some of its columns): an order's fields on its first line item's row."""
    return {"Name": name, "Email": f"{name[1:]}@example.com", "Financial Status": status, "Currency": "IDR",
            "Total": total, "Refunded Amount": refunded, "Created at": "2026-11-02 10:00:00 +0700",
            "Lineitem name": item, **more}  # fmt: skip


def test_an_orders_export_that_states_each_orders_refunded_amount_counts_it_net(tmp_path: Path) -> None:
    """Shopify's orders export gives a partially refunded order's `Refunded Amount` on its row, and no refund event:
    before, the order counted its whole total. Its status says partially_refunded, a purchase all the same."""
    runner, root = cli_project(tmp_path)
    no_order = dict.fromkeys(("Name", "Email", "Financial Status", "Currency", "Total", "Refunded Amount",
                              "Created at"), "")  # fmt: skip
    orders = write_csv(
        tmp_path / "orders_export.csv",
        [
            _shopify_row("#1001", "paid", "150000.00", "0.00", "Kopi Gayo 250g"),
            {**no_order, "Name": "#1001", "Lineitem name": "Filter V60"},
            _shopify_row("#1002", "partially_refunded", "90000.00", "30000.00", "Kopi Toraja 250g"),
            {**no_order, "Name": "#1002", "Lineitem name": "Kopi Kintamani 250g"},
            _shopify_row("#1003", "refunded", "50000.00", "50000.00", "Kopi Aceh 250g"),
            _shopify_row("#1004", "partially_refunded", "80000.00", "dua puluh ribu", "Kopi Flores 250g"),
            _shopify_row("#1005", "partially_refunded", "60000.00", "-15000.00", "Kopi Bali 250g"),
        ],
    )
    statuses = "paid=Order Completed,partially_refunded=Order Completed,refunded=Order Refunded"
    imported = runner.invoke(
        cli,
        ["import", str(orders), "--project", str(root), "--set", "channel=Online Store",
         "--map", "Name=event_id,Created at=timestamp,Total=revenue,Financial Status=event",
         "--event-names", statuses],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    # The amount is read as every revenue is; one that is no amount is quarantined, and says which column.
    [bad] = quarantined(open_project(root))
    assert bad["reason"] == "wrong_type" and "refunded_revenue dua puluh ribu is not a number" in bad["message"]
    stated = {row["event_id"]: json.loads(row["properties"]).get("refunded_revenue") for row in lake_events(
        open_project(root))}  # fmt: skip
    assert stated == {"#1001": None, "#1002": 30000.0, "#1003": 50000.0, "#1005": 15000.0}  # 0.00 is none

    assert runner.invoke(cli, ["build", "--project", str(root)]).exit_code == 0
    build = root / "data" / "tables"
    assert _revenues(build) == {
        "#1001": (150000.0, 0.0, 150000.0),
        "#1002": (90000.0, 30000.0, 60000.0),
        "#1005": (60000.0, 15000.0, 45000.0),  # a minus sign says the same
    }
    assert sum(row["revenue"] for row in _table(build, "paths")) == 255000.0
    refunds = {row["refund_event_id"]: (row["conversion_event_id"], row["outcome"]) for row in _table(build, "refunds")}
    # The wholly refunded order is a refund event of its own (its status), naming no order: never a conversion.
    assert refunds == {
        "#1002": ("#1002", "stated_on_order"),
        "#1005": ("#1005", "stated_on_order"),
        "#1003": (None, "no_order_id"),
    }
    summary = runner.invoke(cli, ["report", "summary", "--format", "json", "--project", str(root)])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.output)
    assert data["headline"][0]["revenue"] == 255000.0
    assert [(row["outcome"], row["refunds"], row["amount"], row["subtracted_revenue"]) for row in data["refunds"]] == [
        ("stated_on_order", 2, 45000.0, 45000.0),
        ("no_order_id", 1, 50000.0, 0.0),
    ]
    shown = runner.invoke(cli, ["report", "summary", "--project", str(root)])
    assert "on their order's own row: subtracted" in shown.output


def test_tiktok_shops_order_refund_amount_is_read_as_the_refunded_amount(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    orders = write_csv(
        tmp_path / "tiktok.csv",
        [{"Order ID": "5761", "Created Time": "01/11/2026 10:00:00", "Order Amount": "Rp 120.000",
          "Order Refund Amount": "Rp 40.000", "Buyer Username": "sari"}],
    )  # fmt: skip
    import_file(
        project,
        orders,
        column_map={"Order ID": "event_id", "Created Time": "timestamp", "Order Amount": "revenue",
                    "Buyer Username": "user_id"},
        constants={"event": "Order Completed", "channel": "Marketplace"},
        timestamp_formats=("%d/%m/%Y %H:%M:%S",),
    )  # fmt: skip
    [order] = lake_events(project)
    assert (order["revenue"], json.loads(order["properties"])["refunded_revenue"]) == (120000.0, 40000.0)


def test_an_order_stating_a_refund_and_named_by_refund_events_gives_back_the_larger_not_both(tmp_path: Path) -> None:
    """What an order's row states was refunded to date holds its refund events: adding both would count the same
    money twice. A refund event without an amount gives back the amount it states (a returns sheet whose
    `Refunded Amount` is read so)."""
    runner, root = cli_project(tmp_path)
    messages = [
        _order("o1", "2026-03-01T09:00:00+07:00", 300000, "ana", "google", order_id="A-1", refunded_revenue="30000"),
        _order("o2", "2026-03-02T09:00:00+07:00", 200000, "budi", "facebook", order_id="A-2", refunded_revenue="40000"),
        _order("o3", "2026-03-03T09:00:00+07:00", 100000, "citra", "google", order_id="A-3"),
        _refund("r1", "2026-03-05T09:00:00+07:00", 50000, order_id="A-1"),
        _refund("r2", "2026-03-06T09:00:00+07:00", 10000, order_id="A-2"),
    ]
    source = write_jsonl(tmp_path / "web.jsonl", messages)
    returns = write_csv(
        tmp_path / "returns.csv",
        [{"No. Retur": "R3", "No. Pesanan": "A-3", "Waktu": "2026-03-07 10:00", "Pelanggan": "citra",
          "Refunded Amount": "25.000"}],  # Rupiah, as the currency setting says: 25 thousand
    )  # fmt: skip
    mapped = "No. Retur=event_id,No. Pesanan=properties.order_id,Waktu=timestamp,Pelanggan=user_id"
    for path, extra in ((source, []), (returns, ["--set", "event=Order Refunded", "--map", mapped])):
        imported = runner.invoke(cli, ["import", str(path), "--project", str(root), *extra])
        assert imported.exit_code == 0, imported.output
    assert runner.invoke(cli, ["build", "--project", str(root)]).exit_code == 0
    build = root / "data" / "tables"
    refunded = {row["conversion_event_id"]: row["refunded_revenue"] for row in _table(build, "conversions")}
    assert refunded == {"o1": 50000.0, "o2": 40000.0, "o3": 25000.0}
    summary = runner.invoke(cli, ["report", "summary", "--format", "json", "--project", str(root)])
    outcomes = [(row["outcome"], row["refunds"], row["amount"], row["subtracted_revenue"])
                for row in json.loads(summary.output)["refunds"]]  # fmt: skip
    # Each order's subtraction counts under what gave it: Ana's refund event, Budi's row, Citra's returns sheet.
    assert outcomes == [("subtracted", 3, 85000.0, 75000.0), ("stated_on_order", 2, 70000.0, 40000.0)]


def test_an_event_cannot_be_both_a_conversion_and_a_refund() -> None:
    with pytest.raises(SettingError, match="conversion_events and refund_events both name 'purchase'"):
        resolve_settings({"settings": {"refund_events": ["Order Refunded", "purchase"]}}, env={})
