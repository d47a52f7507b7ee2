"""Removing what one file's imports brought: its events from the lake, its quarantined rows and its ad spend.

An import cannot be taken back by importing again: read with another mapping, a file's rows get other event ids
(the events are then stored twice), and a file whose rows carry their own ids is skipped as duplicates (the old
reading stays). So a file's import is removed first (`jejak imports remove FILE`, or `jejak import FILE --replace`),
then imported as it should have been.

The lake is append-only but for this: every part file that holds the file's events is replaced by one without them
(staged, fsynced, renamed into place), then deleted, under the writer lock and the exclusive lake lock
(`store.lake.rewriting_lake`), so no import, build or other removal runs meanwhile. A file is named as its events
name it (`source_file`, the absolute path it was imported from), or by its file name when only one imported file
has it. The removal is logged in the imports log with negative counts, so the log's sums stay the lake's.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jejak.core.clock import utc_now
from jejak.core.errors import JejakError, NotFoundError
from jejak.engine import connect
from jejak.ingest.archives import ARCHIVE_SUFFIX
from jejak.ingest.importer import (
    REMOVED_FORMAT,
    REMOVED_SPEND_FORMAT,
    SPEND_FORMATS,
    ImportOptions,
    ImportSummary,
    logged_columns,
    logged_source_file,
    preflight,
    record_import,
    rewrite_part,
    source_file_of,
    source_files_of,
)
from jejak.ingest.mapping import pairs_option_text
from jejak.ingest.quarantine import quarantined_files, remove_quarantined_of
from jejak.ingest.validate import sql_files, sql_text
from jejak.store.appstate import open_state, writing_state
from jejak.store.lake import event_files, rewriting_lake, staging_area
from jejak.store.project import Project


@dataclass(frozen=True)
class Removal:
    """What removing one file's import took away."""

    file: str  # as its events name it: the absolute path it was imported from
    events: int
    quarantined: int
    spend_rows: int


def imported_files(project: Project) -> list[str]:
    """Every file the lake, the quarantine or the spend table holds rows of (as they name it), sorted."""
    names: set[str] = set()
    files = event_files(project)
    if files:
        engine = connect(project.settings.replace(engine="duckdb"))
        try:
            found = engine.fetch_arrow(f"SELECT DISTINCT source_file FROM {_lake_sql(files)}")
        finally:
            engine.close()
        names.update(str(name) for name in found.column("source_file").to_pylist() if name)
    names.update(quarantined_files(project))
    with open_state(project.sqlite_path) as db:
        names.update(name for (name,) in db.execute("SELECT DISTINCT source_file FROM spend"))
    return sorted(names)


def resolve_imported_file(project: Project, name: str) -> str:
    """The imported file `name` means: the one with its absolute path, else the only one with its file name."""
    known = imported_files(project)
    wanted = source_file_of(project, name)
    if wanted in known:
        return wanted
    same_name = [file for file in known if Path(file).name == Path(wanted).name]
    if len(same_name) == 1:
        return same_name[0]
    if same_name:
        raise NotFoundError(
            f"Several imported files are called {Path(name).name}: {', '.join(same_name)}. Name one by its path."
        )
    listed = ", ".join(Path(file).name for file in known[:10]) + (" …" if len(known) > 10 else "")
    raise NotFoundError(
        f"No rows of {name} are in this project (imported files: {listed or 'none'}). See them with `jejak imports list`."
    )


def imported_files_named(project: Project, name: str) -> list[str]:
    """The imported files `name` means: every imported file of the zip archive it names (`export.zip`, see
    `archives`), else the one `resolve_imported_file` finds."""
    archive = source_file_of(project, name)
    inside = [file for file in imported_files(project) if file.startswith(f"{archive}/")]
    return inside if archive.lower().endswith(ARCHIVE_SUFFIX) and inside else [resolve_imported_file(project, name)]


def what_removal_takes(project: Project, name: str) -> Removal:
    """What `remove_import` would take away, counted, nothing removed (for the question before it)."""
    source_file = resolve_imported_file(project, name)
    events = what_removal_takes_events(project, source_file)
    quarantined = quarantined_files(project)[source_file]
    with open_state(project.sqlite_path) as db:
        (spend_rows,) = db.execute("SELECT count(*) FROM spend WHERE source_file = ?", (source_file,)).fetchone()
    return Removal(source_file, events, quarantined, int(spend_rows))


def remove_import(project: Project, name: str) -> Removal:
    """Remove every event, quarantined row and spend row that `name`'s imports brought (see the module docstring)."""
    source_file = resolve_imported_file(project, name)
    with rewriting_lake(project), staging_area(project) as stage:
        events = _remove_events(project, stage, source_file)
        quarantined = remove_quarantined_of(project, stage, source_file)
        with writing_state(project.sqlite_path) as db:
            spend_rows = db.execute("DELETE FROM spend WHERE source_file = ?", (source_file,)).rowcount
    removed = -(events + quarantined + spend_rows)
    kind = REMOVED_SPEND_FORMAT if spend_rows and not events else REMOVED_FORMAT  # spend is no event count
    logged = ImportSummary(source_file, kind, removed, -(events + spend_rows), -quarantined, 0)
    record_import(project, logged, Path(source_file).stem, utc_now())
    return Removal(source_file, events, quarantined, spend_rows)


@dataclass(frozen=True)
class EarlierImport:
    """A file's latest import in the log (not a re-try's or a removal's): the file as the lake names it, its options,
    how it read the file's columns (None if the log did not keep it), and the source name its events carry (their
    ids derive from it)."""

    source_file: str
    options: ImportOptions
    columns: list[tuple[str, str]] | None
    source_name: str


def earlier_import(project: Project, path: Path | str) -> EarlierImport | None:
    """The latest import of the file `path` names (a path, or the web address it is imported as), or None."""
    return _last_import(project, source_file_of(project, path))


def reimport_conflict(
    project: Project, path: Path, options: ImportOptions, named: str | None = None, source_name: str | None = None
) -> str | None:
    """Why importing `path` with `options` would not do what it seems to, or None: the file was imported before
    and would be read otherwise now (a column mapped otherwise, by `--map` or by `[import.map]` in jejak.toml; other
    `--set`, `--delimiter`, `--skip-lines` or `--sheet`; another `--source`, which its rows' ids derive from), and
    its events are in the lake. Read anew, its rows get other event ids and are stored beside the earlier ones
    (twice), or keep their own ids and are skipped as duplicates (the earlier reading stays). `named`: what `path` is
    imported as (`importer.import_file`); `source_name`: the `--source` given (None: the earlier one is kept)."""
    earlier = earlier_import(project, named or path)
    return None if earlier is None else conflict_with(project, path, options, earlier, named, source_name)


def conflict_with(
    project: Project,
    path: Path,
    options: ImportOptions,
    earlier: EarlierImport,
    named: str | None = None,
    source_name: str | None = None,
) -> str | None:
    """`reimport_conflict` with the file's latest import already looked up (`earlier_import`)."""
    renamed = source_name is not None and source_name != earlier.source_name
    remapped = ""
    if earlier.columns is None:  # logged before imports kept their reading: the options are all there is to compare
        differs = earlier.options != options
    else:
        try:
            columns = preflight(project, path, options)
        except JejakError:  # the import itself says what is wrong with the file
            return None
        # The mapping counts by what it does to this file's columns: a name it gives that the file lacks changes
        # nothing, and a change of jejak.toml's [import.map] counts as much as one of --map.
        remapped = _columns_change(earlier.columns, columns)
        unmapped = (dataclasses.replace(earlier.options, column_map={}), dataclasses.replace(options, column_map={}))
        differs = bool(remapped) or unmapped[0] != unmapped[1]
    if not (differs or renamed) or not what_removal_takes_events(project, earlier.source_file):
        return None
    read_now = f"; read now as {remapped}" if remapped else ""
    was = f"{options_text(earlier.options)}, --source {earlier.source_name}"
    now = options_text(options) + (f", --source {source_name}" if source_name is not None else "")
    return (
        f"{named or path} was imported before with other options ({was}; now {now}{read_now}), and its events are in "
        "the lake. Read again, its rows would be stored "
        "a second time beside them, or skipped as duplicates of them. To read it anew, remove the earlier import "
        "first: add --replace. To keep the earlier reading, import it with the options it had."
    )


def _columns_change(earlier: Sequence[tuple[str, str]], now: Sequence[tuple[str, str]]) -> str:
    """The columns read otherwise now: `Jam → timestamp (was properties)`, or "" when every one is read as before."""
    before = dict(earlier)
    changed = [
        f"{column} → {target} (was {before.get(column, 'not read')})"
        for column, target in now
        if before.get(column) != target
    ]
    gone = [f"{column} → not read (was {target})" for column, target in earlier if column not in dict(now)]
    return ", ".join(changed + gone)


def what_removal_takes_events(project: Project, source_file: str) -> int:
    """How many of the lake's events name `source_file`."""
    return sum(_files_holding(project, source_file).values())


def _files_holding(project: Project, source_file: str) -> dict[Path, int]:
    """Each lake file that holds events of `source_file`, with how many."""
    files = event_files(project)
    if not files:
        return {}
    engine = connect(project.settings.replace(engine="duckdb"))
    try:
        holding = engine.fetch_arrow(
            f"SELECT filename, count(*) AS events FROM {_lake_sql(files)} "
            f"WHERE source_file = {sql_text(source_file)} GROUP BY filename"
        )
    finally:
        engine.close()
    return {Path(row["filename"]): int(row["events"]) for row in holding.to_pylist()}


def _last_import(project: Project, source_file: str) -> EarlierImport | None:
    """The file's latest import in the log (`EarlierImport`), or None if there is none."""
    with open_state(project.sqlite_path) as db:
        logged = db.execute(
            "SELECT file, options_json, source_name FROM imports "
            "WHERE options_json IS NOT NULL AND file_format NOT IN (?, ?, ?) ORDER BY finished_at",
            (REMOVED_FORMAT, *SPEND_FORMATS),
        ).fetchall()
    found = None
    # The file as the lake names it, kept with the options; a log line from before it was kept has the file as
    # typed then, resolved here from where jejak runs now (the key read once, not once a log line).
    files = source_files_of(project, [file for file, _, _ in logged])
    for typed_file, (_, options_json, source_name) in zip(files, logged, strict=True):
        file = logged_source_file(options_json) or typed_file
        if file == source_file:
            found = EarlierImport(
                source_file, ImportOptions.from_json(options_json), logged_columns(options_json), source_name
            )
    return found


def options_text(options: ImportOptions) -> str:
    """`--map "waktu=timestamp" --skip-lines 2`, or `no options`: as a shell takes them, so that what jejak says a
    file was read with can be pasted into a command."""
    parts = []
    if options.column_map:
        parts.append(pairs_option_text("--map", options.column_map))
    if options.constants:
        parts.append(pairs_option_text("--set", options.constants))
    if options.delimiter:
        parts.append(f"--delimiter {options.delimiter}")
    if options.skip_lines:
        parts.append(f"--skip-lines {options.skip_lines}")
    if options.sheet:
        parts.append(f"--sheet {shlex.quote(options.sheet)}")
    if options.timezone:
        parts.append(f"--timezone {options.timezone}")
    parts += [f"--timestamp-format {shlex.quote(text)}" for text in options.timestamp_formats]
    if options.event_names:
        parts.append(pairs_option_text("--event-names", options.event_names))
    if options.id_prefix:
        parts.append(f"--id-prefix {options.id_prefix}")
    if options.event_id_prefix:
        parts.append(f"--event-id-prefix {options.event_id_prefix}")
    if options.keep_anonymous:
        parts.append("--keep-anonymous")
    if options.sum_revenue:
        parts.append("--sum-revenue")
    return " ".join(parts) or "no options"


def _lake_sql(files: list[Path]) -> str:
    """The lake's files as one relation of the event columns (no `date` column from the folders' names)."""
    return f"read_parquet({sql_files(files)}, filename = true, hive_partitioning = false)"


def _remove_events(project: Project, stage: Path, source_file: str) -> int:
    """Replace each lake file that holds `source_file`'s events by one without them (or by none); returns how many
    events went."""
    holding = _files_holding(project, source_file)
    if not holding:
        return 0
    engine = connect(project.settings.replace(engine="duckdb"))
    try:
        for part in holding:
            rewrite_part(engine, part, stage, f"source_file IS DISTINCT FROM {sql_text(source_file)}")
    finally:
        engine.close()
    return sum(holding.values())
