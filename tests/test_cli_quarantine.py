"""`jejak quarantine`: the rows an import could not store, listed, shown whole and re-tried after a fix."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner
from conftest import lake_events

from jejak.cli.main import cli
from jejak.store.project import open_project

ROWS = (
    "timestamp,user_id,event\n"
    "2026-03-01 09:00,ana,Product Viewed\n"
    "01/03/2026 09:30,budi,Product Viewed\n"  # a day-first time: quarantined until timestamp_formats names it
    "2026-03-01 10:00,,Product Viewed\n"  # no identifier: its text needs a fix
)


def _listed(runner: CliRunner, project: Path, *options: str) -> list[dict[str, object]]:
    result = runner.invoke(cli, ["quarantine", "list", "--format", "json", *options, "--project", str(project)])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_quarantined_rows_are_listed_shown_and_retried_after_a_fix(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})  # one line per message
    project = tmp_path / "kopi"
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    empty = runner.invoke(cli, ["quarantine", "list", "--project", str(project)])
    assert empty.exit_code == 0 and "The quarantine is empty" in empty.output
    source = tmp_path / "visits.csv"
    source.write_text(ROWS)
    assert runner.invoke(cli, ["import", str(source), "--project", str(project)]).exit_code == 0
    rows = _listed(runner, project, "--limit", "0")
    by_reason = {str(row["reason"]): row for row in rows}
    assert sorted(by_reason) == ["bad_timestamp", "no_identifier"]
    assert {row["line"] for row in rows} == {3, 4} and {row["file"] for row in rows} == {"visits.csv"}
    # The terminal list: counts per reason, then every row under its id, with its file, line, reason and message.
    shown = runner.invoke(cli, ["quarantine", "list", "--project", str(project)])
    assert shown.exit_code == 0, shown.output
    for row in rows:
        assert f"{row['row_id']}  visits.csv line {row['line']}  {row['reason']}" in shown.output
        assert str(row["message"]) in shown.output
    assert _listed(runner, project, "--reason", "no_identifier") == [by_reason["no_identifier"]]
    one = runner.invoke(cli, ["quarantine", "list", "--limit", "1", "--project", str(project)])
    assert "1 of 2 rows shown" in one.output
    # `show` prints the whole text, as it is: what a fix starts from.
    missing = by_reason["no_identifier"]
    whole = runner.invoke(cli, ["quarantine", "show", str(missing["row_id"]), "--project", str(project)])
    assert whole.exit_code == 0 and whole.output.rstrip("\n").endswith(str(missing["raw"]))
    # When, on the business's clock: the listing's UTC instant, seven hours on, in Jakarta's time.
    stored = dt.datetime.fromisoformat(str(missing["quarantined_at"]))
    jakarta = (stored + dt.timedelta(hours=7)).strftime("%Y-%m-%d %H:%M:%S")
    assert re.search(rf"^when\s+{jakarta} WIB$", whole.output, re.MULTILINE), whole.output

    # Nothing named: refused with what to name.
    nothing = runner.invoke(cli, ["quarantine", "retry", "--project", str(project)])
    assert nothing.exit_code == 1 and "--reason REASON" in nothing.output
    # A re-try as things are changes nothing: the row comes back with the same reason.
    same = runner.invoke(cli, ["quarantine", "retry", "--reason", "bad_timestamp", "--project", str(project)])
    assert same.exit_code == 0 and "0 stored" in same.output and "quarantined again (bad_timestamp 1)" in same.output
    # Name the format in jejak.toml, and the reason's rows import.
    config = project / "jejak.toml"
    config.write_text(
        config.read_text().replace("[settings]\n", '[settings]\ntimestamp_formats = ["%d/%m/%Y %H:%M"]\n')
    )
    fixed = runner.invoke(cli, ["quarantine", "retry", "--reason", "bad_timestamp", "--project", str(project)])
    assert fixed.exit_code == 0 and "1 stored" in fixed.output and "jejak build" in fixed.output
    # One row's text fixed, read from a file (@FILE).
    [left] = _listed(runner, project)
    record = json.loads(str(left["raw"]))
    (tmp_path / "fix.json").write_text(json.dumps({**record, "user_id": "cici"}))
    typed = runner.invoke(
        cli,
        ["quarantine", "retry", "--fix", str(left["row_id"]), f"@{tmp_path / 'fix.json'}", "--project", str(project)],
    )
    assert typed.exit_code == 0 and "1 stored" in typed.output, typed.output
    assert _listed(runner, project) == []
    stored = {row["user_id"]: row["source_line"] for row in lake_events(open_project(project))}
    assert stored == {"ana": 2, "budi": 3, "cici": 4}  # each row keeps its file's line
    gone = runner.invoke(cli, ["quarantine", "show", str(left["row_id"]), "--project", str(project)])
    assert gone.exit_code == 1 and "no longer in the quarantine" in gone.output
