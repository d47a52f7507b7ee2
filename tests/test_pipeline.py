"""The pipeline: event lake in, derived tables out, published atomically; readers never lose the build they use."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_project, story_rows, write_csv

from jejak.core.errors import EngineError, LakeError, MissingColumnError, TableNotBuiltError
from jejak.ingest.importer import import_file
from jejak.journeys.channels import ChannelRule
from jejak.pipeline import TABLES, BuildResult, run_build
from jejak.store.derived import current_build, table_path
from jejak.store.project import Project

MONDAY = {
    "ana": [
        {"at": "2026-03-02 09:00", "type": "page", "channel": "Paid Social"},
        {"at": "2026-03-02 19:00", "type": "page", "channel": "Email"},
        {"at": "2026-03-03 19:00", "type": "page", "channel": "Email"},
        {"at": "2026-03-03 19:05", "event": "Order Completed", "revenue": "185000"},
    ]
}
TUESDAY = {"budi": [{"at": "2026-03-03 10:00", "type": "page", "channel": "WhatsApp"}]}


def import_story(project: Project, path: Path, story: dict[str, list[dict[str, str]]]) -> None:
    summary = import_file(project, write_csv(path, story_rows(story)))
    assert summary.rows_stored == summary.rows_read


def journeys_in(build_dir: Path) -> dict[str, list[str]]:
    table = pq.read_table(build_dir / "journeys")
    return {row["person_id"]: row["path"] for row in table.to_pylist()}


@dataclass
class History:
    project: Project
    first: BuildResult
    second: BuildResult


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """Monday's events built with the defaults; then Tuesday's imported and built with path_transform = unique."""
    root = tmp_path_factory.mktemp("pipeline")
    project = make_project(root / "p")
    import_story(project, root / "monday.csv", MONDAY)
    first = run_build(project)
    import_story(project, root / "tuesday.csv", TUESDAY)
    second = run_build(project, settings=project.settings.replace(path_transform="unique"))
    return History(project, first, second)


def test_the_tables_link_points_at_the_new_build(history: History) -> None:
    link = history.project.tables_dir
    assert link.is_symlink()
    assert not link.readlink().is_absolute(), "a relative link survives moving the project"
    assert current_build(history.project) == history.second.build_dir.resolve()
    for name in TABLES:
        assert table_path(history.project, name) == history.second.build_dir.resolve() / name
        assert list((history.second.build_dir / name).glob("*.parquet")), name


def test_the_previous_build_stays_readable_and_unchanged(history: History) -> None:
    assert journeys_in(history.first.build_dir) == {"u:ana": ["Paid Social", "Email"]}
    assert journeys_in(history.second.build_dir) == {
        "u:ana": ["Paid Social", "Email", "Email"],  # settings= wins over jejak.toml: unique keeps repeats
        "u:budi": ["WhatsApp"],
    }


def test_every_build_is_recorded_in_sqlite(history: History) -> None:
    db = sqlite3.connect(history.project.sqlite_path)
    try:
        rows = db.execute("SELECT build_id, engine, steps_json FROM builds ORDER BY started_at").fetchall()
    finally:
        db.close()
    assert [(build_id, engine) for build_id, engine, _ in rows] == [
        (history.first.build_dir.name, "duckdb"),
        (history.second.build_dir.name, "duckdb"),
    ]
    steps = json.loads(rows[1][2])
    assert list(steps) == [
        "identity",
        "sessions",
        "journey_marks",
        "touchpoints",
        "conversions",
        "refunds",
        "journey_touches",
        "journeys",
        "paths",
        "people",
        "write",
    ]
    assert steps == history.second.step_seconds


def test_an_unknown_table_is_named_with_the_tables_there_are(history: History) -> None:
    with pytest.raises(TableNotBuiltError) as caught:
        table_path(history.project, "funnels")
    assert "'funnels'" in str(caught.value)
    assert "journeys" in str(caught.value)


def test_counts_in_derived_tables_are_integers(history: History) -> None:
    counts = {
        "sessions": ("events", "page_views", "conversions", "duration_seconds"),
        "people": ("events", "identifiers", "user_ids"),
        "journeys": ("journey_index", "touches"),
        "paths": ("touches", "conversions", "non_conversions"),
    }
    wrong = []
    for table, columns in counts.items():
        schema = pq.read_schema(next(table_path(history.project, table).glob("*.parquet")))
        wrong += [
            f"{table}.{c}: {schema.field(c).type}" for c in columns if not pa.types.is_integer(schema.field(c).type)
        ]
    assert wrong == []


def test_an_empty_lake_says_to_import_first(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with pytest.raises(LakeError) as caught:
        run_build(project)
    assert "Import files first" in str(caught.value)
    assert str(project.events_dir) in str(caught.value)
    assert not project.tables_dir.exists()
    with pytest.raises(TableNotBuiltError, match="jejak build"):
        table_path(project, "journeys")
    assert list(project.builds_dir.iterdir()) == [], "a failed build leaves no directory behind"


def test_a_failed_build_does_not_cost_readers_the_previous_build(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    import_story(project, tmp_path / "monday.csv", MONDAY)
    previous = run_build(project).build_dir
    broken_rules = (ChannelRule("Kiosk", ({"kiosk_id": "^k"},)),)
    with pytest.raises(MissingColumnError, match="kiosk_id"):
        run_build(project, rules=broken_rules)
    assert current_build(project) == previous.resolve(), "a failed build publishes nothing"
    assert sorted(project.builds_dir.iterdir()) == [previous]
    newest = run_build(project).build_dir
    # The build before the newest one is kept for readers still using it.
    assert sorted(project.builds_dir.iterdir()) == [previous, newest]
    assert journeys_in(previous) == {"u:ana": ["Paid Social", "Email"]}
    # Only two builds are kept: a third build removes the oldest.
    third = run_build(project).build_dir
    assert sorted(project.builds_dir.iterdir()) == [newest, third]


def test_a_project_copied_with_its_links_followed_builds_again(tmp_path: Path) -> None:
    import shutil

    project = make_project(tmp_path / "p")
    import_story(project, tmp_path / "monday.csv", MONDAY)
    run_build(project)
    # As `cp -r` copies it: data/tables becomes a directory of the build's tables, not a link.
    shutil.copytree(project.root, tmp_path / "copy", symlinks=False)
    copy = Project(tmp_path / "copy")
    assert copy.tables_dir.is_dir() and not copy.tables_dir.is_symlink()
    assert journeys_in(current_build(copy)) == {"u:ana": ["Paid Social", "Email"]}, "readable as it was copied"
    import_story(copy, tmp_path / "tuesday.csv", TUESDAY)
    newest = run_build(copy).build_dir  # no link could be renamed over the directory: a bug, before
    assert copy.tables_dir.is_symlink() and current_build(copy) == newest.resolve()
    assert journeys_in(newest) == {"u:ana": ["Paid Social", "Email"], "u:budi": ["WhatsApp"]}
    # The copied tables are the previous build, kept for readers; the build after the newest drops them.
    [copied] = [path for path in copy.builds_dir.iterdir() if "copied" in path.name]
    assert journeys_in(copied) == {"u:ana": ["Paid Social", "Email"]}
    run_build(copy)
    assert not copied.exists()


def test_running_out_of_memory_names_the_setting_and_publishes_nothing(tmp_path: Path) -> None:
    from jejak.synth import generate

    project = make_project(tmp_path / "p")
    result = generate(tmp_path / "data", events=20_000, seed=3, file_format="parquet", bad_rows=False)
    for path in result.files:
        import_file(project, path)
    starved = project.settings.replace(duckdb_memory_limit_mb=4)
    with pytest.raises(EngineError, match="duckdb_memory_limit_mb"):
        run_build(project, settings=starved)
    assert not list(project.builds_dir.iterdir()), "a failed build publishes nothing"


def test_a_memory_limit_also_bounds_what_duckdb_keeps_of_freed_memory(tmp_path: Path) -> None:
    """The limit bounds DuckDB's pool only; what its allocator keeps of freed memory is handed back early under a
    limit (it took a 10M build 800 MB past 900), and left to DuckDB without one."""
    from jejak.engine import connect
    from jejak.engine.connect import ALLOCATOR_FLUSH_MIB

    project = make_project(tmp_path / "p")

    def allocator(limit_mb: int) -> dict[str, str]:
        engine = connect(project.settings.replace(duckdb_memory_limit_mb=limit_mb))
        try:
            rows = engine.backend.con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name LIKE 'allocator%' OR name = 'memory_limit'"
            ).fetchall()
        finally:
            engine.close()
        return dict(rows)

    limited, default = allocator(900), allocator(0)
    assert limited["memory_limit"] == "900.0 MiB", "the setting is in MiB, as its table says"
    assert default["memory_limit"] != limited["memory_limit"]
    assert limited["allocator_background_threads"] == "true"
    for name in ("allocator_flush_threshold", "allocator_bulk_deallocation_flush_threshold"):
        assert limited[name] == f"{float(ALLOCATOR_FLUSH_MIB)} MiB"
        assert default[name] != limited[name]
    assert default["allocator_background_threads"] == "false"


def test_a_build_drops_the_working_tables_it_is_done_with(tmp_path: Path) -> None:
    """The identity graph's rounds and the session marks are dropped once used: on DuckDB they hold memory."""
    from jejak.engine import connect

    project = make_project(tmp_path / "p")
    import_story(project, tmp_path / "monday.csv", MONDAY)
    engine = connect(project.settings)
    try:
        run_build(project, engine=engine)
        kept = {
            name
            for (name,) in engine.backend.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE temporary"
            ).fetchall()
        }
    finally:
        engine.close()
    assert "build_sessionized" in kept and "identity_shared" in kept  # still read when the tables are written
    assert {name for name in kept if name.startswith("identity_")} == {"identity_shared"}
    assert "build_marks" not in kept
    assert {"build_conversions_gross", "build_refund_rows"}.isdisjoint(kept) and "build_refunds" in kept
    assert {"build_journey_paths", "build_journey_whole"}.isdisjoint(kept) and "build_journey_touches" in kept
