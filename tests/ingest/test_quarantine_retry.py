"""Re-trying quarantined rows: fixed rows go through the importer like any other row, and nothing is lost."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import lake_events, make_project, quarantined, write_csv, write_jsonl

from jejak.core.errors import NotFoundError
from jejak.core.pii import hmac_hex, normalise_email
from jejak.ingest.identifiers import MASK_EMAIL
from jejak.ingest.importer import import_file
from jejak.ingest.quarantine import (
    LEFT_WHY,
    QuarantinedRow,
    RetrySummary,
    list_quarantined,
    quarantined_row,
    retry_quarantined,
)
from jejak.store.project import Project, open_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "p")


def rows_of(project: Project, reason: str | None = None) -> list[QuarantinedRow]:
    return list_quarantined(project, reason=reason).rows


def only(project: Project, reason: str) -> QuarantinedRow:
    [row] = rows_of(project, reason)
    return row


def fixed_record(row: QuarantinedRow, **changes: str) -> str:
    return json.dumps({**json.loads(row.raw), **changes})


def assert_counts_move(
    before_lake: int, before_quarantine: int, project: Project, summary: RetrySummary
) -> tuple[int, int]:
    """The lake grew by the rows stored; the quarantine lost the rows re-tried and gained the ones that failed again."""
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    assert summary.reconciles, summary
    assert lake == before_lake + summary.rows_stored
    assert quarantine == before_quarantine - summary.rows_retried + summary.rows_quarantined
    return lake, quarantine


KASIR = [
    {"event_id": "k1", "timestamp": "2026-03-01 09:00", "user_id": "ana", "type": "page", "email": "", "rasa": ""},
    {
        "event_id": "k2",
        "timestamp": "kemarin sore",
        "user_id": "budi",
        "type": "track",
        "event": "Order Completed",
        "email": "",
        "rasa": "aren",
    },
    {"event_id": "k3", "timestamp": "2026-03-01 09:05", "user_id": "", "type": "page", "email": "", "rasa": ""},
    {"event_id": "k4", "timestamp": "besok", "user_id": "", "type": "page", "email": "Cici@Example.com", "rasa": ""},
]


@pytest.fixture
def kasir(project: Project, tmp_path: Path) -> Path:
    path = write_csv(tmp_path / "kasir.csv", KASIR)
    summary = import_file(project, path, source_name="kasir-pos")
    assert summary.rows_quarantined == 3, summary
    return path


def test_a_fixed_csv_row_is_stored_with_its_own_file_line_and_source(project: Project, kasir: Path) -> None:
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    bad = next(row for row in rows_of(project, "bad_timestamp") if "budi" in row.raw)
    summary = retry_quarantined(project, fixed={bad.row_id: fixed_record(bad, timestamp="2026-03-01 10:00")})
    assert (summary.rows_chosen, summary.rows_retried, summary.rows_stored, summary.rows_left) == (1, 1, 1, 0)
    assert_counts_move(lake, quarantine, project, summary)
    stored = {row["event_id"]: row for row in lake_events(project)}["k2"]
    assert stored["user_id"] == "budi"
    assert (stored["source_file"], stored["source_line"]) == (bad.source_file, bad.source_line)
    assert stored["source_name"] == "kasir-pos"
    # The extra column went into the properties, as on the first import.
    assert json.loads(stored["properties"]) == {"rasa": "aren"}
    assert bad.row_id not in {row.row_id for row in rows_of(project)}
    # The re-try is in the imports log, and its counts reconcile.
    db = sqlite3.connect(project.sqlite_path)
    try:
        logged = db.execute(
            "SELECT file, file_format, source_name, rows_read, rows_stored FROM imports WHERE file_format = 'quarantine'"
        ).fetchall()
    finally:
        db.close()
    assert logged == [(bad.source_file, "quarantine", "kasir-pos", 1, 1)]


def test_a_row_that_fails_again_stays_with_its_new_reason(project: Project, kasir: Path) -> None:
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    bad = next(row for row in rows_of(project, "bad_timestamp") if "budi" in row.raw)
    # The time is fixed, but the user id is gone now: the row has no identifier.
    summary = retry_quarantined(
        project, fixed={bad.row_id: fixed_record(bad, timestamp="2026-03-01 10:00", user_id="")}
    )
    assert summary.quarantined_by_reason == {"no_identifier": 1}
    assert_counts_move(lake, quarantine, project, summary)
    again = [row for row in rows_of(project, "no_identifier") if row.source_line == bad.source_line]
    assert len(again) == 1 and again[0].source_file == bad.source_file
    assert "2026-03-01 10:00" in again[0].raw
    assert not [row for row in rows_of(project, "bad_timestamp") if row.source_line == bad.source_line]


def test_masked_identifiers_must_be_typed_again(project: Project, kasir: Path) -> None:
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    bad = next(row for row in rows_of(project, "bad_timestamp") if MASK_EMAIL in row.raw)
    # As it is, with the e-mail masked (only its HMAC may be stored): left alone, and it says why.
    summary = retry_quarantined(project, fixed={bad.row_id: fixed_record(bad, timestamp="2026-03-02 08:00")})
    assert summary.left_by_why == {"masked": 1} and "masked" in LEFT_WHY
    assert_counts_move(lake, quarantine, project, summary)
    assert quarantined_row(project, bad.row_id).raw == bad.raw
    # With the e-mail typed again it is hashed like any imported e-mail.
    summary = retry_quarantined(
        project, fixed={bad.row_id: fixed_record(bad, timestamp="2026-03-02 08:00", email="cici@example.com ")}
    )
    assert summary.rows_stored == 1
    stored = {row["event_id"]: row for row in lake_events(project)}["k4"]
    assert stored["email_hash"] == hmac_hex(project.hmac_key(), str(normalise_email("Cici@Example.com")))
    assert "cici" not in json.dumps(stored, default=str).lower()


def test_retrying_a_reason_after_fixing_a_setting(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", settings={"import_max_field_bytes": 64})
    rows = [
        {"event_id": "s1", "timestamp": "2026-03-01 09:00", "user_id": "ana", "event": "Short"},
        {"event_id": "s2", "timestamp": "2026-03-01 09:01", "user_id": "ana", "event": "Long " + "kopi " * 20},
        {"event_id": "s3", "timestamp": "2026-03-01 09:02", "user_id": "budi", "event": "Longer " + "teh " * 30},
    ]
    import_file(project, write_csv(tmp_path / "long.csv", rows))
    assert len(rows_of(project, "oversize_field")) == 2
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    # Still too long under the same setting: both come back with the same reason, none lost.
    summary = retry_quarantined(project, reason="oversize_field")
    assert summary.quarantined_by_reason == {"oversize_field": 2}
    lake, quarantine = assert_counts_move(lake, quarantine, project, summary)
    (project.root / "jejak.toml").write_text("[settings]\nimport_max_field_bytes = 1024\n", encoding="utf-8")
    summary = retry_quarantined(open_project(project.root, env={}), reason="oversize_field")
    assert (summary.rows_retried, summary.rows_stored, summary.rows_quarantined) == (2, 2, 0)
    assert_counts_move(lake, quarantine, project, summary)
    assert {row["event_id"] for row in lake_events(project)} == {"s1", "s2", "s3"}
    assert quarantined(project) == []


def test_retrying_after_mapping_a_column_in_jejak_toml(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    rows = [
        {"timestamp": "2026-03-01 09:00", "user_id": "ana", "pelanggan": "", "event": "Order Completed"},
        {"timestamp": "2026-03-01 09:05", "user_id": "", "pelanggan": "budi", "event": "Order Completed"},
    ]
    import_file(project, write_csv(tmp_path / "toko.csv", rows))
    assert [row.reason for row in rows_of(project)] == ["no_identifier"]
    (project.root / "jejak.toml").write_text('[import.map]\npelanggan = "user_id"\n', encoding="utf-8")
    summary = retry_quarantined(open_project(project.root, env={}), reason="no_identifier")
    assert summary.rows_stored == 1, summary
    assert sorted(row["user_id"] for row in lake_events(project)) == ["ana", "budi"]


def test_a_row_already_in_the_lake_is_a_duplicate_and_leaves_the_quarantine(project: Project, kasir: Path) -> None:
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    bad = only(project, "no_identifier")
    # Fixed into a copy of an event the lake has (same event_id): skipped as a duplicate, like on import.
    summary = retry_quarantined(project, fixed={bad.row_id: fixed_record(bad, event_id="k1", user_id="ana")})
    assert (summary.rows_retried, summary.duplicates_skipped, summary.rows_stored) == (1, 1, 0)
    assert_counts_move(lake, quarantine, project, summary)


def test_a_fixed_jsonl_line_is_imported_as_json_lines(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    write_jsonl(path, [{"type": "page", "messageId": "j1", "userId": "ana", "timestamp": "2026-03-01T09:00:00+07:00"}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"type":"track","messageId":"j2","userId":"ana","event":"Order Completed","timestamp":\n')
    import_file(project, path)
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    bad = only(project, "bad_json")
    fixed = bad.raw + '"2026-03-01T09:10:00+07:00","properties":{"revenue":150000,"note":"<b>aren</b>"}}'
    summary = retry_quarantined(project, fixed={bad.row_id: fixed})
    assert summary.rows_stored == 1, summary
    assert_counts_move(lake, quarantine, project, summary)
    stored = {row["event_id"]: row for row in lake_events(project)}["j2"]
    assert stored["revenue"] == 150000.0 and stored["source_line"] == bad.source_line == 2
    assert json.loads(stored["properties"])["note"] == "<b>aren</b>"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_retried_row_gets_the_event_id_a_fresh_import_would_give(tmp_path: Path, suffix: str) -> None:
    # No event_id column: ids are made from the source name and the row's text, so the row must be rebuilt exactly.
    table = pa.table(
        {
            "timestamp": ["2026-03-01T09:00:00+07:00", "2026-03-01T09:30:00+07:00"],
            "user_id": ["ana", "budi"],
            "event": ["Page", "Ulasan " + "enak " * 20],
            "rasa": ["aren", None] if suffix == ".parquet" else ["aren", ""],
        }
    )
    path = tmp_path / f"app{suffix}"
    if suffix == ".parquet":
        pq.write_table(table, path)
    else:
        write_csv(path, table.to_pylist())
    strict = make_project(tmp_path / "strict", settings={"import_max_field_bytes": 64})
    import_file(strict, path)
    assert [row.reason for row in rows_of(strict)] == ["oversize_field"]
    (strict.root / "jejak.toml").write_text("[settings]\nimport_max_field_bytes = 4096\n", encoding="utf-8")
    assert retry_quarantined(open_project(strict.root, env={}), reason="oversize_field").rows_stored == 1
    fresh = make_project(tmp_path / "fresh")
    import_file(fresh, path)

    def stored(project: Project) -> dict[str, tuple[Any, ...]]:
        return {row["event_id"]: (row["event"], row["properties"], row["source_line"]) for row in lake_events(project)}

    assert stored(strict) == stored(fresh)


def test_a_csv_line_the_reader_could_not_split_is_fixed_under_the_files_header(
    project: Project, tmp_path: Path
) -> None:
    path = tmp_path / "kasir.csv"
    path.write_text("timestamp,user_id,event\n2026-03-01 09:00,ana,Page\n2026-03-01 09:05,budi,Page,extra\n")
    import_file(project, path)
    bad = only(project, "malformed_row")
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    # Not fixed: nothing to re-try, and the row says so.
    assert retry_quarantined(project, reason="malformed_row").left_by_why == {"needs_fix": 1}
    summary = retry_quarantined(project, fixed={bad.row_id: "2026-03-01 09:05,budi,Page"})
    assert summary.rows_stored == 1, summary
    assert_counts_move(lake, quarantine, project, summary)
    [stored] = [row for row in lake_events(project) if row["user_id"] == "budi"]
    assert stored["source_line"] == 3 and stored["event"] == "Page"


def test_a_csv_line_whose_file_is_gone_is_left_as_it_was(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "kasir.csv"
    path.write_text("timestamp,user_id\n2026-03-01 09:05,budi,extra\n")
    import_file(project, path, constants={"event": "Order Completed"})
    bad = only(project, "malformed_row")
    path.unlink()
    summary = retry_quarantined(project, fixed={bad.row_id: "2026-03-01 09:05,budi"})
    assert summary.left_by_why == {"no_header": 1} and summary.reconciles
    assert quarantined_row(project, bad.row_id).raw == bad.raw


def test_two_rows_quarantined_from_one_line_are_both_retried(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "kasir.csv"
    write_csv(path, [{"event_id": "a", "timestamp": "kemarin", "user_id": "ana", "event": "Order Completed"}])
    import_file(project, path)
    # The file changed, same line.
    write_csv(path, [{"event_id": "b", "timestamp": "lusa", "user_id": "budi", "event": "Order Completed"}])
    import_file(project, path)
    chosen = rows_of(project, "bad_timestamp")
    assert [row.source_line for row in chosen] == [2, 2]
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    fixes = {row.row_id: fixed_record(row, timestamp="2026-03-01 09:00") for row in chosen}
    summary = retry_quarantined(project, fixed=fixes)
    assert (summary.rows_retried, summary.rows_stored) == (2, 2)
    assert_counts_move(lake, quarantine, project, summary)
    assert {row["event_id"] for row in lake_events(project)} == {"a", "b"}


def test_blank_text_and_a_broken_json_object_are_left_as_they_were(project: Project, kasir: Path) -> None:
    bad = only(project, "no_identifier")
    assert retry_quarantined(project, fixed={bad.row_id: "  \n"}).left_by_why == {"blank": 1}
    assert retry_quarantined(project, fixed={bad.row_id: bad.raw[:-3]}).left_by_why == {"not_json": 1}
    assert quarantined_row(project, bad.row_id).raw == bad.raw


def test_a_row_that_left_the_quarantine_cannot_be_retried_again(project: Project, kasir: Path) -> None:
    bad = next(row for row in rows_of(project, "bad_timestamp") if "budi" in row.raw)
    retry_quarantined(project, fixed={bad.row_id: fixed_record(bad, timestamp="2026-03-01 10:00")})
    with pytest.raises(NotFoundError):
        retry_quarantined(project, row_ids=[bad.row_id])
    with pytest.raises(NotFoundError):
        quarantined_row(project, "0" * 32 + ":0")


def test_listing_pages_through_the_quarantine_newest_first(project: Project, tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"timestamp": f"nanti {n}", "user_id": f"u{n}", "event_id": f"e{n}", "event": "Order Completed"}
        for n in range(7)
    ]
    import_file(project, write_csv(tmp_path / "a.csv", rows))
    import_file(project, write_csv(tmp_path / "b.csv", rows[:2]))
    everything = list_quarantined(project)
    assert everything.total == 9 == len(everything.rows)
    # Newest import first, then by file and line.
    assert [Path(row.source_file).name for row in everything.rows[:2]] == ["b.csv", "b.csv"]
    pages = [list_quarantined(project, offset=offset, limit=4) for offset in (0, 4, 8)]
    assert [row.row_id for page in pages for row in page.rows] == [row.row_id for row in everything.rows]
    cut = list_quarantined(project, raw_chars=10).rows[0]
    assert len(cut.raw) == 10 and cut.raw_is_cut


def test_a_semicolon_line_is_fixed_under_the_files_own_header(project: Project, tmp_path: Path) -> None:
    # The re-try writes the file's header with the file's separator, and reads its numbers as the import did.
    path = tmp_path / "kasir.csv"
    path.write_text("timestamp;user_id;event;revenue\n2026-03-01 09:00;ana;Page;\n2026-03-01 09:05;budi;Order;1,5;x\n")
    import_file(project, path)
    bad = only(project, "malformed_row")
    summary = retry_quarantined(project, fixed={bad.row_id: "2026-03-01 09:05;budi;Order;1.500,5"})
    assert summary.rows_stored == 1, summary
    [stored] = [row for row in lake_events(project) if row["user_id"] == "budi"]
    assert stored["source_line"] == 3 and stored["revenue"] == 1500.5


def test_a_line_from_a_gzipped_file_is_fixed_under_its_header(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "kasir.csv.gz"
    path.write_bytes(gzip.compress(b"timestamp,user_id,event\n2026-03-01 09:05,budi,Page,extra\n"))
    import_file(project, path)
    bad = only(project, "malformed_row")
    summary = retry_quarantined(project, fixed={bad.row_id: "2026-03-01 09:05,budi,Page"})
    assert summary.rows_stored == 1, summary


def test_a_row_of_an_excel_file_is_fixed_as_a_record(project: Project, tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [
        ["timestamp", "user_id", "event"],
        ["kemarin", "ana", "Page"],
        ["2026-03-01 09:10", "budi", "Page", "x"],
    ]:
        sheet.append(row)
    workbook.save(tmp_path / "kasir.xlsx")
    import_file(project, tmp_path / "kasir.xlsx")
    bad = only(project, "bad_timestamp")
    fixed = json.dumps({**json.loads(bad.raw), "timestamp": "2026-03-01 09:05"})
    summary = retry_quarantined(project, fixed={bad.row_id: fixed})
    assert summary.rows_stored == 1, summary
    [stored] = lake_events(project)
    assert stored["source_line"] == 2 and stored["event"] == "Page"
    # A row with a value right of the table: its cells are a JSON object; without the stray cell it is stored.
    stray = only(project, "malformed_row")
    assert retry_quarantined(project, reason="malformed_row").left_by_why == {"needs_fix": 1}
    cells = {key: value for key, value in json.loads(stray.raw).items() if not key.startswith("column ")}
    assert retry_quarantined(project, fixed={stray.row_id: json.dumps(cells)}).rows_stored == 1
    assert {row["user_id"]: row["source_line"] for row in lake_events(project)} == {"ana": 2, "budi": 3}


def test_a_line_is_read_again_as_its_import_was_told_on_the_command_line(project: Project, tmp_path: Path) -> None:
    # A seller-centre report: two title lines, semicolons, its own column names mapped with --map, and no event
    # name (--set). The re-try reads the fixed line the same way: under the header below the title, mapped, set.
    path = tmp_path / "pesanan.csv"
    path.write_text(
        "Laporan Pesanan;;\nPeriode: Maret 2026;;\n"
        "waktu;pembeli;total\n"
        "2026-03-01 09:00;ana;150.000\n"
        "2026-03-01 09:05;budi;1,5;x\n"
    )
    summary = import_file(
        project,
        path,
        column_map={"waktu": "timestamp", "pembeli": "user_id", "total": "revenue"},
        constants={"event": "Order Completed"},
        delimiter="semicolon",
        skip_lines=2,
    )
    assert (summary.rows_stored, summary.rows_quarantined) == (1, 1), summary
    bad = only(project, "malformed_row")
    assert bad.source_line == 5
    lake, quarantine = len(lake_events(project)), len(quarantined(project))
    retried = retry_quarantined(project, fixed={bad.row_id: "2026-03-01 09:05;budi;1.500,5"})
    assert retried.rows_stored == 1, retried
    assert_counts_move(lake, quarantine, project, retried)
    [stored] = [row for row in lake_events(project) if row["user_id"] == "budi"]
    assert (stored["source_line"], stored["event"], stored["revenue"]) == (5, "Order Completed", 1500.5)


def test_a_line_from_a_utf16_file_is_fixed_under_its_header(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "kasir.tsv"
    path.write_bytes("timestamp\tuser_id\tevent\r\n2026-03-01 09:05\tbudi\tPage\textra\r\n".encode("utf-16"))
    import_file(project, path)
    bad = only(project, "malformed_row")
    summary = retry_quarantined(project, fixed={bad.row_id: "2026-03-01 09:05\tbudi\tPage"})
    assert summary.rows_stored == 1, summary
    [stored] = lake_events(project)
    assert (stored["user_id"], stored["event"], stored["source_line"]) == ("budi", "Page", 2)


def test_files_of_one_name_named_relatively_are_re_tried_each_as_imported(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two stores' tills export `kasir.csv` with other headers, each with a line the reader cannot split (a value
    # too many); each file is imported by a relative name.
    for store, (when, who) in {"kemang": ("Waktu", "Pelanggan"), "bali": ("Jam", "Pembeli")}.items():
        (tmp_path / store).mkdir()
        (tmp_path / store / "kasir.csv").write_text(f"{when},{who}\n2026-03-01 09:00,{store}-ana,extra\n")
    monkeypatch.chdir(tmp_path)
    sale = {"event": "Order Completed"}
    import_file(
        project, Path("kemang/kasir.csv"), column_map={"Waktu": "timestamp", "Pelanggan": "user_id"}, constants=sale
    )
    import_file(project, Path("bali/kasir.csv"), column_map={"Jam": "timestamp", "Pembeli": "user_id"}, constants=sale)
    # Each line is re-tried under its own file's header and mapping, not under the last import of a file of the
    # same name (whose mapping names columns this file lacks).
    fixed = {row.row_id: row.raw.replace(",extra", "") for row in rows_of(project, "malformed_row")}
    assert len(fixed) == 2
    summary = retry_quarantined(project, fixed=fixed)
    assert summary.rows_stored == 2, summary
    assert sorted(event["user_id"] for event in lake_events(project)) == ["bali-ana", "kemang-ana"]
