"""The CLI is a thin skin: the commands run end to end, print what they say, and exit 0 / 1."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from jejak.cli.main import cli

ROWS = [
    {
        "waktu": "2026-03-01 09:00:00",
        "pelanggan": "ana",
        "event": "Page Viewed",
        "utm_source": "google",
        "utm_medium": "cpc",
    },
    {"waktu": "2026-03-03 20:00:00", "pelanggan": "ana", "event": "Page Viewed", "utm_source": "", "utm_medium": ""},
    {
        "waktu": "2026-03-03 20:05:00",
        "pelanggan": "ana",
        "event": "Order Completed",
        "utm_source": "",
        "utm_medium": "",
    },
    {"waktu": "kemarin", "pelanggan": "budi", "event": "Page Viewed", "utm_source": "", "utm_medium": ""},
]


def _write(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    return path


def test_init_import_build_report_export(tmp_path: Path) -> None:
    runner = CliRunner()
    project = tmp_path / "kopi"
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    source = _write(tmp_path / "orders.csv")
    imported = runner.invoke(
        cli, ["import", str(source), "--map", "waktu=timestamp,pelanggan=user_id", "--project", str(project)]
    )
    assert imported.exit_code == 0, imported.output
    assert "bad_timestamp 1" in imported.output
    built = runner.invoke(cli, ["build", "--project", str(project)])
    assert built.exit_code == 0, built.output
    summary = runner.invoke(cli, ["report", "summary", "--format", "json", "--project", str(project)])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.output)
    assert data["headline"][0]["conversions"] == 1
    # Ana's path: Paid Search on day 1, then Direct on day 3 where she buys (two sessions, 30-min gap).
    assert data["top_paths"] == [{"path": "Paid Search > Direct", "conversions": 1, "revenue": 0.0}]
    assert data["quarantine"] == [{"reason": "bad_timestamp", "rows": 1}]
    target = tmp_path / "paths.parquet"
    exported = runner.invoke(
        cli, ["export", "paths", "--format", "parquet", "-o", str(target), "--project", str(project)]
    )
    assert exported.exit_code == 0, exported.output
    assert pq.read_table(target).column("path").to_pylist() == ["Paid Search > Direct"]


def test_a_handled_failure_exits_1_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["build", "--project", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "jejak init" in result.output


def test_settings_lists_every_setting_with_env_overrides(tmp_path: Path) -> None:
    runner = CliRunner()
    project = tmp_path / "kopi"
    runner.invoke(cli, ["init", str(project)])
    result = runner.invoke(
        cli, ["settings", "--format", "json", "--project", str(project)], env={"JEJAK_LOOKBACK_DAYS": "14"}
    )
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["lookback_days"]["value"] == "14"
    assert rows["lookback_days"]["default"] == "30"
    assert rows["session_gap_seconds"]["value"] == "1800"
