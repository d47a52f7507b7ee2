"""An orders export's status names its events (`--event-names`), and an import warns when it does not.

A marketplace's export lists every order whatever became of it; given one event name for every row, a
cancelled, unpaid or refunded order would be a conversion with its revenue.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined, write_jsonl

from jejak.core.errors import InputFileError, SettingError
from jejak.ingest.event_names import EVENT_AS_WRITTEN, EventRenames, status_event, status_names
from jejak.ingest.importer import ImportOptions, import_file
from jejak.ingest.mapping import parse_event_names_option
from jejak.ingest.quarantine import list_quarantined, retry_quarantined
from jejak.ingest.removal import reimport_conflict
from jejak.store.project import Project

# Shopee's order export, cut down: one row per product, so an order of two products has two rows.
SHOPEE = (
    "No. Pesanan,Status Pesanan,Waktu Pesanan Dibuat,Nama Produk,Total Pembayaran,No. Telepon\n"
    "A1,Selesai,2026-11-01 10:00,Kopi Gayo,215.000,6281234567890\n"
    "A1,Selesai,2026-11-01 10:00,V60 Filter,215.000,6281234567890\n"
    "B2,Batal,2026-11-02 09:00,Kopi Toraja,90.000,6281298765432\n"
    "C3,Belum Bayar,2026-11-03 20:00,Kopi Toraja,90.000,6281211112222\n"
    "D4,Pengembalian Dana,2026-11-04 08:00,Kopi Kintamani,80.000,6281233334444\n"
    "E5, selesai ,2026-11-05 08:00,Kopi Gayo,85.000,6281255556666\n"
)
MAP = {
    "No. Pesanan": "event_id",
    "Waktu Pesanan Dibuat": "timestamp",
    "Total Pembayaran": "revenue",
    "No. Telepon": "phone",
}
NAMES = {
    "Selesai": "Order Completed",
    "Batal": "Order Cancelled",
    "Belum Bayar": "Order Unpaid",
    "Pengembalian Dana": "Order Refunded",
}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


@pytest.fixture
def shopee(tmp_path: Path) -> Path:
    path = tmp_path / "shopee.csv"
    path.write_text(SHOPEE, encoding="utf-8")
    return path


def test_renames_match_a_status_without_case_or_spaces_and_keep_it_as_written() -> None:
    renames = EventRenames({"Selesai": "Order Completed", "Batal": "Order Cancelled", "Dikirim": "Order Completed"})
    table = pa.table({"event": [" selesai ", "BATAL", "Belum Bayar", None], "user_id": ["a", "b", "c", "d"]})
    renamed = renames.rename(table)
    assert renamed.column("event").to_pylist() == ["Order Completed", "Order Cancelled", "Belum Bayar", None]
    assert renamed.column(EVENT_AS_WRITTEN).to_pylist() == [" selesai ", "BATAL", "Belum Bayar", None]
    assert renamed.column("user_id").to_pylist() == ["a", "b", "c", "d"]
    # No row was 'Dikirim': a typo, or a status this file lacks.
    assert renames.unmet == ("Dikirim",)


def test_the_option_is_read_as_pairs_and_a_status_named_twice_is_refused() -> None:
    assert parse_event_names_option('Selesai=Order Completed,"Batal, pembeli"=Order Cancelled') == {
        "Selesai": "Order Completed",
        "Batal, pembeli": "Order Cancelled",
    }
    with pytest.raises(SettingError, match="names the status 'selesai' twice"):
        parse_event_names_option("Selesai=Order Completed,selesai =Order Cancelled")
    with pytest.raises(SettingError, match="needs a status and an event name"):
        parse_event_names_option("Selesai")


def test_an_orders_status_names_its_event_and_only_bought_orders_are_conversions(
    project: Project, shopee: Path
) -> None:
    summary = import_file(project, shopee, column_map={**MAP, "Status Pesanan": "event"}, event_names=NAMES)
    # A1's second product is a duplicate of its order.
    assert (summary.rows_read, summary.rows_stored, summary.duplicates_skipped) == (6, 5, 1)
    assert summary.unmet_event_names == () and summary.conversion_statuses == ()
    events = {row["event_id"]: row for row in lake_events(project)}
    assert {key: row["event"] for key, row in events.items()} == {
        "A1": "Order Completed",
        "B2": "Order Cancelled",
        "C3": "Order Unpaid",
        "D4": "Order Refunded",
        "E5": "Order Completed",
    }
    assert json.loads(events["E5"]["properties"])[EVENT_AS_WRITTEN] == " selesai "
    # The status column is the event now: it is not kept a second time under its own name.
    assert "status pesanan" not in json.loads(events["B2"]["properties"])
    conversions = [row for row in events.values() if row["event"] in project.settings.conversion_events]
    assert sum(row["revenue"] for row in conversions) == 215000 + 85000


def test_a_status_not_named_stays_its_own_event(project: Project, shopee: Path) -> None:
    summary = import_file(
        project, shopee, column_map={**MAP, "Status Pesanan": "event"}, event_names={"Selesai": "Order Completed"}
    )
    assert summary.rows_stored == 5
    assert sorted(row["event"] for row in lake_events(project)) == [
        "Batal",
        "Belum Bayar",
        "Order Completed",
        "Order Completed",
        "Pengembalian Dana",
    ]


def test_conversions_with_a_cancelled_status_are_reported_by_order(project: Project, shopee: Path) -> None:
    summary = import_file(project, shopee, column_map=MAP, constants={"event": "Order Completed"}, check=True)
    [found] = summary.conversion_statuses
    assert found.column == "status pesanan" and found.event == "Order Completed"
    # Counted by order, not by row: A1 has two rows. ' selesai ' is trimmed but keeps its letters.
    assert dict(found.orders) == {"Selesai": 1, "selesai": 1, "Batal": 1, "Belum Bayar": 1, "Pengembalian Dana": 1}
    # The advice keeps every other status a conversion, and names the ones that are no purchase.
    advice = status_names(found.event, found.orders)
    assert "Batal=Order Cancelled" in advice and "Selesai=Order Completed" in advice
    assert "'Belum Bayar=Order Unpaid" in advice or ",Belum Bayar=Order Unpaid" in advice


def test_no_report_when_every_status_is_a_purchase_or_the_rows_are_no_conversions(
    project: Project, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped.csv"
    shipped.write_text(
        "No. Pesanan,Status Pesanan,Waktu Pesanan Dibuat,Total Pembayaran,No. Telepon\n"
        "A1,Selesai,2026-11-01 10:00,215.000,6281234567890\n"
        "B2,Perlu Dikirim,2026-11-02 10:00,90.000,6281298765432\n",
        encoding="utf-8",
    )
    bought = import_file(project, shipped, column_map=MAP, constants={"event": "Order Completed"}, check=True)
    assert bought.conversion_statuses == ()
    browsing = import_file(project, shipped, column_map=MAP, constants={"event": "Product Viewed"}, check=True)
    assert browsing.conversion_statuses == ()


@pytest.mark.parametrize(
    ("status", "event"),
    [
        ("Dibatalkan Pembeli", "Order Cancelled"),
        ("cancelled", "Order Cancelled"),
        ("Dibatalkan - Dana Dikembalikan", "Order Cancelled"),
        ("refunded", "Order Refunded"),
        ("Pengembalian Barang/Dana", "Order Refunded"),
        ("Menunggu Pembayaran", "Order Unpaid"),
        ("pending", "Order Unpaid"),
        ("Pesanan Selesai", None),
        ("Sedang Dikirim", None),
        ("paid", None),
        ("partially_refunded", None),  # Shopify: most of the order stands
        ("voided", "Order Cancelled"),
        ("failed", "Order Cancelled"),
    ],
)
def test_status_words(status: str, event: str | None) -> None:
    assert status_event(status) == event


def test_refused_where_there_is_no_event_column_to_rename(project: Project, shopee: Path, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"has none .*--map 'Status Pesanan=event'"):
        import_file(project, shopee, column_map=MAP, event_names=NAMES)
    lines = write_jsonl(
        tmp_path / "web.jsonl", [{"type": "track", "event": "Selesai", "userId": "a", "timestamp": "2026-11-01"}]
    )
    with pytest.raises(InputFileError, match="JSON Lines message carries its own event name"):
        import_file(project, lines, event_names=NAMES)
    clash = tmp_path / "clash.csv"
    clash.write_text("timestamp,user_id,event,Event_As_Written\n2026-11-01 10:00,a,Selesai,x\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="column named event_as_written"):
        import_file(project, clash, event_names=NAMES)
    assert lake_events(project) == []


def test_the_names_are_remembered_and_other_names_are_a_conflict(project: Project, shopee: Path) -> None:
    mapped = {**MAP, "Status Pesanan": "event"}
    import_file(project, shopee, column_map=mapped, event_names=NAMES)
    options = ImportOptions(column_map=mapped, event_names=NAMES)
    assert ImportOptions.from_json(options.to_json()) == options
    assert reimport_conflict(project, shopee, options) is None
    other = ImportOptions(column_map=mapped, event_names={**NAMES, "Batal": "Order Completed"})
    conflict = reimport_conflict(project, shopee, other)
    assert conflict is not None and "--event-names" in conflict and "--replace" in conflict


def test_a_malformed_line_is_retried_with_the_names_the_import_gave(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "No. Pesanan,Status Pesanan,Waktu Pesanan Dibuat,No. Telepon\n"
        "A1,Selesai,2026-11-01 10:00,6281234567890\n"
        "B2,Batal,2026-11-02 09:00,6281298765432,stray\n",
        encoding="utf-8",
    )
    mapped = {"No. Pesanan": "event_id", "Status Pesanan": "event", "Waktu Pesanan Dibuat": "timestamp"}
    import_file(project, path, column_map={**mapped, "No. Telepon": "phone"}, event_names=NAMES)
    [bad] = list_quarantined(project, reason="malformed_row").rows
    assert bad.raw.startswith("B2,Batal")
    summary = retry_quarantined(project, fixed={bad.row_id: "B2,Batal,2026-11-02 09:00,6281298765432"})
    assert summary.rows_stored == 1, summary
    events = {row["event_id"]: row["event"] for row in lake_events(project)}
    assert events == {"A1": "Order Completed", "B2": "Order Cancelled"}
    assert quarantined(project) == []


def test_an_order_whose_product_rows_give_different_revenues_is_reported(project: Project, tmp_path: Path) -> None:
    # Mapped to a product line's amount, an order of two products kept the first product's: 170,000 of 215,000.
    path = tmp_path / "lines.csv"
    path.write_text(
        "No. Pesanan,Waktu Pesanan Dibuat,Total Harga Produk,Total Pembayaran,Username (Pembeli)\n"
        "A1,2026-11-01 10:00,170.000,215.000,budi88\n"
        "A1,2026-11-01 10:00,45.000,215.000,budi88\n"
        "B2,2026-11-02 09:00,90.000,90.000,sari\n"
        "B2,2026-11-02 09:00,90.000,90.000,sari\n",
        encoding="utf-8",
    )
    mapped = {"No. Pesanan": "event_id", "Waktu Pesanan Dibuat": "timestamp", "Username (Pembeli)": "user_id"}
    sale = {"event": "Order Completed"}
    lines = import_file(
        project, path, column_map={**mapped, "Total Harga Produk": "revenue"}, constants=sale, check=True
    )
    assert lines.revenue_conflict is not None, lines
    assert (lines.revenue_conflict.events, lines.revenue_conflict.example) == (1, "A1")
    assert lines.revenue_conflict.revenues == (170000.0, 45000.0)
    # The order's total is the same on each of its rows: nothing to say.
    totals = import_file(project, path, column_map={**mapped, "Total Pembayaran": "revenue"}, constants=sale)
    assert totals.revenue_conflict is None and totals.duplicates_skipped == 2
    assert sorted(row["revenue"] for row in lake_events(project)) == [90000.0, 215000.0]


def test_a_workbooks_statuses_are_renamed_as_a_csvs(project: Project, tmp_path: Path) -> None:
    # Shopee and Tokopedia export orders as workbooks.
    import csv
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in csv.reader(io.StringIO(SHOPEE)):
        sheet.append(row)
    workbook.save(tmp_path / "shopee.xlsx")
    summary = import_file(
        project, tmp_path / "shopee.xlsx", column_map={**MAP, "Status Pesanan": "event"}, event_names=NAMES
    )
    assert (summary.rows_stored, summary.unmet_event_names) == (5, ())
    events = {row["event_id"]: row["event"] for row in lake_events(project)}
    assert events == {
        "A1": "Order Completed",
        "B2": "Order Cancelled",
        "C3": "Order Unpaid",
        "D4": "Order Refunded",
        "E5": "Order Completed",
    }


def test_an_id_prefix_keeps_a_marketplaces_usernames_apart_from_other_sources_ids(
    project: Project, tmp_path: Path
) -> None:
    from jejak.pipeline import run_build
    from jejak.store.derived import current_build

    # `budi` on Shopee and `budi` on the shop's own site are two people; the masked phone joins no one.
    orders = tmp_path / "shopee.csv"
    orders.write_text(
        "No. Pesanan,Waktu,Pembeli,No. Telepon\nA1,2026-11-01 10:00, budi ,62812****7890\nA2,2026-11-01 11:00,,\n",
        encoding="utf-8",
    )
    mapped = {"No. Pesanan": "event_id", "Waktu": "timestamp", "Pembeli": "user_id", "No. Telepon": "phone"}
    sale = {"event": "Order Completed"}
    summary = import_file(project, orders, column_map=mapped, constants=sale, id_prefix="shopee:")
    # A blank id stays blank (the row has no identifier), not `shopee:`.
    assert (summary.rows_stored, summary.quarantined_by_reason) == (1, {"no_identifier": 1})
    site = tmp_path / "web.csv"
    site.write_text("timestamp,user_id,event\n2026-11-01 09:00,budi,Page Viewed\n", encoding="utf-8")
    import_file(project, site)
    assert sorted(row["user_id"] for row in lake_events(project)) == ["budi", "shopee:budi"]
    run_build(project)
    people = pq.read_table(current_build(project) / "people").num_rows
    assert people == 2
    # Remembered, and another prefix is read otherwise: refused.
    options = ImportOptions(column_map=mapped, constants=sale, id_prefix="shopee")
    assert ImportOptions.from_json(options.to_json()) == options
    assert reimport_conflict(project, orders, options) is None  # given as `shopee:`, kept as `shopee`
    conflict = reimport_conflict(
        project, orders, ImportOptions(column_map=mapped, constants=sale, id_prefix="tokopedia")
    )
    assert conflict is not None and "--id-prefix shopee" in conflict


def test_an_id_prefix_is_refused_where_it_has_nothing_to_prefix(project: Project, tmp_path: Path) -> None:
    emails = tmp_path / "emails.csv"
    emails.write_text("timestamp,email\n2026-11-01 09:00,ana@example.com\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="has none of them"):
        import_file(project, emails, constants={"event": "Signed Up"}, id_prefix="shopee")
    lines = write_jsonl(tmp_path / "web.jsonl", [{"type": "page", "userId": "a", "timestamp": "2026-11-01"}])
    with pytest.raises(InputFileError, match="JSON Lines message"):
        import_file(project, lines, id_prefix="shopee")
    with pytest.raises(SettingError, match="must be one word"):
        import_file(project, emails, id_prefix="my shop")
    assert lake_events(project) == []
