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

import pyarrow.parquet as pq

from jejak.core.vocabulary import EVENT_COLUMNS
from jejak.engine import PARQUET_COPY_OPTIONS, connect
from jejak.ingest.validate import sql_files, sql_text
from jejak.store.files import move_into_place
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


def _files_by_day(project: Project) -> dict[str, list[Path]]:
    by_day: dict[str, list[Path]] = {}
    for part in event_files(project):
        by_day.setdefault(part.parent.name, []).append(part)
    return by_day


def needs_compaction(project: Project, max_files_per_day: int) -> bool:
    """Whether a day of the lake has more than `max_files_per_day` files (never, for 0): read from the folders alone."""
    return max_files_per_day > 0 and any(len(parts) > max_files_per_day for parts in _files_by_day(project).values())


def _rows(parts: list[Path]) -> int:
    """The events in these files, from their footers."""
    return sum(pq.ParquetFile(part).metadata.num_rows for part in parts)


def compact_lake(project: Project, max_files_per_day: int = 1) -> Compaction:
    """Merge each day of the lake that has more than `max_files_per_day` files into one (see the module docstring);
    `jejak compact` merges every day with more than one, a build those past the `lake_max_files_per_day` setting.

    All the days are merged by one query that writes a file per day (a query per day cost 16 ms a day, most of it
    for a few rows)."""
    with rewriting_lake(project), staging_area(project) as stage:
        by_day = _files_by_day(project)
        files = [part for parts in by_day.values() for part in parts]
        crowded = {day: parts for day, parts in by_day.items() if len(parts) > max(max_files_per_day, 1)}
        before = _rows(files)
        if not crowded:
            return Compaction(0, len(files), len(files), before, before)
        merging = [part for parts in crowded.values() for part in parts]
        out = stage / "days"
        engine = connect(project.settings.replace(engine="duckdb"))
        try:
            # The day comes from each file's folder (`date=2026-03-01`), as the lake was written.
            engine.execute_sql(
                f"""COPY (SELECT {", ".join(EVENT_COLUMNS)}, date
                    FROM read_parquet({sql_files(merging)}, hive_partitioning = true, hive_types = {{'date': VARCHAR}})
                    QUALIFY row_number() OVER (
                        PARTITION BY date, event_id ORDER BY received_at, source_file, source_line) = 1
                    ORDER BY date, timestamp, event_id)
                TO {sql_text(str(out))} ({PARQUET_COPY_OPTIONS}, PARTITION_BY (date))"""
            )
        finally:
            engine.close()
        for day, parts in crowded.items():
            written = sorted((out / day).glob("*.parquet"))
            # One file a day unless DuckDB split a large day. Any others are moved in before the old files go, so that
            # a crash between can leave an event twice (which the next compaction merges), never lose one.
            for extra in written[1:]:
                move_into_place(extra, parts[0].parent / f"part-{uuid.uuid4().hex}.parquet")
            replace_files(parts, written[0] if written else None)
        after = _rows(event_files(project))
        files_after = len(event_files(project))
    return Compaction(len(crowded), len(files), files_after, before, after)
