"""A TikTok Shop orders export, imported as the import's own advice says, ends with its orders as conversions.

Its quirks: every id and time ends with a tab (so that Excel keeps an order's 19 digits as text); a row of column
descriptions sits under the header; an order with two products has two rows; and its `Order Status` (Completed,
Cancelled), mapped to the event, named no conversion. Imported so, 150 orders were stored as events that no report
counted, without a word; the tab kept each order id apart from the same order's id written without it, and made a
naive ISO time unreadable.
"""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path

from conftest import TIKTOK_SHOP_MAPPING, cli_project, lake_events, make_project, quarantined

from jejak.cli.main import cli
from jejak.ingest.importer import import_file
from jejak.store.project import open_project

HEADER = ["Order ID", "Order Status", "SKU ID", "Product Name", "Order Amount", "Created Time", "Buyer Username"]
DESCRIPTIONS = ["Platform unique order ID.", "Current order status.", "Platform unique SKU ID.", "Product name",
                "Order amount", "Order created time.", "Buyer username"]  # fmt: skip
TAB = "\t"
ROWS = [
    # Two products of one order: the order is one event, its second row a duplicate.
    ["576000000000000001" + TAB, "Completed", "1700001" + TAB, "Kopi Gayo 200g", "IDR 150.000", "2026-10-01 09:00:00" + TAB, "budi88"],
    ["576000000000000001" + TAB, "Completed", "1700002" + TAB, "Cold Brew 1L", "IDR 150.000", "2026-10-01 09:00:00" + TAB, "budi88"],
    ["576000000000000002" + TAB, "Cancelled", "1700003" + TAB, "Kopi Gayo 200g", "IDR 85.000", "2026-10-02 10:00:00" + TAB, "sari_k"],
    ["576000000000000003" + TAB, "Delivered", "1700004" + TAB, "Robusta 500g", "IDR 120.000", "2026-10-03 11:00:00" + TAB, "sari_k"],
]  # fmt: skip
MAPPING = TIKTOK_SHOP_MAPPING
MAP_OPTION = ",".join(f"{column}={target}" for column, target in MAPPING.items())


def _export(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerows([HEADER, DESCRIPTIONS, *ROWS])
    return path


def test_ids_and_times_lose_the_tab_that_ends_them(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    summary = import_file(project, _export(tmp_path / "orders.csv"), column_map=MAPPING)
    # Three orders stored, the second product row a duplicate, the descriptions quarantined: nothing lost.
    assert (summary.rows_read, summary.rows_stored, summary.duplicates_skipped) == (5, 3, 1), summary
    assert [row["source_line"] for row in quarantined(project)] == [2]
    events = lake_events(project)
    assert sorted(event["event_id"] for event in events) == [f"57600000000000000{n}" for n in (1, 2, 3)]
    assert {event["timestamp"].isoformat() for event in events} == {
        "2026-10-01T02:00:00+00:00",  # 09:00 in Jakarta, the timezone setting
        "2026-10-02T03:00:00+00:00",
        "2026-10-03T04:00:00+00:00",
    }
    # The same order written without the tab (another tool's export) is the order already stored.
    again = tmp_path / "api.csv"
    again.write_text(
        "Order ID,Order Status,Order Amount,Created Time,Buyer Username\n"
        "576000000000000001,Completed,IDR 150.000,2026-10-01 09:00:00,budi88\n"
    )
    assert import_file(project, again, column_map=MAPPING).duplicates_skipped == 1


def test_orders_named_by_their_status_are_said_to_be_no_conversion_and_the_advice_makes_them_so(
    tmp_path: Path,
) -> None:
    runner, project = cli_project(tmp_path, "toko")
    path = _export(tmp_path / "tiktok.csv")
    options = ["import", str(path), "--map", MAP_OPTION, "--set", "channel=Marketplace", "--project", str(project)]
    first = runner.invoke(cli, options, env={"COLUMNS": "400"})
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())  # the warning as one line, as the terminal folded it at its width
    assert "3 of its events have a revenue, and none of its events is a conversion" in said, said
    assert "By event: Cancelled 1, Completed 1, Delivered 1." in said, said
    advised = re.search(r"add (--event-names '[^']+')", said)
    assert advised is not None, said
    [option, names] = shlex.split(advised.group(1))
    assert names == "Cancelled=Order Cancelled,Completed=Order Completed,Delivered=Order Completed"
    assert "import it again with --replace" in said

    # As the advice says: the completed and the delivered order are conversions, the cancelled one is not.
    fixed = runner.invoke(cli, [*options, option, names, "--replace"], env={"COLUMNS": "400"})
    assert fixed.exit_code == 0, fixed.output
    assert "none of its events is a conversion" not in fixed.output, fixed.output
    stored = {event["event_id"]: event["event"] for event in lake_events(open_project(project))}
    assert stored == {
        "576000000000000001": "Order Completed",
        "576000000000000002": "Order Cancelled",
        "576000000000000003": "Order Completed",
    }
    built = runner.invoke(cli, ["build", "--project", str(project)])
    assert built.exit_code == 0, built.output
    summary = runner.invoke(cli, ["report", "summary", "--format", "json", "--project", str(project)])
    assert '"conversions"' in summary.output and "270000" in summary.output.replace(",", ""), summary.output


def test_a_file_with_conversions_or_without_revenue_is_not_warned_of(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    views = tmp_path / "views.csv"
    views.write_text("timestamp,user_id,event\n2026-10-01 09:00:00,ana,Page Viewed\n")
    assert import_file(project, views).unconverted is None  # no revenue: no orders
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "timestamp,user_id,event,revenue\n2026-10-01 09:00:00,ana,Order Completed,10\n"
        "2026-10-01 09:05:00,ana,Checkout Started,10\n"
    )
    assert import_file(project, orders).unconverted is None  # one conversion: its other events are no orders
    # A day of the site's events with checkouts and no order: a checkout carries the cart's value by its spec.
    checkouts = tmp_path / "checkouts.csv"
    checkouts.write_text("timestamp,user_id,event,revenue\n2026-10-02 09:00:00,ana,Checkout Started,10\n")
    assert import_file(project, checkouts).unconverted is None
