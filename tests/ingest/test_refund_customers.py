"""A refund that names its order and no customer gets the customer of that order.

A returns sheet (a till's refunds, a shop's list of returns) names the order it refunds, and often no customer: the
order's row named them. Before, each such row was quarantined as naming no one; with `--keep-anonymous` each was a
person of its own who never bought, counted in the people table and its stages. Now the import gives it the
identifiers of the one conversion whose order it names, as if the sheet had named the customer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import cli_project, lake_events, quarantined, write_csv, write_jsonl

from jejak.cli.main import cli
from jejak.ingest import readers
from jejak.store.project import open_project

ORDERS = [
    {"No. Pesanan": "1001", "Waktu": "2026-03-01 09:00", "No. Telepon": "0812-3456-7890", "Total": "300000"},
    {"No. Pesanan": "1002", "Waktu": "2026-03-02 10:00", "No. Telepon": "0813-1111-2222", "Total": "80000"},
    {"No. Pesanan": "1003", "Waktu": "2026-03-03 11:00", "No. Telepon": "0812-3456-7890", "Total": "50000"},
]
ORDER_OPTIONS = [
    *("--map", "No. Pesanan=event_id,Waktu=timestamp,No. Telepon=phone,Total=revenue"),
    *("--set", "event=Order Completed,channel=Marketplace"),
]
# A returns sheet: the order's number, when, and how much came back; no customer.
RETURNS = [
    {"No. Pesanan": "1001", "Tanggal": "2026-03-05 09:00", "Jumlah": "100000"},
    {"No. Pesanan": "1002.0", "Tanggal": "2026-03-06 09:00", "Jumlah": "80000"},  # saved by pandas: still order 1002
]
RETURN_OPTIONS = [
    *("--map", "No. Pesanan=properties.order_id,Tanggal=timestamp,Jumlah=revenue"),
    *("--set", "event=Order Refunded"),
]


def _import(runner: CliRunner, project: Path, path: Path, options: list[str], *more: str) -> str:
    done = runner.invoke(cli, ["import", str(path), *options, *more, "--project", str(project)], env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    return " ".join(done.output.split())


def _by_event_id(project: Path) -> dict[str, dict[str, Any]]:
    return {event["event_id"]: event for event in lake_events(open_project(project, env={}))}


def _refunds(project: Path) -> list[dict[str, Any]]:
    return [event for event in lake_events(open_project(project, env={})) if event["event"] == "Order Refunded"]


def _assert_refunds_have_their_orders_customers(project: Path) -> None:
    """RETURNS's two refunds are stored, each with the phone of the order it names (1001, then 1002)."""
    stored = _by_event_id(project)
    assert [refund["phone_hash"] for refund in _refunds(project)] == [
        stored["1001"]["phone_hash"],
        stored["1002"]["phone_hash"],
    ]


def _build(runner: CliRunner, project: Path) -> Path:
    built = runner.invoke(cli, ["build", "--project", str(project)])
    assert built.exit_code == 0, built.output
    return project / "data" / "tables"


def test_a_returns_sheet_without_customers_gives_each_refund_its_orders_customer(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    _import(runner, project, write_csv(tmp_path / "orders.csv", ORDERS), ORDER_OPTIONS)
    said = _import(runner, project, write_csv(tmp_path / "returns.csv", RETURNS), RETURN_OPTIONS)
    assert "2 refunds naming no customer given the customer of the order they name" in said
    assert not quarantined(open_project(project, env={}))
    stored = _by_event_id(project)
    refunds = _refunds(project)
    assert len(refunds) == 2
    for refund, order in zip(refunds, ("1001", "1002"), strict=True):
        assert refund["phone_hash"] == stored[order]["phone_hash"] is not None
        assert refund["user_id"] is None and refund["anonymous_id"] is None and refund["email_hash"] is None
    build = _build(runner, project)
    people = pq.read_table(build / "people").to_pylist()
    assert len(people) == 2  # the two customers: no person made of a refund
    person_of = {row["event_id"]: row["person_id"] for row in pq.read_table(build / "events").to_pylist()}
    for refund, order in zip(refunds, ("1001", "1002"), strict=True):
        assert person_of[refund["event_id"]] == person_of[order]
    net = {row["conversion_event_id"]: row["revenue"] for row in pq.read_table(build / "conversions").to_pylist()}
    assert net == {"1001": 200000.0, "1002": 0.0, "1003": 50000.0}


def test_an_orders_export_without_its_customer_column_is_still_refused_at_once(tmp_path: Path) -> None:
    """An order id lets a refund find its customer; an order's own row has no one to take one from."""
    runner, project = cli_project(tmp_path)
    path = write_csv(tmp_path / "orders.csv", [{**order, "order_id": order["No. Pesanan"]} for order in ORDERS])
    options = ["--map", "Waktu=timestamp,Total=revenue", "--set", "event=Order Completed"]
    done = runner.invoke(cli, ["import", str(path), *options, "--project", str(project)], env={"COLUMNS": "300"})
    assert done.exit_code == 1
    assert "has none of the identifier columns" in " ".join(done.output.split())
    assert not lake_events(open_project(project, env={}))


def test_a_refund_imported_before_its_order_says_so_and_gets_the_customer_when_the_order_comes(
    tmp_path: Path,
) -> None:
    runner, project = cli_project(tmp_path)
    said = _import(runner, project, write_csv(tmp_path / "returns.csv", RETURNS), RETURN_OPTIONS)
    assert "--keep-anonymous" not in said  # no walk-in sales: refunds whose orders are not here yet
    rows = quarantined(open_project(project, env={}))
    assert [row["reason"] for row in rows] == ["no_identifier", "no_identifier"]
    assert rows[0]["message"].startswith("a refund of order '1001': none of user_id")
    assert "the row is re-tried when an import brings that order" in rows[0]["message"]
    assert rows[1]["message"].startswith("a refund of order '1002': ")
    # Another file that brings no order of theirs leaves them be: same rows, same ids, no re-try logged.
    visits = [{"user_id": "ana", "timestamp": "2026-03-04 09:00", "event": "Product Viewed"}]
    said = _import(runner, project, write_csv(tmp_path / "visits.csv", visits), [])
    assert "re-tried" not in said
    assert quarantined(open_project(project, env={})) == rows
    said = _import(runner, project, write_csv(tmp_path / "orders.csv", ORDERS), ORDER_OPTIONS)
    assert "2 refunds quarantined until their order was imported re-tried: 2 given the customer of their order" in said
    assert "jejak quarantine list" not in said
    assert not quarantined(open_project(project, env={}))
    _assert_refunds_have_their_orders_customers(project)


def test_orders_a_quarantine_retry_brings_in_give_the_waiting_refunds_their_customers(tmp_path: Path) -> None:
    """The orders' times were in a format not set yet: quarantined, then re-tried once it is. Their refunds, which
    waited for them, are re-tried by that re-try, not left for the next import."""
    runner, project = cli_project(tmp_path)
    _import(runner, project, write_csv(tmp_path / "returns.csv", RETURNS), RETURN_OPTIONS)
    # Named by the marketplace's username, not a phone: a masked phone could not be re-tried from the quarantine.
    day_first = [
        {"No. Pesanan": order["No. Pesanan"], "Waktu": f"0{day}/03/2026 09:00", "Pembeli": f"buyer{day}", "Total": "1"}
        for day, order in enumerate(ORDERS, start=1)
    ]
    options = ["--map", "No. Pesanan=event_id,Waktu=timestamp,Pembeli=user_id,Total=revenue", *ORDER_OPTIONS[2:]]
    said = _import(runner, project, write_csv(tmp_path / "orders.csv", day_first), options)
    assert "bad_timestamp 3" in said and "re-tried" not in said
    assert sorted(row["reason"] for row in quarantined(open_project(project, env={}))) == [
        "bad_timestamp",
        "bad_timestamp",
        "bad_timestamp",
        "no_identifier",
        "no_identifier",
    ]
    config = project / "jejak.toml"
    config.write_text(
        config.read_text().replace("[settings]\n", '[settings]\ntimestamp_formats = ["%d/%m/%Y %H:%M"]\n')
    )
    at = ["--project", str(project)]
    done = runner.invoke(cli, ["quarantine", "retry", "--reason", "bad_timestamp", *at], env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "3 re-tried: 3 stored" in said, said
    assert "2 refunds quarantined until their order was imported re-tried: 2 given the customer of their order." in said
    assert not quarantined(open_project(project, env={}))
    assert [refund["user_id"] for refund in _refunds(project)] == ["buyer1", "buyer2"]  # orders 1001 and 1002


def test_a_returns_sheet_named_before_its_orders_in_one_command_gets_their_customers(tmp_path: Path) -> None:
    """Files are imported in the order given: the returns first, their refunds re-tried once the orders are in."""
    runner, project = cli_project(tmp_path)
    write_csv(tmp_path / "orders.csv", ORDERS)
    write_csv(tmp_path / "returns.csv", RETURNS)
    # Each file read by its profile (as a shop that imports both every month keeps them).
    config = project / "jejak.toml"
    profiles = """
[import.profiles.orders]
files = ["orders*.csv"]
[import.profiles.orders.map]
"No. Pesanan" = "event_id"
Waktu = "timestamp"
"No. Telepon" = "phone"
Total = "revenue"
[import.profiles.orders.set]
event = "Order Completed"
channel = "Marketplace"

[import.profiles.returns]
files = ["returns*.csv"]
[import.profiles.returns.map]
"No. Pesanan" = "properties.order_id"
Tanggal = "timestamp"
Jumlah = "revenue"
[import.profiles.returns.set]
event = "Order Refunded"
"""
    config.write_text(config.read_text(encoding="utf-8") + profiles, encoding="utf-8")
    done = runner.invoke(
        cli,
        ["import", str(tmp_path / "returns.csv"), str(tmp_path / "orders.csv"), "--project", str(project)],
        env={"COLUMNS": "300"},
    )
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "2 refunds quarantined until their order was imported re-tried: 2 given" in said
    assert not quarantined(open_project(project, env={}))
    _assert_refunds_have_their_orders_customers(project)


def test_a_refund_re_tried_when_two_orders_with_its_id_come_says_so(tmp_path: Path) -> None:
    runner, project = cli_project(tmp_path)
    returns = [{"No. Pesanan": "1", "Tanggal": "2026-03-05 09:00", "Jumlah": "5000"}]
    _import(runner, project, write_csv(tmp_path / "returns.csv", returns), RETURN_OPTIONS)
    orders = [
        {"type": "track", "messageId": f"{till}-1", "userId": user, "event": "Order Completed",
         "timestamp": "2026-03-01T09:00:00+07:00", "properties": {"order_id": "1", "revenue": 10000}}
        for till, user in (("kemang", "budi"), ("bintaro", "sari"))
    ]  # fmt: skip
    said = _import(runner, project, write_jsonl(tmp_path / "orders.jsonl", orders), [])
    assert "1 refund quarantined until their order was imported re-tried: 0 given" in said
    assert "1 quarantined again" in said
    (row,) = quarantined(open_project(project, env={}))
    assert "2 orders have that id" in row["message"]
    assert not _refunds(project)


def test_a_refund_whose_order_id_two_customers_orders_have_stays_quarantined(tmp_path: Path) -> None:
    """Two tills that number their receipts from 1: whose refund it is is not known, so it is given no one's."""
    runner, project = cli_project(tmp_path)
    orders = [
        {"type": "track", "messageId": f"{till}-1", "userId": user, "event": "Order Completed",
         "timestamp": "2026-03-01T09:00:00+07:00", "properties": {"order_id": "1", "revenue": 10000}}
        for till, user in (("kemang", "budi"), ("bintaro", "sari"))
    ]  # fmt: skip
    _import(runner, project, write_jsonl(tmp_path / "orders.jsonl", orders), [])
    returns = [{"No. Pesanan": "1", "Tanggal": "2026-03-05 09:00", "Jumlah": "5000"}]
    _import(runner, project, write_csv(tmp_path / "returns.csv", returns), RETURN_OPTIONS)
    (row,) = quarantined(open_project(project, env={}))
    assert row["reason"] == "no_identifier"
    assert row["message"].startswith("a refund of order '1': ")
    assert "2 orders have that id" in row["message"]
    assert not _refunds(project)


@pytest.mark.parametrize("line_a_chunk", [False, True], ids=["sales-in-the-same-chunk", "sales-staged-before"])
def test_a_till_file_gives_its_refund_rows_the_customer_of_the_sale_they_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line_a_chunk: bool
) -> None:
    """The sale may be in the same file: in the chunk being read, or in one staged before it. A refund that names a
    customer keeps its own; with --keep-anonymous, a walk-in sale is still a person of its own, and a refund of a
    sale whose customer is known is that customer's."""
    if line_a_chunk:  # plain lines, or lines read by Python's csv: the sales are staged before the refunds are read
        monkeypatch.setattr(readers, "PLAIN_BLOCK_BYTES", 1)
        monkeypatch.setattr(readers, "CHUNK_ROWS", 1)
    runner, project = cli_project(tmp_path)
    till = [
        {"Struk": "S1", "Waktu": "2026-03-01 09:00", "HP": "0812-3456-7890", "Total": "85000", "Jenis": "Sale"},
        {"Struk": "S2", "Waktu": "2026-03-01 10:00", "HP": "-", "Total": "28000", "Jenis": "Sale"},  # a walk-in
        {"Struk": "S3", "Waktu": "2026-03-01 11:00", "HP": "0813-1111-2222", "Total": "40000", "Jenis": "Sale"},
        {"Struk": "S3-R", "Waktu": "2026-03-01 12:00", "HP": "", "Total": "-40000", "Jenis": "Refund", "Asal": "S3"},
        {"Struk": "S1-R", "Waktu": "2026-03-02 12:00", "HP": "", "Total": "-5000", "Jenis": "Refund", "Asal": "S1"},
        # The refund names its own customer (a friend's number): kept, not replaced by the sale's.
        {"Struk": "S1-R2", "Waktu": "2026-03-02 13:00", "HP": "0857-0000-1111", "Total": "-1000", "Jenis": "Refund",
         "Asal": "S1"},
    ]  # fmt: skip
    options = [
        *("--map", "Struk=event_id,Waktu=timestamp,HP=phone,Total=revenue,Jenis=event,Asal=properties.order_id"),
        *("--event-names", "Sale=Order Completed,Refund=Order Refunded", "--set", "channel=Offline Store"),
    ]
    said = _import(runner, project, write_csv(tmp_path / "kasir.csv", till), options, "--keep-anonymous")
    assert "2 refunds naming no customer given the customer of the order they name" in said
    assert not quarantined(open_project(project, env={}))
    stored = _by_event_id(project)
    assert stored["S3-R"]["phone_hash"] == stored["S3"]["phone_hash"] is not None
    assert stored["S1-R"]["phone_hash"] == stored["S1"]["phone_hash"] is not None
    assert stored["S3-R"]["anonymous_id"] is None and stored["S1-R"]["anonymous_id"] is None
    assert stored["S1-R2"]["phone_hash"] not in (None, stored["S1"]["phone_hash"])
    assert stored["S2"]["anonymous_id"] == "row:S2"  # the walk-in sale, kept as a person of its own
