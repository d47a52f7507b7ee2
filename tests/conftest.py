"""Shared fixtures: customer stories written to real files, imported into a real project, built for real.

A story is `{"ana": [event, ...], "budi": [...]}`. Each event is a dict of input
columns with a readable `at` time (naive times are Asia/Jakarta, the default
`timezone` setting). An event without any identifier gets `user_id` = the
person's name, and every event gets a deterministic `event_id` (`ana-1`, `ana-2`,
…) unless it sets one. The clock is pinned and ticks one second per reading.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import re
import shlex
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from jejak.core.clock import set_clock
from jejak.engine import Engine, connect
from jejak.ingest.importer import ImportSummary, import_file
from jejak.journeys.channels import ChannelRule
from jejak.pipeline import BuildResult, run_build
from jejak.segments.personas import personas_from_yaml, save_persona
from jejak.store.derived import table_path
from jejak.store.lake import event_files
from jejak.store.project import Project, init_project, open_project
from jejak.synth.demo_personas import DEMO_PERSONAS_YAML

JAKARTA = ZoneInfo("Asia/Jakarta")
CLOCK_START = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
IDENTIFIERS = ("user_id", "anonymous_id", "email", "phone")

Event = Mapping[str, Any]
Story = Mapping[str, Sequence[Event]]


@pytest.fixture(autouse=True, scope="session")
def ticking_clock() -> Iterator[None]:
    """A deterministic clock: 2027-01-01 00:00:00 UTC (after every time the tests import: a later one is refused),
    one second later at every reading."""
    ticks = itertools.count()
    set_clock(lambda: CLOCK_START + dt.timedelta(seconds=next(ticks)))
    yield
    set_clock(None)


def jakarta(text: str) -> dt.datetime:
    """A naive wall-clock time in Jakarta as the aware UTC instant jejak stores."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=JAKARTA).astimezone(dt.UTC)


def story_rows(story: Story) -> list[dict[str, str]]:
    """The story as flat text rows (`at` becomes `timestamp`), in the order the people and events are told."""
    rows: list[dict[str, str]] = []
    for person, events in story.items():
        for number, event in enumerate(events, start=1):
            row = {key: "" if value is None else str(value) for key, value in event.items()}
            if "at" in row:
                row["timestamp"] = row.pop("at")
            if not any(row.get(name) for name in IDENTIFIERS):
                row["user_id"] = person
            row.setdefault("event_id", f"{person}-{number}")
            rows.append(row)
    return rows


def write_csv(path: Path, rows: Sequence[Mapping[str, str]]) -> Path:
    """Write rows as CSV with the union of their columns, in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns += [name for name in row if name not in columns]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, messages: Sequence[Mapping[str, Any]]) -> Path:
    """Write Segment-style messages, one JSON object per line."""
    path.write_text("".join(json.dumps(message) + "\n" for message in messages), encoding="utf-8")
    return path


def _toml_value(value: Any) -> str:
    # JSON scalars and lists of strings are valid TOML as they are.
    return json.dumps(value)


def make_project(
    root: Path, settings: Mapping[str, Any] | None = None, import_map: Mapping[str, str] | None = None
) -> Project:
    """A fresh project whose jejak.toml holds `settings` and `[import.map]`; opened without JEJAK_* env."""
    init_project(root)
    if settings or import_map:
        lines = ["[settings]"] + [f"{name} = {_toml_value(value)}" for name, value in (settings or {}).items()]
        # Quoted keys: an export's column names hold spaces and dots (`No. Struk`).
        lines += ["", "[import.map]"] + [
            f"{_toml_value(name)} = {_toml_value(value)}" for name, value in (import_map or {}).items()
        ]
        (root / "jejak.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return open_project(root, env={})


# TikTok Shop's orders export, its columns as jejak reads them (its own test, and the quarantine's dismiss test whose
# export has the line of column descriptions TikTok Shop writes under its header).
TIKTOK_SHOP_MAPPING = {
    "Order ID": "event_id",
    "Order Status": "event",
    "Order Amount": "revenue",
    "Created Time": "timestamp",
    "Buyer Username": "user_id",
}


def cli_project(tmp_path: Path, name: str = "kopi") -> tuple[CliRunner, Path]:
    """A CLI runner and a project made under `tmp_path / name` with `jejak init` (which must succeed)."""
    from jejak.cli.main import cli

    runner = CliRunner()
    project = tmp_path / name
    assert runner.invoke(cli, ["init", str(project)]).exit_code == 0
    return runner, project


def refusal_advice(runner: CliRunner, project: Path, path: Path) -> list[str]:
    """Import `path` into `project` with no options, as a user first does; it is refused for lacking columns. The
    `--map` and `--set` options the refusal advises, as a shell reads them when pasted."""
    from jejak.cli.main import cli

    refused = runner.invoke(cli, ["import", str(path), "--project", str(project)], env={"COLUMNS": "400"})
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1, said
    assert "Order Completed" not in said and "apart as that import advises" not in said, said
    map_advice = said.split("Its names suggest: ", 1)[1].split(" (check with --check)")[0]
    set_advice = re.search(r'one (?:name|type) for every row with (--set "[^"]*")', said)
    assert set_advice, said
    return [*shlex.split(map_advice), *shlex.split(set_advice.group(1))]


def lake_events(project: Project) -> list[dict[str, Any]]:
    """Every stored event, ordered by source line."""
    files = event_files(project)
    if not files:
        return []
    table = pa.concat_tables(pq.read_table(path) for path in files)
    return sorted(table.to_pylist(), key=lambda row: (row["source_file"], row["source_line"]))


def quarantined(project: Project) -> list[dict[str, Any]]:
    """Every quarantined row, ordered by file and line."""
    parts = sorted(project.quarantine_dir.glob("part-*.parquet"))
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    return sorted(rows, key=lambda row: (row["source_file"], row["source_line"]))


def visit(at: str, channel: str | None = None, **more: Any) -> dict[str, Any]:
    """A page view that opens a visit, from the channel the source says."""
    return {"at": at, "type": "page", "channel": channel, **more}


def buy(at: str, revenue: int, event: str = "Order Completed", **more: Any) -> dict[str, Any]:
    return {"at": at, "type": "track", "event": event, "revenue": revenue, **more}


@dataclass
class Built:
    """A project with a story imported and built; read its derived tables."""

    project: Project
    summary: ImportSummary
    result: BuildResult
    cache: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def table(self, name: str) -> pa.Table:
        return pq.read_table(table_path(self.project, name))

    def rows(self, name: str) -> list[dict[str, Any]]:
        if name not in self.cache:
            self.cache[name] = self.table(name).to_pylist()
        return self.cache[name]

    def report(self, build: Callable[[Callable[[str], Any]], Any]) -> list[dict[str, Any]]:
        """Rows of a report run on DuckDB; `build` gets a reader of the derived tables by name."""
        engine = connect()
        try:
            table = build(lambda name: engine.read_parquet(table_path(self.project, name)))
            rows: list[dict[str, Any]] = engine.to_pyarrow(table).to_pylist()
        finally:
            engine.close()
        return rows

    def person_by_node(self, node: str) -> str:
        """The person an identifier node (`1u:<user id>`, `2a:<anonymous id>`) belongs to."""
        matches = [row["person_id"] for row in self.rows("identities") if row["node"] == node]
        assert len(matches) == 1, f"{node} is in identities {len(matches)} times"
        return matches[0]

    def user(self, user_id: str) -> str:
        return self.person_by_node(f"1u:{user_id}")

    def device(self, anonymous_id: str) -> str:
        return self.person_by_node(f"2a:{anonymous_id}")

    def sessions_of(self, person_id: str) -> list[dict[str, Any]]:
        rows = [row for row in self.rows("sessions") if row["person_id"] == person_id]
        return sorted(rows, key=lambda row: row["started_at"])

    def journeys_of(self, person_id: str) -> list[dict[str, Any]]:
        rows = [row for row in self.rows("journeys") if row["person_id"] == person_id]
        return sorted(rows, key=lambda row: row["journey_index"])


def build_story(
    root: Path,
    story: Story,
    *,
    settings: Mapping[str, Any] | None = None,
    rules: tuple[ChannelRule, ...] | None = None,
) -> Built:
    """Write the story as CSV, import it into a fresh project under `root`, build, and hand back the result."""
    root.mkdir(parents=True, exist_ok=True)
    project = make_project(root / "p", settings)
    path = write_csv(root / "story.csv", story_rows(story))
    summary = import_file(project, path)
    assert summary.rows_stored == summary.rows_read, summary
    result = run_build(project, rules=rules)
    return Built(project, summary, result)


@pytest.fixture(scope="module")
def spark_engine() -> Iterator[Engine]:
    """Spark in local mode, one per test module (skipped only where the spark extra or Java is missing)."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the spark extra (pip install 'jejak[spark]')")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs a Java runtime (java is not on PATH)")
    engine = connect(engine="spark")
    yield engine
    engine.close()


def build_demo(root: Path, *, events: int, seed: int, file_format: str) -> tuple[Project, Path]:
    """Generate demo data under `root`, import and build it; the project and the generator's truth directory."""
    from jejak.synth import generate

    data = generate(root / "raw", events=events, seed=seed, file_format=file_format)
    project = init_project(root / "project")
    for path in data.files:
        import_file(project, path, column_map=data.column_map)
    run_build(project)
    return project, data.truth_dir


def build_demo_with_personas(root: Path, *, events: int, seed: int, file_format: str) -> Project:
    """`build_demo`, then the demo's persona documents saved, as `jejak demo` leaves a project."""
    project, _ = build_demo(root, events=events, seed=seed, file_format=file_format)
    for persona in personas_from_yaml(DEMO_PERSONAS_YAML, "the demo personas"):
        save_persona(project.sqlite_path, persona)
    return project
