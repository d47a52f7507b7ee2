"""Compaction: each day's files merged into one, the same events kept, and the build's paths unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
from conftest import lake_events, make_project, write_csv

from jejak.core.vocabulary import EVENT_COLUMNS
from jejak.ingest.compaction import compact_lake
from jejak.ingest.importer import import_file
from jejak.pipeline import run_build
from jejak.store.derived import table_path
from jejak.store.lake import event_files
from jejak.store.project import open_project


def _paths(project: object) -> list[dict[str, object]]:
    table = pq.read_table(table_path(project, "paths"), columns=["path", "conversions", "non_conversions", "revenue"])
    return sorted(table.to_pylist(), key=lambda row: str(row["path"]))


def test_each_day_becomes_one_file_with_the_same_events(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    # Three sources, each touching the same two days: six files in two days' folders.
    for source in ("web", "toko", "wa"):
        rows = [
            {
                "event_id": f"{source}-1",
                "timestamp": "2026-03-01 09:00",
                "user_id": "ana",
                "event": "Page Viewed",
                "utm_source": "google" if source == "web" else "",
                "utm_medium": "cpc" if source == "web" else "",
            },
            {
                "event_id": f"{source}-2",
                "timestamp": "2026-03-02 10:00",
                "user_id": "ana",
                "event": "Order Completed",
                "revenue": "150000",
            },
        ]
        import_file(project, write_csv(tmp_path / f"{source}.csv", rows))
    assert len(event_files(project)) == 6
    before = sorted(lake_events(project), key=lambda row: row["event_id"])
    run_build(project)
    paths_before = _paths(project)
    # A copy of one file in its day: the same events twice, as a crash between rename and delete could leave.
    duplicate = event_files(project)[0]
    shutil.copy(duplicate, duplicate.parent / "part-copy.parquet")
    copied = pq.read_metadata(duplicate).num_rows
    done = compact_lake(project)
    assert (done.days_merged, done.files_before, done.files_after) == (2, 7, 2)
    assert done.events_before - done.events_after == copied  # each event kept once
    assert sorted(lake_events(project), key=lambda row: row["event_id"]) == before
    assert all(pq.read_schema(part).names == list(EVENT_COLUMNS) for part in event_files(project))
    run_build(project)
    assert _paths(project) == paths_before
    # A second compaction has nothing to merge.
    assert compact_lake(project).days_merged == 0


def test_a_build_first_merges_the_days_with_more_files_than_the_setting(tmp_path: Path) -> None:
    # Four chats (as WhatsApp exports, each a file touching many days) on day 1, one of them on day 2 too.
    project = make_project(tmp_path / "p", settings={"lake_max_files_per_day": 3})
    for chat in range(4):
        rows = [{"event_id": f"c{chat}-1", "timestamp": "2026-03-01 09:00", "user_id": f"u{chat}", "event": "wa_chat"}]
        if chat == 0:
            rows.append({"event_id": "c0-2", "timestamp": "2026-03-02 09:00", "user_id": "u0", "event": "wa_chat"})
        import_file(project, write_csv(tmp_path / f"chat{chat}.csv", rows))
    before = sorted(lake_events(project), key=lambda row: row["event_id"])
    per_day = {part.parent.name: 0 for part in event_files(project)}
    for part in event_files(project):
        per_day[part.parent.name] += 1
    assert per_day == {"date=2026-03-01": 4, "date=2026-03-02": 1}
    result = run_build(project)
    # Day 1 had more files than 3: one now. The build read the merged lake, with every event.
    assert "compact" in result.step_seconds
    assert sorted(part.parent.name for part in event_files(project)) == ["date=2026-03-01", "date=2026-03-02"]
    assert sorted(lake_events(project), key=lambda row: row["event_id"]) == before
    assert pq.read_table(table_path(project, "people")).num_rows == 4
    # Nothing more to merge: the next build does not compact; nor does one with the setting at 0.
    assert "compact" not in run_build(project).step_seconds
    for chat in range(4, 9):
        rows = [{"event_id": f"c{chat}", "timestamp": "2026-03-01 10:00", "user_id": f"u{chat}", "event": "wa_chat"}]
        import_file(project, write_csv(tmp_path / f"chat{chat}.csv", rows))
    (project.root / "jejak.toml").write_text("[settings]\nlake_max_files_per_day = 0\n", encoding="utf-8")
    never = open_project(project.root, env={})
    assert "compact" not in run_build(never).step_seconds and len(event_files(never)) == 7
