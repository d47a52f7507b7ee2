"""`--sum-revenue`: an export with a row per product and only each product's price gives each order their sum.

Lazada's orders export has a row per item, each with its own `Paid Price`, and no order total. Imported with the
order number as event_id, each order was stored from its first row: its revenue was the first product's price, and
the warning's advice (map the order's total) could not be followed, the file having none.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import cli_project, lake_events, make_project

from jejak.cli.main import cli
from jejak.ingest.importer import ImportOptions, import_file
from jejak.store.project import open_project

LAZADA = (
    "Order Item Id,Created at,Order Number,Customer Name,Paid Price,Status\n"
    "9001,2026-10-01 09:00,L-1,budi,85000.00,delivered\n"
    "9002,2026-10-01 09:00,L-1,budi,65000.00,delivered\n"
    "9003,2026-10-01 09:00,L-1,budi,45000.00,delivered\n"
    "9004,2026-10-02 10:00,L-2,sari,120000.00,delivered\n"
)
MAPPING = {"Created at": "timestamp", "Order Number": "event_id", "Customer Name": "user_id", "Paid Price": "revenue"}
ORDERS = {"L-1": 85_000 + 65_000 + 45_000, "L-2": 120_000}


def _revenues(project_root: Path) -> dict[str, float]:
    return {event["event_id"]: event["revenue"] for event in lake_events(open_project(project_root, env={}))}


def test_each_order_is_the_sum_of_its_products(tmp_path: Path) -> None:
    path = tmp_path / "lazada.csv"
    path.write_text(LAZADA)
    first_rows = make_project(tmp_path / "first")
    plain = import_file(first_rows, path, column_map=MAPPING, constants={"event": "Order Completed"})
    assert plain.revenue_conflict is not None and plain.revenue_conflict.revenues == (85_000, 65_000, 45_000)
    assert _revenues(first_rows.root) == {"L-1": 85_000, "L-2": 120_000}  # the first product's price alone

    summed = make_project(tmp_path / "summed")
    done = import_file(summed, path, column_map=MAPPING, constants={"event": "Order Completed"}, sum_revenue=True)
    assert (done.rows_stored, done.duplicates_skipped, done.revenue_conflict) == (2, 2, None)
    assert _revenues(summed.root) == ORDERS
    # The same file again with the same option: nothing new, and no order read as changed.
    again = import_file(summed, path, column_map=MAPPING, constants={"event": "Order Completed"}, sum_revenue=True)
    assert (again.rows_stored, again.duplicates_skipped, again.changed) == (0, 4, None)


def test_the_option_is_remembered_with_the_import() -> None:
    options = ImportOptions(column_map=MAPPING, sum_revenue=True)
    assert ImportOptions.from_json(options.to_json()) == options
    assert ImportOptions.from_json(ImportOptions().to_json()).sum_revenue is False


def test_the_warning_offers_it_and_following_it_sums_each_order(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path, "toko")
    path = tmp_path / "lazada.csv"
    path.write_text(LAZADA)
    mapping = ",".join(f"{column}={target}" for column, target in MAPPING.items())
    options = ["import", str(path), "--map", mapping, "--set", "event=Order Completed", "--project", str(project)]
    first = runner.invoke(cli, options, env={"COLUMNS": "400"})
    said = " ".join(first.output.split())
    assert first.exit_code == 0, first.output
    assert re.search(r"add --sum-revenue \(with --replace\): an order's revenue is then the sum of its rows'", said), (
        said
    )
    fixed = runner.invoke(cli, [*options, "--sum-revenue", "--replace"], env={"COLUMNS": "400"})
    assert fixed.exit_code == 0, fixed.output
    assert "different revenues" not in fixed.output, fixed.output
    assert _revenues(project) == ORDERS
    # Read again without it, the file's orders would be other revenues: refused, naming how it was read.
    unsummed = runner.invoke(cli, options, env={"COLUMNS": "400"})
    assert unsummed.exit_code == 1, unsummed.output
    assert "imported before with other options" in unsummed.output and "--sum-revenue" in unsummed.output
    assert _revenues(project) == ORDERS
