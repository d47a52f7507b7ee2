"""An event id another event has already: told apart from a duplicate, and kept apart with `--event-id-prefix`.

The lake deduplicates on event_id across every file, so that overlapping exports (this month's orders, then the
month so far again) store each order once. But two tills that each number their receipts from 1 give two sales one
id, and the second was skipped as a duplicate without a word; an order exported again after its status changed
keeps the status first imported. An import now tells both from a true duplicate by comparing the rows with the
stored event.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined, write_jsonl

from jejak.core.errors import InputFileError, SettingError
from jejak.ingest.importer import REPLACED_FORMAT, ChangedEvents, IdClash, ImportOptions, import_file
from jejak.ingest.quarantine import list_quarantined, retry_quarantined
from jejak.ingest.removal import reimport_conflict, remove_import
from jejak.pipeline import run_build
from jejak.store.appstate import open_state
from jejak.store.derived import current_build
from jejak.store.project import Project

TILL = {"No": "event_id", "Tanggal": "timestamp", "No HP": "phone", "Total": "revenue"}
SALE = {"event": "Order Completed", "channel": "Offline Store"}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def _till(path: Path, *rows: str) -> Path:
    path.write_text("No,Tanggal,No HP,Total\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def test_another_tills_receipt_under_a_stored_id_is_reported_and_a_prefix_keeps_it(
    project: Project, tmp_path: Path
) -> None:
    kemang = _till(
        tmp_path / "kemang.csv", "1,2026-11-01 10:00,081234567890,45000", "2,2026-11-01 11:00,081311112222,30000"
    )
    bintaro = _till(
        tmp_path / "bintaro.csv",
        "1,2026-11-01 10:30,081299990000,25000",
        "2,2026-11-01 11:00,081311112222,30000",  # the same time and buyer as Kemang's 2: read as its duplicate
        "3,2026-11-01 13:00,081277770000,10000",
    )
    first = import_file(project, kemang, column_map=TILL, constants=SALE)
    assert (first.id_clash, first.changed) == (None, None)
    second = import_file(project, bintaro, column_map=TILL, constants=SALE)
    assert (second.rows_stored, second.duplicates_skipped) == (1, 2)
    assert second.id_clash == IdClash(1, "1", str(kemang.resolve()))
    assert second.changed is None
    # Importing a file again is a true duplicate of every row: nothing is reported.
    again = import_file(project, kemang, column_map=TILL, constants=SALE)
    assert (again.rows_stored, again.id_clash, again.changed) == (0, None, None)
    # Read again with a prefix (as `--replace` does: its earlier import removed first), the till's receipts are its
    # own: all three are stored, under `bintaro:N`, and none is reported.
    remove_import(project, str(bintaro))
    prefixed = import_file(project, bintaro, column_map=TILL, constants=SALE, event_id_prefix="bintaro:")
    assert (prefixed.rows_stored, prefixed.id_clash) == (3, None)
    ids = sorted(row["event_id"] for row in lake_events(project))
    assert ids == ["1", "2", "bintaro:1", "bintaro:2", "bintaro:3"]


def test_rows_of_one_file_under_one_id_at_other_times_are_reported(project: Project, tmp_path: Path) -> None:
    # A file of two tills' receipts: the second `1` is another sale. An order's product rows (one time, one buyer)
    # are not reported, whatever their revenues (`RevenueConflict` says that).
    both = _till(
        tmp_path / "both.csv",
        "1,2026-11-01 10:00,081234567890,45000",
        "1,2026-11-01 10:30,081299990000,25000",
        "7,2026-11-01 12:00,081234567890,10000",
        "7,2026-11-01 12:00,081234567890,15000",
    )
    summary = import_file(project, both, column_map=TILL, constants=SALE)
    assert (summary.rows_stored, summary.duplicates_skipped) == (2, 2)
    assert summary.id_clash == IdClash(1, "1", "")
    assert summary.revenue_conflict is not None and summary.revenue_conflict.events == 1
    assert summary.revenue_conflict.example == "7"


def test_an_order_exported_again_with_another_status_is_reported_and_the_stored_one_kept(
    project: Project, tmp_path: Path
) -> None:
    header = "Pesanan,Status,Waktu,HP,Total\n"
    october = tmp_path / "oktober.csv"
    october.write_text(
        header + "A1,Belum Bayar,2026-10-30 10:00,081234567890,45000\nA2,Selesai,2026-10-30 11:00,081234567891,30000\n",
        encoding="utf-8",
    )
    november = tmp_path / "november.csv"
    november.write_text(
        header + "A1,Selesai,2026-10-30 10:00,081234567890,45000\nA2,Selesai,2026-10-30 11:00,081234567891,30000\n"
        "A3,Selesai,2026-11-02 11:00,081234567892,30000\n",
        encoding="utf-8",
    )
    mapped = {"Pesanan": "event_id", "Status": "event", "Waktu": "timestamp", "HP": "phone", "Total": "revenue"}
    names = {"Selesai": "Order Completed", "Belum Bayar": "Order Unpaid"}
    import_file(project, october, column_map=mapped, event_names=names)
    summary = import_file(project, november, column_map=mapped, event_names=names)
    assert summary.id_clash is None
    assert summary.changed == ChangedEvents(
        1, "A1", ("Order Unpaid", 45000.0), ("Order Completed", 45000.0), str(october.resolve())
    )
    events = {row["event_id"]: row["event"] for row in lake_events(project)}
    assert events == {"A1": "Order Unpaid", "A2": "Order Completed", "A3": "Order Completed"}
    # With `update` (`--check` first: it says so, and changes nothing), the newer export's status replaces it.
    checked = import_file(project, november, column_map=mapped, event_names=names, update=True, check=True)
    assert (checked.rows_stored, checked.replaced, checked.changed) == (1, 1, None)
    assert {row["event_id"]: row["event"] for row in lake_events(project)} == events
    updated = import_file(project, november, column_map=mapped, event_names=names, update=True)
    assert (updated.rows_stored, updated.duplicates_skipped, updated.replaced) == (1, 2, 1)
    stored = {row["event_id"]: (row["event"], Path(row["source_file"]).name) for row in lake_events(project)}
    assert stored == {
        "A1": ("Order Completed", "november.csv"),
        "A2": ("Order Completed", "oktober.csv"),
        "A3": ("Order Completed", "november.csv"),
    }
    # The imports log's counts stay the lake's: October's import lost an event, logged as `replaced`.
    with open_state(project.sqlite_path) as db:
        logged = dict(db.execute("SELECT file_format, sum(rows_stored) FROM imports GROUP BY file_format").fetchall())
    assert logged == {"csv": 4, REPLACED_FORMAT: -1}
    assert sum(logged.values()) == len(lake_events(project))
    # Nothing is left to replace: importing it again with `update` is all duplicates.
    again = import_file(project, november, column_map=mapped, event_names=names, update=True)
    assert (again.rows_stored, again.replaced, again.changed) == (0, 0, None)


def test_update_replaces_no_other_event_under_the_same_id(project: Project, tmp_path: Path) -> None:
    kemang = _till(tmp_path / "kemang.csv", "1,2026-11-01 10:00,081234567890,45000")
    bintaro = _till(tmp_path / "bintaro.csv", "1,2026-11-01 10:30,081299990000,25000")
    import_file(project, kemang, column_map=TILL, constants=SALE)
    summary = import_file(project, bintaro, column_map=TILL, constants=SALE, update=True)
    assert (summary.rows_stored, summary.replaced, summary.id_clash) == (0, 0, IdClash(1, "1", str(kemang.resolve())))
    assert [row["revenue"] for row in lake_events(project)] == [45000.0]


def test_an_event_id_prefix_is_remembered_and_refused_where_it_has_nothing_to_prefix(
    project: Project, tmp_path: Path
) -> None:
    # Remembered: a quarantined line re-tried gets it, and another prefix is a reading of its own.
    till = tmp_path / "bintaro.csv"
    till.write_text(
        "No,Tanggal,No HP,Total\n1,2026-11-01 10:30,081299990000,25000\n2,2026-11-01 11:00,081311112222,30000,x\n",
        encoding="utf-8",
    )
    options = ImportOptions(column_map=TILL, constants=SALE, event_id_prefix="bintaro")
    assert ImportOptions.from_json(options.to_json()) == options
    import_file(project, till, column_map=TILL, constants=SALE, event_id_prefix="bintaro")
    [bad] = list_quarantined(project, reason="malformed_row").rows
    summary = retry_quarantined(project, fixed={bad.row_id: "2,2026-11-01 11:00,081311112222,30000"})
    assert summary.rows_stored == 1, summary
    assert sorted(row["event_id"] for row in lake_events(project)) == ["bintaro:1", "bintaro:2"]
    assert quarantined(project) == []
    conflict = reimport_conflict(project, till, ImportOptions(column_map=TILL, constants=SALE))
    assert conflict is not None and "--event-id-prefix bintaro" in conflict
    # A file without an event_id has ids of its own (its rows' text and source name); a message carries its own.
    no_ids = tmp_path / "visits.csv"
    no_ids.write_text("timestamp,user_id\n2026-11-01 09:00,u1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="has none"):
        import_file(project, no_ids, constants={"event": "Store Visited"}, event_id_prefix="kemang")
    lines = write_jsonl(tmp_path / "web.jsonl", [{"type": "page", "userId": "a", "timestamp": "2026-11-01"}])
    with pytest.raises(InputFileError, match="JSON Lines message"):
        import_file(project, lines, event_id_prefix="kemang")
    with pytest.raises(SettingError, match="--event-id-prefix 'two words' must be one word"):
        import_file(project, till, event_id_prefix="two words")


def test_keep_anonymous_keeps_a_walk_in_sale_as_a_person_of_its_own(project: Project, tmp_path: Path) -> None:
    # A till's receipts: most walk-in sales name no one. Quarantined, their revenue counted nowhere.
    till = _till(
        tmp_path / "kasir.csv",
        "1,2026-11-01 10:00,081234567890,45000",
        "2,2026-11-01 10:05,,30000",
        "3,2026-11-01 10:07,-,20000",
        "4,2026-11-01 10:09,0812****7890,25000",  # masked: it names someone, wrongly: still quarantined
    )
    plain = import_file(project, till, column_map=TILL, constants=SALE, check=True)
    assert (plain.rows_stored, plain.unnamed_rows, plain.quarantined_by_reason) == (1, 2, {"no_identifier": 3})
    kept = import_file(project, till, column_map=TILL, constants=SALE, keep_anonymous=True)
    assert (kept.rows_stored, kept.unnamed_rows, kept.quarantined_by_reason) == (3, 0, {"no_identifier": 1})
    people = {row["event_id"]: (row["anonymous_id"], row["phone_hash"] is not None) for row in lake_events(project)}
    assert people == {"1": (None, True), "2": ("row:2", False), "3": ("row:3", False)}
    # Remembered: the file's options say so, and reading it without is another reading.
    options = ImportOptions(column_map=TILL, constants=SALE, keep_anonymous=True)
    assert ImportOptions.from_json(options.to_json()) == options
    conflict = reimport_conflict(project, till, ImportOptions(column_map=TILL, constants=SALE))
    assert conflict is not None and "--keep-anonymous" in conflict
    # Each is a person of its own in the build: three buyers, every sale's revenue counted.
    run_build(project)
    conversions = pq.read_table(current_build(project) / "conversions").to_pylist()
    assert sorted(row["revenue"] for row in conversions) == [20000.0, 30000.0, 45000.0]
    assert len({row["person_id"] for row in conversions}) == 3
