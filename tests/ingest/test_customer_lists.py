"""A customer list (a loyalty program's members, Shopify's customers export) imported by following what jejak says.

Such a file has one row per customer, with their whole life's spending and count of orders. Imported as it was, the
refusal told the user to `--set "event=Order Completed"` and offered `Total Belanja` as the revenue: followed, each
member would have been one order of everything they ever spent, on the day they signed up, and revenue by channel
and every model's credit would have counted it again beside the orders themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import cli_project, refusal_advice, write_csv

from jejak.cli.main import cli
from jejak.core.clock import utc_now
from jejak.ingest.mapping import is_customer_list, suggested_map

MEMBERS_HEADER = ("ID Member", "Nama", "Email", "No HP", "Tanggal Daftar", "Total Belanja", "Jumlah Transaksi")
MEMBERS = [
    ("M-001", "Budi Santoso", "budi@example.com", "0812-3456-7890", "2025-01-15", "1250000", "14"),
    ("M-002", "Sari Dewi", "sari@example.com", "0813-1111-2222", "2025-03-02", "300000", "3"),
]
SHOPIFY_HEADER = ("Customer ID", "First Name", "Last Name", "Email", "Phone", "Total Spent", "Total Orders")
# Shopify marks its ids and phones as text for Excel (`'7001`).
SHOPIFY = [("'7001", "Budi", "Santoso", "budi@example.com", "'+6281234567890", "1250000.00", "14")]


@pytest.mark.parametrize(
    ("header", "customers"),
    [
        (MEMBERS_HEADER, True),
        (SHOPIFY_HEADER, True),
        (("No. Pesanan", "Waktu Pesanan Dibuat", "Total Pembayaran", "No. Telepon"), False),  # Shopee's orders
        (("Waktu", "Receipt Number", "Customer", "Net Sales"), False),  # a till's sales
    ],
)
def test_a_customer_list_is_told_by_its_count_of_orders(header: tuple[str, ...], customers: bool) -> None:
    assert is_customer_list(header) is customers
    offered = suggested_map(header, ["properties"] * len(header))
    # A customer's whole spending is no order's revenue; an order's total is.
    assert ("revenue" in offered.values()) is not customers


def test_following_the_refusal_joins_each_customer_and_counts_no_order(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    members = write_csv(tmp_path / "members.csv", [dict(zip(MEMBERS_HEADER, row, strict=True)) for row in MEMBERS])
    typed = refusal_advice(runner, project, members)
    assert typed == ["--map", "ID Member=user_id,No HP=phone,Tanggal Daftar=timestamp", "--set", "type=identify"]
    assert runner.invoke(cli, ["import", str(members), *typed, "--project", str(project)]).exit_code == 0
    # Shopify's list has no day: the advice gives the import's, and its e-mail and phone join its customer to hers.
    shopify = write_csv(tmp_path / "customers.csv", [dict(zip(SHOPIFY_HEADER, row, strict=True)) for row in SHOPIFY])
    typed = refusal_advice(runner, project, shopify)
    assert typed == ["--map", "Customer ID=user_id", "--set", f"type=identify,timestamp={utc_now().date()}"]
    assert runner.invoke(cli, ["import", str(shopify), *typed, "--project", str(project)]).exit_code == 0
    # An order on the website by the member's e-mail.
    orders = tmp_path / "orders.csv"
    orders.write_text("timestamp,email,event,revenue\n2026-10-01 10:00,BUDI@example.com,Order Completed,85000\n")
    assert runner.invoke(cli, ["import", str(orders), "--project", str(project)]).exit_code == 0
    assert runner.invoke(cli, ["build", "--project", str(project)]).exit_code == 0

    tables = project / "data" / "tables"
    people = pq.read_table(tables / "people").to_pylist()
    assert sorted(row["user_ids"] for row in people) == [1, 2]  # Budi's member id and Shopify id are one person
    # Shopify's id without its text mark, so the shop's other exports' `7001` is the same customer.
    assert "1u:7001" in {row["node"] for row in pq.read_table(tables / "identities").to_pylist()}
    journeys = pq.read_table(tables / "journeys").to_pylist()
    converted = [row for row in journeys if row["converted"]]
    assert [(row["revenue"], row["path"]) for row in converted] == [(85000.0, ["Direct"])]
    # The lists' rows are no visits: no journey is made of them alone.
    assert len(journeys) == 1
    assert all(row["conversion_at"] > dt.datetime(2026, 1, 1, tzinfo=dt.UTC) for row in converted)
