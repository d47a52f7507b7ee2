"""Removing one file's import: its events, quarantined rows and spend go, everything else stays, and readers wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined, write_csv

from jejak.core.errors import NotFoundError
from jejak.core.vocabulary import EVENT_COLUMNS
from jejak.ingest.importer import ImportOptions, import_file
from jejak.ingest.removal import reimport_conflict, remove_import, what_removal_takes
from jejak.ingest.spend import import_spend, spend_by_channel
from jejak.service.data import imports_log
from jejak.service.reports import freshness
from jejak.store.lake import event_files, reading_lake
from jejak.store.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _two_files(project: Project, tmp_path: Path) -> tuple[Path, Path]:
    # Both files write into the same days' partitions, so a removal rewrites files shared with the other import.
    orders = write_csv(
        tmp_path / "orders.csv",
        [
            {"event_id": "o1", "timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Order Completed"},
            {"event_id": "o2", "timestamp": "2026-03-02 09:00", "user_id": "budi", "event": "Order Completed"},
            {"event_id": "o3", "timestamp": "kemarin", "user_id": "citra", "event": "Order Completed"},
        ],
    )
    visits = write_csv(
        tmp_path / "visits.csv",
        [
            {"event_id": "v1", "timestamp": "2026-03-01 10:00", "user_id": "ana", "event": "Store Visit"},
            {"event_id": "v2", "timestamp": "bukan waktu", "user_id": "dewi", "event": "Store Visit"},
        ],
    )
    import_file(project, orders)
    import_file(project, visits)
    return orders, visits


def test_removing_a_files_import_takes_its_events_and_quarantined_rows_and_nothing_else(
    project: Project, tmp_path: Path
) -> None:
    orders, visits = _two_files(project, tmp_path)
    assert what_removal_takes(project, "orders.csv").events == 2  # counted first, nothing removed
    assert len(lake_events(project)) == 3
    done = remove_import(project, "orders.csv")  # by its name: the only imported file called so
    assert (done.file, done.events, done.quarantined, done.spend_rows) == (str(orders.resolve()), 2, 1, 0)
    assert [row["event_id"] for row in lake_events(project)] == ["v1"]
    assert [row["source_file"] for row in quarantined(project)] == [str(visits.resolve())]
    # Every lake file is whole Parquet of the event columns (no `date` column taken from the folder names).
    assert all(pq.read_schema(part).names == list(EVENT_COLUMNS) for part in event_files(project))
    # The log's counts still add up to the lake's: the removal is a line with negative counts.
    [removal, *_] = imports_log(project)
    assert (removal["format"], removal["rows_stored"], removal["rows_quarantined"], removal["reconciles"]) == (
        "removed",
        -2,
        -1,
        True,
    )
    assert sum(row["rows_stored"] for row in imports_log(project)) == len(lake_events(project))
    # Imported again, the file's events are back: nothing of it was left behind to skip them as duplicates.
    again = import_file(project, orders)
    assert again.rows_stored == 2 and len(lake_events(project)) == 3


def test_a_spend_files_import_is_removed_from_the_spend_table(project: Project, tmp_path: Path) -> None:
    spend = tmp_path / "iklan.csv"
    spend.write_text("date,channel,spend\n2026-03-01,Paid Search,100\n2026-03-02,Paid Search,50\n")
    import_spend(project, spend)
    assert spend_by_channel(project) == {"Paid Search": 150.0}
    sale = {"timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Order Completed"}
    import_file(project, write_csv(tmp_path / "orders.csv", [sale]))
    assert remove_import(project, str(spend)).spend_rows == 2
    assert spend_by_channel(project) == {}
    # Logged as spend, so the events the log counts are still the lake's.
    assert imports_log(project)[0]["format"] == "spend removed"
    stored = {row["measure"]: row["value"] for row in freshness(project)}["events_stored"]
    assert stored == len(lake_events(project)) == 1


def test_a_file_is_named_by_its_path_when_two_imported_files_share_a_name(project: Project, tmp_path: Path) -> None:
    for folder in ("januari", "februari"):
        (tmp_path / folder).mkdir()
        sale = {"timestamp": "2026-03-01 09:00", "user_id": folder, "event": "Order Completed"}
        import_file(project, write_csv(tmp_path / folder / "orders.csv", [sale]))
    with pytest.raises(NotFoundError, match=r"Several imported files are called orders\.csv"):
        remove_import(project, "orders.csv")
    with pytest.raises(NotFoundError, match=r"No rows of nothing\.csv are in this project"):
        remove_import(project, "nothing.csv")
    remove_import(project, str(tmp_path / "januari" / "orders.csv"))
    assert [row["user_id"] for row in lake_events(project)] == ["februari"]


def test_a_removal_waits_for_a_build_reading_the_lake(project: Project, tmp_path: Path) -> None:
    _two_files(project, tmp_path)
    finished = threading.Event()

    def remove() -> None:
        remove_import(project, "orders.csv")
        finished.set()

    with reading_lake(project):  # as a build holds it while it reads the lake
        remover = threading.Thread(target=remove)
        remover.start()
        time.sleep(0.5)
        assert not finished.is_set() and len(lake_events(project)) == 3  # the reader still sees the whole lake
    remover.join(timeout=30)
    assert finished.is_set() and len(lake_events(project)) == 1


def test_reading_a_file_again_with_other_options_is_refused_until_its_import_is_removed(
    project: Project, tmp_path: Path
) -> None:
    orders = tmp_path / "pesanan.csv"
    orders.write_text("id,timestamp,pelanggan,total\no1,2026-03-01 09:00,ana,150.000\n")
    sale = {"event": "Order Completed"}
    first = ImportOptions(column_map={"id": "event_id", "pelanggan": "user_id"}, constants=sale)
    import_file(project, orders, column_map=first.column_map, constants=sale)
    assert reimport_conflict(project, orders, first) is None  # the same options: a file that grew is imported as usual
    fixed = ImportOptions(column_map={"id": "event_id", "pelanggan": "user_id", "total": "revenue"}, constants=sale)
    conflict = reimport_conflict(project, orders, fixed)
    assert conflict is not None and "--replace" in conflict and '--map "id=event_id,pelanggan=user_id"' in conflict
    # Imported anyway, the rows keep their ids and are skipped: the old reading (no revenue) would stay.
    assert import_file(project, orders, column_map=fixed.column_map, constants=sale).duplicates_skipped == 1
    remove_import(project, str(orders))
    assert reimport_conflict(project, orders, fixed) is None  # nothing of it is left to conflict with
    import_file(project, orders, column_map=fixed.column_map, constants=sale)
    assert [row["revenue"] for row in lake_events(project)] == [150_000.0]


def test_a_change_of_the_mapping_in_jejak_toml_counts_and_a_map_for_other_files_does_not(tmp_path: Path) -> None:
    # The same command line both times, but jejak.toml's [import.map] now reads the day and the time as one: the
    # file would be read otherwise, so it is refused as a change of --map is.
    orders = tmp_path / "kasir.csv"
    orders.write_text("No. Struk,Tanggal,Jam,pelanggan\nS-1,2026-03-01,09:15,ana\n")
    options = ImportOptions(
        column_map={"No. Struk": "event_id", "pelanggan": "user_id"}, constants={"event": "Order Completed"}
    )
    first = make_project(tmp_path / "p", import_map={"Tanggal": "timestamp"})
    import_file(first, orders, column_map=options.column_map, constants=options.constants)
    # A name for another file's column, in jejak.toml or on the command line, reads this file as before.
    elsewhere = make_project(tmp_path / "p", import_map={"Tanggal": "timestamp", "Waktu Pesanan": "timestamp"})
    assert reimport_conflict(elsewhere, orders, options) is None
    other_map = ImportOptions({**options.column_map, "Kota": "city"}, options.constants)
    assert reimport_conflict(elsewhere, orders, other_map) is None
    joined = make_project(tmp_path / "p", import_map={"Tanggal+Jam": "timestamp"})
    conflict = reimport_conflict(joined, orders, options)
    assert conflict is not None and "--replace" in conflict
    assert "Tanggal → properties (was timestamp), Tanggal+Jam → timestamp (was not read)" in conflict
