"""Compaction: each day's partition of the lake merged into one file (`jejak compact`).

Every import adds a file to each day it touches, so a project imported day by day from several sources gathers
thousands of small files, and every build opens them all. Compaction rewrites each day that has more than one
file as one file of its events, in time order, keeping the first row of any event_id seen twice (imports keep ids
unique; this makes it physical, as DESIGN §2 asks). It runs as a removal does (`ingest.removal`): under the writer
lock and the exclusive lake lock, the new file staged, fsynced and renamed into place before the old ones go, so
no import or build sees a day half merged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from jejak.core.vocabulary import EVENT_COLUMNS
from jejak.engine import PARQUET_COPY_OPTIONS, connect
from jejak.ingest.validate import sql_files, sql_text
from jejak.store.lake import event_files, replace_files, rewriting_lake, staging_area
from jejak.store.project import Project


@dataclass(frozen=True)
class Compaction:
    """What a compaction did: days merged, files before and after, events before and after (equal unless the
    lake held an event twice)."""

    days_merged: int
    files_before: int
    files_after: int
    events_before: int
    events_after: int


def compact_lake(project: Project) -> Compaction:
    """Merge each day of the lake that has more than one file into one (see the module docstring)."""
    with rewriting_lake(project), staging_area(project) as stage:
        files = event_files(project)
        by_day: dict[str, list[Path]] = {}
        for part in files:
            by_day.setdefault(part.parent.name, []).append(part)
        merged = before = after = 0
        engine = connect(project.settings.replace(engine="duckdb"))
        try:
            for parts in by_day.values():
                relation = f"read_parquet({sql_files(parts)}, hive_partitioning = false)"
                counted = engine.fetch_arrow(f"SELECT count(*) AS n FROM {relation}")
                rows = int(counted.column("n")[0].as_py())
                before += rows
                if len(parts) == 1:
                    after += rows
                    continue
                columns = ", ".join(EVENT_COLUMNS)
                staged = stage / f"day-{uuid.uuid4().hex}.parquet"
                written = engine.fetch_arrow(
                    f"""COPY (SELECT {columns} FROM {relation}
                        QUALIFY row_number() OVER (
                            PARTITION BY event_id ORDER BY received_at, source_file, source_line) = 1
                        ORDER BY timestamp, event_id)
                    TO {sql_text(str(staged))} ({PARQUET_COPY_OPTIONS})"""
                )
                after += int(written.column(0)[0].as_py())
                replace_files(parts, staged)
                merged += 1
        finally:
            engine.close()
        files_after = len(event_files(project))
    return Compaction(merged, len(files), files_after, before, after)
