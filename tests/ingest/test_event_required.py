"""Every event needs a name: a file without an event column is refused, and a nameless track is quarantined.

A Shopee orders export imported with the mapping its names suggest (which has no event: the file has none) was
stored as one nameless track per order, none of them a conversion, and the import said nothing.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined, write_csv, write_jsonl

from jejak.core.errors import MissingColumnError
from jejak.core.vocabulary import QUARANTINE_REASONS
from jejak.ingest.importer import import_file
from jejak.store.project import Project

ORDERS_MAP = {"No. Pesanan": "event_id", "Waktu": "timestamp", "Pembeli": "user_id", "Total": "revenue"}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _orders(path: Path, status: bool = False) -> Path:
    rows = [
        {"No. Pesanan": "A1", "Waktu": "2026-10-01 10:00", "Pembeli": "budi", "Total": "85000", "Status": "Selesai"},
        {"No. Pesanan": "A2", "Waktu": "2026-10-02 11:00", "Pembeli": "sari", "Total": "120000", "Status": "Batal"},
    ]
    return write_csv(path, [row if status else {k: v for k, v in row.items() if k != "Status"} for row in rows])


def test_a_file_without_an_event_column_is_refused_with_the_set_that_names_its_rows(
    project: Project, tmp_path: Path
) -> None:
    path = _orders(tmp_path / "pesanan.csv")
    with pytest.raises(MissingColumnError) as refused:
        import_file(project, path, column_map=ORDERS_MAP)
    message = str(refused.value)
    assert "pesanan.csv has no 'event' column" in message
    assert '--set "event=Order Completed"' in message
    assert '--map "your_column=event"' in message
    assert "type=page" not in message  # no page column: not a page-view export
    assert lake_events(project) == [] and quarantined(project) == []

    # Named as the advice says, its orders are stored as conversions' events.
    summary = import_file(project, path, column_map=ORDERS_MAP, constants={"event": "Order Completed"})
    assert summary.rows_stored == 2
    assert {event["event"] for event in lake_events(project)} == {"Order Completed"}


def test_one_refusal_names_every_missing_column(project: Project, tmp_path: Path) -> None:
    """A file without a time, a buyer or an event name is told all three at once: it was told of the time alone,
    and mapped as told, refused again for the event (two rounds for one file)."""
    path = _orders(tmp_path / "pesanan.csv")
    with pytest.raises(MissingColumnError) as refused:
        import_file(project, path)
    message = str(refused.value)
    assert message.startswith(f"{path} has no 'timestamp' column")
    assert "It also has none of the identifier columns" in message
    assert "It also has no 'event' column" in message
    assert "Its columns: No. Pesanan, Waktu, Pembeli, Total." in message
    # Mapped with what its names suggest, the one thing left is the event.
    with pytest.raises(MissingColumnError) as still:
        import_file(project, path, column_map={"Waktu": "timestamp", "Pembeli": "user_id"})
    assert str(still.value).startswith(f"{path} has no 'event' column") and "It also" not in str(still.value)
    assert lake_events(project) == []


def test_the_refusal_names_a_status_column_and_a_page_view_export(project: Project, tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError, match="tell its 'Status' apart as that import advises"):
        import_file(project, _orders(tmp_path / "status.csv", status=True), column_map=ORDERS_MAP)
    views = write_csv(
        tmp_path / "views.csv",
        [{"timestamp": "2026-10-01T10:00:00+07:00", "user_id": "u1", "url": "https://kopi.id/menu"}],
    )
    with pytest.raises(MissingColumnError, match='--set "type=page" if each row is a page view'):
        import_file(project, views)
    # A page view is named by its type.
    import_file(project, views, constants={"type": "page"})
    assert [event["event"] for event in lake_events(project)] == ["Page Viewed"]


def test_a_parquet_file_without_an_event_column_is_refused_too(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"timestamp": ["2026-10-01T10:00:00+07:00"], "user_id": ["u1"], "revenue": [85000]}), path)
    with pytest.raises(MissingColumnError, match=r"orders\.parquet has no 'event' column"):
        import_file(project, path)


def test_a_track_or_offline_row_with_a_blank_event_is_quarantined_and_a_page_row_is_named(
    project: Project, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            {"timestamp": "2026-10-01T10:00:00+07:00", "user_id": "u1", "type": "track", "event": "Order Completed"},
            {"timestamp": "2026-10-01T10:05:00+07:00", "user_id": "u1", "type": "track", "event": "  "},
            {"timestamp": "2026-10-01T10:06:00+07:00", "user_id": "u1", "type": "offline", "event": ""},
            {"timestamp": "2026-10-01T10:07:00+07:00", "user_id": "u1", "type": "page", "event": ""},
        ],
    )
    summary = import_file(project, path)
    assert (summary.rows_read, summary.rows_stored, summary.rows_quarantined) == (4, 2, 2)
    assert sorted(event["event"] for event in lake_events(project)) == ["Order Completed", "Page Viewed"]
    bad = quarantined(project)
    assert [(row["source_line"], row["reason"]) for row in bad] == [(3, "no_event_name"), (4, "no_event_name")]
    assert "a track event needs a name" in bad[0]["message"]
    assert "an offline event needs a name" in bad[1]["message"]
    assert "no_event_name" in QUARANTINE_REASONS


def test_a_json_lines_track_without_an_event_is_quarantined(project: Project, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "web.jsonl",
        [
            {"type": "track", "messageId": "m1", "userId": "u1", "timestamp": "2026-10-01T10:00:00+07:00"},
            {"type": "identify", "messageId": "m2", "userId": "u1", "timestamp": "2026-10-01T10:01:00+07:00"},
        ],
    )
    summary = import_file(project, path)
    assert (summary.rows_stored, summary.rows_quarantined) == (1, 1)
    assert [row["reason"] for row in quarantined(project)] == ["no_event_name"]
    assert [event["event"] for event in lake_events(project)] == ["Identify"]


def test_the_refusal_names_the_rows_as_the_project_s_settings_count_them(tmp_path: Path) -> None:
    # A project whose orders are `Pembelian` (conversion_events) and whose surveys are `Survei Diisi` (feedback_events):
    # followed, the advice's `Order Completed` made orders that no report counted (only a warning said so).
    project = make_project(tmp_path / "p", {"conversion_events": ["Pembelian"], "feedback_events": ["Survei Diisi"]})
    with pytest.raises(MissingColumnError) as refused:
        import_file(project, _orders(tmp_path / "pesanan.csv"), column_map=ORDERS_MAP)
    assert '--set "event=Pembelian"' in str(refused.value) and "Order Completed" not in str(refused.value)
    survey = write_csv(tmp_path / "survei.csv", [{"Stempel waktu": "2026-10-01 10:00", "email": "a@b.id", "Skor": "9"}])
    with pytest.raises(MissingColumnError) as refused:
        import_file(project, survey, column_map={"Stempel waktu": "timestamp", "Skor": "properties.score"})
    # A survey by the score the user mapped (it was told to name each answer an order), which is not offered again.
    said = str(refused.value)
    assert '--set "event=Survei Diisi"' in said and "Survey Answered" not in said and "Pembelian" not in said
    assert "Its names suggest" not in said
