"""Dismissing quarantined rows that are no events: out of the quarantine, kept aside, and the imports log says so.

TikTok Shop's orders export writes a line of column descriptions under its header. It is quarantined (nothing is
lost), but no fix or re-try can ever store it, and it stood among the rows that need one, in every count.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import TIKTOK_SHOP_MAPPING, cli_project, lake_events, make_project, quarantined

from jejak.cli.main import cli
from jejak.core.errors import NotFoundError, SettingError
from jejak.ingest.importer import import_file, quarantine_counts
from jejak.ingest.quarantine import (
    DISMISSED_DIR,
    dismiss_quarantined,
    list_quarantined,
    restore_dismissed,
    retry_quarantined,
)
from jejak.ingest.removal import remove_import

EXPORT = (
    "Order ID,Order Status,Order Amount,Created Time,Buyer Username\n"
    "Platform unique order ID.,Current order status.,Order amount,Order created time.,Buyer username\n"
    "5761,Completed,85000,2026-10-01 09:00:00,budi88\n"
    "5762,Completed,65000,kemarin,sari_k\n"
)
MAPPING = TIKTOK_SHOP_MAPPING


def _logged_quarantined(sqlite_path: Path) -> list[tuple[str, int]]:
    db = sqlite3.connect(sqlite_path)
    try:
        return db.execute("SELECT file_format, rows_quarantined FROM imports ORDER BY finished_at").fetchall()
    finally:
        db.close()


def test_a_dismissed_row_leaves_the_quarantine_and_is_kept_aside(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    path = tmp_path / "tiktok.csv"
    path.write_text(EXPORT)
    import_file(project, path, column_map=MAPPING)
    assert quarantine_counts(project) == {"bad_timestamp": 1, "wrong_type": 1}
    rows = {row.source_line: row for row in list_quarantined(project).rows}
    described, unread = rows[2], rows[4]

    assert dismiss_quarantined(project, row_ids=[described.row_id]) == 1
    assert quarantine_counts(project) == {"bad_timestamp": 1}  # the row that needs a fix stays
    [kept] = [pq.read_table(part).to_pylist() for part in (project.quarantine_dir / DISMISSED_DIR).glob("*.parquet")]
    assert [(row["source_line"], row["reason"], row["raw"]) for row in kept] == [(2, "wrong_type", described.raw)]
    assert kept[0]["quarantined_at"] == described.quarantined_at
    # The log's quarantined counts still add up to the quarantine's.
    logged = _logged_quarantined(project.sqlite_path)
    assert logged[-1] == ("dismissed", -1)
    assert sum(count for _, count in logged) == sum(quarantine_counts(project).values())
    # A dismissed row is gone for a re-try too, and so is it for a second dismissal.
    with pytest.raises(NotFoundError):
        retry_quarantined(project, row_ids=[described.row_id])
    with pytest.raises(NotFoundError):
        dismiss_quarantined(project, row_ids=[described.row_id])
    with pytest.raises(SettingError, match="Name the rows to dismiss"):
        dismiss_quarantined(project)
    # A re-try of the other row (listed again: its part was rewritten) still reads the file as its import did.
    [still] = list_quarantined(project).rows
    assert (still.source_line, still.raw) == (unread.source_line, unread.raw)
    assert retry_quarantined(project, row_ids=[still.row_id]).rows_quarantined == 1
    # Removing the file's import takes what is left, and the rows dismissed from it: no restore brings them back.
    assert remove_import(project, str(path)).quarantined == 1
    assert quarantined(project) == [] and lake_events(project) == []
    assert list_quarantined(project, dismissed=True).total == 0


def test_a_dismissed_row_is_restored_as_it_was(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    path = tmp_path / "tiktok.csv"
    path.write_text(EXPORT)
    import_file(project, path, column_map=MAPPING)
    before = sorted((row.source_line, row.reason, row.message, row.raw) for row in list_quarantined(project).rows)
    assert dismiss_quarantined(project, reason="wrong_type") == 1
    assert dismiss_quarantined(project, reason="bad_timestamp") == 1
    assert quarantine_counts(project) == {}
    [aside] = list_quarantined(project, dismissed=True, reason="wrong_type").rows
    assert restore_dismissed(project, row_ids=[aside.row_id]) == 1
    assert quarantine_counts(project) == {"wrong_type": 1}
    assert restore_dismissed(project, reason="bad_timestamp") == 1
    after = sorted((row.source_line, row.reason, row.message, row.raw) for row in list_quarantined(project).rows)
    assert after == before and list_quarantined(project, dismissed=True).total == 0
    logged = _logged_quarantined(project.sqlite_path)
    assert logged[-2:] == [("restored", 1), ("restored", 1)]
    assert sum(count for _, count in logged) == sum(quarantine_counts(project).values())
    with pytest.raises(NotFoundError, match="not among the dismissed rows"):
        restore_dismissed(project, row_ids=[aside.row_id])
    with pytest.raises(SettingError, match="Name the dismissed rows to restore"):
        restore_dismissed(project)
    # A restored row is re-tried as any other: still unreadable, it stays.
    [unread] = [row for row in list_quarantined(project).rows if row.reason == "bad_timestamp"]
    assert retry_quarantined(project, row_ids=[unread.row_id]).rows_quarantined == 1


def _imported_export(tmp_path: Path) -> tuple[CliRunner, Path]:
    """A project that imported EXPORT with the command: its description line and its unread time quarantined."""
    runner, root = cli_project(tmp_path, "toko")
    path = tmp_path / "tiktok.csv"
    path.write_text(EXPORT)
    mapping = ",".join(f"{column}={target}" for column, target in MAPPING.items())
    assert runner.invoke(cli, ["import", str(path), "--map", mapping, "--project", str(root)]).exit_code == 0
    return runner, root


def test_the_command_asks_first_and_dismisses_a_reason(tmp_path: Path) -> None:
    runner, root = _imported_export(tmp_path)
    asked = runner.invoke(cli, ["quarantine", "dismiss", "--reason", "wrong_type", "--project", str(root)], input="n\n")
    assert asked.exit_code == 1 and "Dismiss 1 row:" in asked.output and "line 2 (wrong_type)" in asked.output
    listed = runner.invoke(cli, ["quarantine", "list", "--project", str(root)]).output
    assert "wrong_type" in listed  # not answered yes: nothing dismissed
    done = runner.invoke(cli, ["quarantine", "dismiss", "--reason", "wrong_type", "--yes", "--project", str(root)])
    assert done.exit_code == 0 and "1 row dismissed" in done.output, done.output
    listed = runner.invoke(cli, ["quarantine", "list", "--project", str(root)]).output
    assert "wrong_type" not in listed and "bad_timestamp" in listed
    # Dismissed by mistake: listed apart, and restored by its id.
    aside = runner.invoke(cli, ["quarantine", "list", "--dismissed", "--project", str(root)], env={"COLUMNS": "200"})
    assert aside.exit_code == 0 and "wrong_type" in aside.output and "bad_timestamp" not in aside.output, aside.output
    row_id = aside.output.split()[0]
    restored = runner.invoke(cli, ["quarantine", "restore", row_id, "--project", str(root)])
    assert restored.exit_code == 0 and "1 row restored" in restored.output, restored.output
    listed = runner.invoke(cli, ["quarantine", "list", "--project", str(root)]).output
    assert "wrong_type" in listed and "bad_timestamp" in listed


def test_an_answer_piped_in_ends_the_question_s_line(tmp_path: Path) -> None:
    """`echo y | jejak …`: the terminal echoes no answer, so what the command says next starts its own line."""
    import subprocess
    import sys

    _, root = _imported_export(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jejak.cli.main",
            "quarantine",
            "dismiss",
            "--reason",
            "wrong_type",
            "--project",
            str(root),
        ],
        input="y\n",
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    [asked_at] = [at for at, line in enumerate(lines) if line.startswith("Dismiss 1 row:")]
    assert lines[asked_at].endswith("[y/N]: ") and lines[asked_at + 1].startswith("1 row dismissed"), done.stdout
