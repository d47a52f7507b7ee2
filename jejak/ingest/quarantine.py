"""The quarantine: list its rows, and re-try them after a fix, through the importer's own code path.

Each quarantined row is known by `<part>:<index>` (its part file's id and its place in it); parts
are never changed in place, only replaced under a new name, so an id always means the same row
or no row at all.

A re-try writes the chosen rows to a temporary file of their source's format (JSON Lines as
they are; a CSV or Parquet row, kept as a JSON object of its columns, as one row of that
object's columns; a CSV line that could not be split, under the source file's own header) and
imports it with `load_rows`, as `import_file` does: the project's column map and settings as
they are now, with what the file's import was told on the command line on top (`--map`,
`--set`, `--delimiter`, `--skip-lines`: `ImportOptions`, kept in the imports log), the same
validation, hashing and deduplication, and each row keeps its source file, line and source
name. Then, under the same writer lock:

- rows that import (stored, or already in the lake) leave the quarantine;
- rows that fail again come back as new quarantine rows with their new reason;
- the quarantine part files are rewritten without the rows that left, each atomically.

The new rows are published before the old ones are removed, so a crash in between can leave a
row twice (a second re-try settles it), never lose one. Counts reconcile: rows chosen = rows
re-tried + rows left as they were; rows read = stored + quarantined again + duplicates.

Rows are left as they were, with the reason why, when re-trying them cannot do what the user
means: e-mails and phones are masked in the quarantine (`<e-mail removed>`), so a row that still
shows a mask needs the value typed again (or the mask removed); a row the reader could not
split or decode needs its text fixed first, and one whose text was cut at 4,096 characters can
only be fixed in the source file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jejak.core.clock import utc_now
from jejak.core.errors import InputFileError, NotFoundError, SettingError
from jejak.core.jsontext import loads
from jejak.core.vocabulary import QUARANTINE_SCHEMA
from jejak.ingest.archives import inside_archive, shown_name, unpack
from jejak.ingest.identifiers import MASK_EMAIL, MASK_PHONE, mask_pii
from jejak.ingest.importer import (
    ERASED_FORMAT,
    FORMATS_BY_SUFFIX,
    REMOVED_FORMAT,
    REMOVED_SPEND_FORMAT,
    REPLACED_FORMAT,
    SPEND_FORMAT,
    ImportOptions,
    ImportSummary,
    LoadedRows,
    format_of,
    load_rows,
    logged_source_file,
    open_reader,
    publish_quarantine_part,
    quarantine_table,
    raw_words,
    record_import,
)
from jejak.ingest.mapping import canonical_header, check_mapping
from jejak.ingest.readers import RAW_PREVIEW_CHARS, csv_delimiter, read_csv_header
from jejak.ingest.validate import amount_style
from jejak.store.appstate import open_state
from jejak.store.files import fsync_path
from jejak.store.lake import staging_area, writer_lock
from jejak.store.project import Project

ROW_ID = re.compile(r"^([0-9a-f]{32}):([0-9]+)$")
# Reasons the reader gives before any column is known: the raw text is the file's own line (maybe cut).
READER_REASONS = ("invalid_utf8", "malformed_row")
RETRY_FORMAT = "quarantine"  # how a re-try is logged in the imports table
DISMISSED_FORMAT = "dismissed"  # how rows dismissed as no events are logged (negative quarantined counts)
DISMISSED_DIR = "dismissed"  # under the quarantine: the dismissed rows, kept as they were
RESTORED_FORMAT = "restored"  # how dismissed rows put back in the quarantine are logged (positive counts)
# Why a chosen row was left in the quarantine as it was.
LEFT_WHY = {
    "masked": "it still shows a masked e-mail or phone: type the value again or clear it, or import its file again "
    "with --replace (the file has it whole)",
    "needs_fix": "the reader could not split or decode this line: fix its text first",
    "cut": f"its text was cut at {RAW_PREVIEW_CHARS:,} characters: fix the source file and import it again",
    "blank": "the fixed text is empty",
    "not_json": "the fixed text is not a JSON object of the row's columns",
    "no_header": "the source CSV file, whose header the line needs, is gone",
    "columns": "its columns cannot be read (see the column map in jejak.toml)",
    "no_output": "the importer read no row from it",
    "spend": "it is a row of an ad spend file: fix the file and run jejak spend import again (it replaces the file's "
    "rows)",
}


@dataclass(frozen=True)
class QuarantinedRow:
    """One row of the quarantine, with the id a re-try names it by."""

    row_id: str
    quarantined_at: dt.datetime
    source_file: str
    source_line: int
    reason: str
    message: str
    raw: str
    raw_is_cut: bool = False  # shortened for a listing (`list_quarantined(raw_chars=…)`)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row_id": self.row_id,
            "quarantined_at": self.quarantined_at,
            "file": shown_name(self.source_file),
            "line": self.source_line,
            "reason": self.reason,
            "message": self.message,
            "raw": self.raw,
            "raw_is_cut": self.raw_is_cut,
        }


@dataclass(frozen=True)
class QuarantinePage:
    rows: list[QuarantinedRow]
    total: int  # rows matching the reason, over every page


@dataclass(frozen=True)
class RetrySummary:
    """What a re-try did; `reconciles` says the counts add up."""

    rows_chosen: int
    rows_retried: int  # left the quarantine: stored, duplicates, or back with a new reason
    rows_read: int  # rows the importer read from them (one each, unless a fix typed more lines)
    rows_stored: int
    duplicates_skipped: int
    rows_quarantined: int  # failed again, now quarantined with their new reason
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    left_by_why: dict[str, int] = field(default_factory=dict)  # LEFT_WHY codes
    seconds: float = 0.0
    rows_erased: int = 0  # rows of people erased since (`jejak erase`), not stored

    @property
    def rows_left(self) -> int:
        return sum(self.left_by_why.values())

    @property
    def reconciles(self) -> bool:
        return (
            self.rows_chosen == self.rows_retried + self.rows_left
            and self.rows_read == self.rows_stored + self.rows_quarantined + self.duplicates_skipped + self.rows_erased
        )


def _folder(project: Project, dismissed: bool) -> Path:
    """The quarantine's folder, or the folder of the rows dismissed from it."""
    return project.quarantine_dir / DISMISSED_DIR if dismissed else project.quarantine_dir


def _parts(project: Project, dismissed: bool = False) -> list[Path]:
    return sorted(_folder(project, dismissed).glob("part-*.parquet"))


def _part_id(part: Path) -> str:
    return part.stem.removeprefix("part-")


def quarantine_index(project: Project, reason: str | None, dismissed: bool = False) -> pa.Table:
    """Every quarantined (or dismissed) row's place and metadata (not its raw text), newest first."""
    tables = []
    for part in _parts(project, dismissed):
        table = pq.read_table(part, columns=["quarantined_at", "source_file", "source_line", "reason", "message"])
        table = table.append_column("part", pa.array([_part_id(part)] * table.num_rows, pa.string()))
        tables.append(table.append_column("index", pa.array(range(table.num_rows), pa.int64())))
    if not tables:
        return pa.table({"part": pa.array([], pa.string())})
    index = pa.concat_tables(tables)
    if reason:
        index = index.filter(pc.equal(index["reason"], reason))
    order = [("quarantined_at", "descending"), ("source_file", "ascending"), ("source_line", "ascending")]
    return index.sort_by([*order, ("part", "ascending"), ("index", "ascending")])


def _with_raw(
    project: Project, index: pa.Table, raw_chars: int | None, dismissed: bool = False
) -> list[QuarantinedRow]:
    """The index rows with their raw text (read only for these rows), in the index's order."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for part, position in zip(index["part"].to_pylist(), index["index"].to_pylist(), strict=True):
        wanted[part].append(position)
    texts: dict[tuple[str, int], str] = {}
    for part, positions in wanted.items():
        raw = pq.read_table(_folder(project, dismissed) / f"part-{part}.parquet", columns=["raw"]).column("raw")
        for position, text in zip(positions, raw.take(pa.array(positions)).to_pylist(), strict=True):
            texts[(part, position)] = text or ""
    rows = []
    for row in index.to_pylist():
        text = texts[(row["part"], row["index"])]
        cut = raw_chars is not None and len(text) > raw_chars
        rows.append(
            QuarantinedRow(
                row_id=f"{row['part']}:{row['index']}",
                quarantined_at=row["quarantined_at"],
                source_file=row["source_file"],
                source_line=row["source_line"],
                reason=row["reason"],
                message=row["message"],
                raw=text[:raw_chars] if cut and raw_chars is not None else text,
                raw_is_cut=cut,
            )
        )
    return rows


def list_quarantined(
    project: Project,
    *,
    reason: str | None = None,
    offset: int = 0,
    limit: int | None = 100,
    raw_chars: int | None = None,
    dismissed: bool = False,
) -> QuarantinePage:
    """The quarantined rows (of one reason, or all), newest first, one page (`limit` rows; None: all of them); raw
    text cut at `raw_chars`. `dismissed`: the rows dismissed from it instead (`dismiss_quarantined`)."""
    tries = 3
    while True:
        try:
            index = quarantine_index(project, reason, dismissed)
            page = index.slice(offset, limit) if index.num_rows else index
            rows = _with_raw(project, page, raw_chars, dismissed) if page.num_rows else []
            return QuarantinePage(rows, index.num_rows)
        except FileNotFoundError:
            # A re-try replaced a part file while it was read (readers take no lock): read the new ones.
            tries -= 1
            if not tries:
                raise


def _check_row_id(row_id: str) -> re.Match[str]:
    found = ROW_ID.match(row_id)
    if found is None:
        raise SettingError(f"{row_id!r} is not a quarantine row id (they look like <32 hex digits>:<number>).")
    return found


def selected_rows(
    project: Project, row_ids: Iterable[str], reason: str | None, dismissed: bool = False
) -> list[QuarantinedRow]:
    """The rows named by id, plus every row of `reason` (of the dismissed rows, with `dismissed`); an id that is
    gone is an error."""
    ids = set(row_ids)
    for row_id in ids:
        _check_row_id(row_id)
    index = quarantine_index(project, None, dismissed)
    if not index.num_rows:
        chosen = index
    else:
        keys = pc.binary_join_element_wise(index["part"], pc.cast(index["index"], pa.string()), ":")
        keep = pc.is_in(keys, pa.array(sorted(ids), pa.string()))
        if reason:
            keep = pc.or_(keep, pc.equal(index["reason"], reason))
        chosen = index.filter(keep)
    rows = _with_raw(project, chosen, None, dismissed) if chosen.num_rows else []
    gone = ids - {row.row_id for row in rows}
    if gone and dismissed:
        raise NotFoundError(
            f"{len(gone)} chosen row(s) are not among the dismissed rows (restored or removed since they were "
            "listed). List them again (jejak quarantine list --dismissed) and choose again."
        )
    if gone:
        raise NotFoundError(
            f"{len(gone)} chosen row(s) are no longer in the quarantine (re-tried or changed since they were "
            "listed). List the quarantine again (the Data page, or jejak quarantine list) and choose again."
        )
    return rows


def quarantined_row(project: Project, row_id: str) -> QuarantinedRow:
    """One quarantined row with its whole raw text (an error when it has left the quarantine)."""
    [row] = selected_rows(project, [row_id], None)
    return row


# --- re-try ---------------------------------------------------------------------------------------------


@dataclass
class _Group:
    """Rows re-tried through one temporary file: one source file, one shape, each source line once."""

    source_file: str
    kind: str  # jsonl, csv_record, parquet_record, csv_text
    rows: list[tuple[QuarantinedRow, Any]] = field(default_factory=list)  # (row, its text or record)


def _as_record(text: str) -> dict[str, str | None] | None:
    """A JSON object's members as texts (as the importer read the row's columns), or None when it is none."""
    try:
        value = loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return {
        str(key): None if member is None else member if isinstance(member, str) else json.dumps(member)
        for key, member in value.items()
    }


def _mapped(record: Mapping[str, str | None], mapping: Mapping[str, str]) -> dict[str, str | None]:
    """A row's columns under the column map as it is now; a mapped column fills a blank one of the same name.

    The columns are the names the import gave them, so a column left unmapped then (kept in the
    properties) is mapped now, and does not clash with the empty column it was meant to be.
    """
    out: dict[str, str | None] = {}
    for key, value in record.items():
        name = canonical_header([key], mapping)[0]
        if name not in out or (not (out[name] or "").strip() and (value or "").strip()):
            out[name] = value
    return out


def _plan(
    rows: Sequence[QuarantinedRow], fixed: Mapping[str, str], mappings: Mapping[str, Mapping[str, str]]
) -> tuple[list[_Group], dict[str, str]]:
    """The groups to re-try, and the rows left as they were (row id → LEFT_WHY code); `mappings` gives each
    source file's column map."""
    left: dict[str, str] = {}
    groups: dict[tuple[Any, ...], _Group] = {}
    seen_lines: Counter[tuple[str, str, int]] = Counter()
    for row in sorted(rows, key=lambda r: (r.source_file, r.source_line, r.row_id)):
        original = row.raw.replace("\r\n", "\n")
        text = fixed.get(row.row_id, original).replace("\r\n", "\n")
        edited = text != original
        source_format = format_of(Path(row.source_file)) or "csv"
        from_reader = row.reason in READER_REASONS
        why = None
        if not text.strip():
            why = "blank"
        elif from_reader and len(row.raw) >= RAW_PREVIEW_CHARS:
            why = "cut"
        elif from_reader and not edited:
            why = "needs_fix"
        elif MASK_EMAIL in text or MASK_PHONE in text:
            why = "masked"
        content: Any = text
        kind = "jsonl"
        if why is None and source_format != "jsonl":
            # A row of a CSV file is re-tried as CSV; one of a Parquet or Excel file as a record in Parquet.
            kind = ("csv_text" if from_reader else "csv_record") if source_format == "csv" else "parquet_record"
            if kind.endswith("_record"):
                record = _as_record(text)
                content = None if record is None else _mapped(record, mappings[row.source_file])
                why = "not_json" if content is None else None
        if why is not None:
            left[row.row_id] = why
            continue
        if kind == "jsonl":
            content = " ".join(text.splitlines())  # one physical line, as it was in the file
        shape = tuple(content) if kind.endswith("_record") else ()
        # A source line re-tried twice at once (two rows quarantined from one line) goes in two files.
        line_key = (row.source_file, kind, row.source_line)
        seen_lines[line_key] += 1
        key = (row.source_file, kind, shape, seen_lines[line_key])
        groups.setdefault(key, _Group(row.source_file, kind)).rows.append((row, content))
    return list(groups.values()), left


def _csv_source(source_file: str, directory: Path) -> Path | None:
    """The CSV source file on disk, to read its separator and header from: the file, or a copy unpacked from its zip
    archive into `directory`; None when it is gone or no CSV."""
    source = Path(source_file)
    if format_of(source) != "csv":
        return None
    if source.is_file():
        return source
    try:
        return unpack(source, directory) if inside_archive(source) else None
    except InputFileError:  # the archive changed since: as if the file were gone
        return None


def _source_delimiter(source: Path | None, setting: str, skip_lines: int = 0) -> str:
    """What separates the values of a CSV source file (`_csv_source`; `readers.csv_delimiter`); a comma when there is
    none."""
    return "," if source is None else csv_delimiter(source, setting, skip_lines=skip_lines)


def _write_group(
    group: _Group, directory: Path, source_delimiter: str, skip_lines: int = 0, source: Path | None = None
) -> tuple[Path, dict[int, int], str]:
    """The group's rows as a file of their source's format, each physical line → the source line it stands for,
    and the file's CSV delimiter (the source's for its lines as they were, else a comma). `skip_lines` lines come
    before the source's header (the import's --skip-lines); `source` is the CSV file to read it from (`_csv_source`)."""
    origin: dict[int, int] = {}
    if group.kind == "jsonl":
        path = directory / "retry.jsonl"
        path.write_text("".join(f"{text}\n" for _, text in group.rows), encoding="utf-8")
        origin = {number: row.source_line for number, (row, _) in enumerate(group.rows, start=1)}
        return path, origin, ","
    if group.kind == "parquet_record":
        path = directory / "retry.parquet"
        columns = list(group.rows[0][1])
        table = pa.table({name: pa.array([record[name] for _, record in group.rows], pa.string()) for name in columns})
        pq.write_table(table, path)
        origin = {number: row.source_line for number, (row, _) in enumerate(group.rows, start=1)}
        return path, origin, ","
    path = directory / "retry.csv"
    delimiter = ","
    if group.kind == "csv_record":
        header = list(group.rows[0][1])
    else:
        if source is None:
            raise _NoHeader
        # The lines go in as the file had them, so the header goes in with the file's own separator.
        delimiter = source_delimiter
        header = read_csv_header(source, delimiter, skip_lines=skip_lines)
    pieces = [_csv_line(header, delimiter)]
    line = pieces[0].count("\n") + 1
    for row, content in group.rows:
        if group.kind == "csv_record":
            piece = _csv_line(["" if value is None else value for value in content.values()])
        else:
            piece = content.rstrip("\n") + "\n"  # the line(s) as the file had them
        used = piece.count("\n")
        for offset in range(used):
            origin[line + offset] = row.source_line
        line += used
        pieces.append(piece)
    path.write_text("".join(pieces), encoding="utf-8")
    return path, origin, delimiter


def _csv_line(values: Sequence[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", delimiter=delimiter).writerow(values)
    return out.getvalue()


class _NoHeader(Exception):
    pass


class _SourceImport(NamedTuple):
    """How a source file was last imported: under what source name, with what options, and whether as ad spend."""

    name: str
    options: ImportOptions
    spend: bool


def source_names(project: Project, files: Iterable[str]) -> dict[str, str]:
    """The source name each file was last imported under (`_source_imports`): what a line the imports log gets for
    it must carry, since a re-try of its quarantined rows takes the latest line's."""
    return {file: found.name for file, found in _source_imports(project, files).items()}


def _source_imports(project: Project, files: Iterable[str]) -> dict[str, _SourceImport]:
    """The source name each file was imported under and the options its import was given (`--map`, `--set`,
    `--delimiter`, `--skip-lines`), from the imports log; else the file's name, as import does, and none."""
    with open_state(project.sqlite_path) as db:
        logged = db.execute(
            "SELECT file, source_name, options_json, file_format FROM imports ORDER BY finished_at"
        ).fetchall()
    found = {}
    for source_file in files:
        name, options, spend = Path(source_file).stem, ImportOptions(), False
        for file, source_name, options_json, file_format in logged:
            # An import's line names the file as the lake does; others (a re-try, a line from before that was
            # kept) by the file as typed, which a relative name matches by its file name.
            kept = logged_source_file(options_json)
            same_file = (
                kept == source_file
                if kept
                else file == source_file or (Path(file).name == Path(source_file).name and not Path(file).is_absolute())
            )
            if same_file:
                name = source_name  # the latest import of the file wins
                if options_json is not None:  # a re-try's row has none: the import's own still hold
                    options = ImportOptions.from_json(options_json)
                if file_format not in (
                    RETRY_FORMAT,
                    DISMISSED_FORMAT,
                    RESTORED_FORMAT,
                    REMOVED_FORMAT,
                    REMOVED_SPEND_FORMAT,
                    REPLACED_FORMAT,
                    ERASED_FORMAT,
                ):
                    spend = file_format == SPEND_FORMAT
        found[source_file] = _SourceImport(name, options, spend)
    return found


def quarantined_files(project: Project) -> Counter[str]:
    """Every file the quarantine holds rows of (as the rows name it), with how many."""
    return Counter(
        str(name)
        for part in _parts(project)
        for name in pq.read_table(part, columns=["source_file"]).column("source_file").to_pylist()
        if name
    )


def remove_quarantined_of(project: Project, stage: Path, source_file: str) -> int:
    """Take every quarantined row of one file out of the quarantine (its import is being removed); returns how
    many. Its dismissed rows go too, uncounted, so that no restore brings back a row of an import that is gone. The
    caller holds the writer lock and gives a staging directory."""
    removed = 0
    for dismissed in (False, True):
        leaving: dict[str, set[int]] = defaultdict(set)
        for part in _parts(project, dismissed):
            files = pq.read_table(part, columns=["source_file"]).column("source_file").to_pylist()
            leaving[_part_id(part)].update(i for i, name in enumerate(files) if name == source_file)
        gone = {part: positions for part, positions in leaving.items() if positions}
        _rewrite_parts(project, stage, gone, dismissed)
        removed += 0 if dismissed else sum(len(positions) for positions in gone.values())
    return removed


def rows_naming(project: Project, words: Iterable[str], dismissed: bool = False) -> dict[str, dict[int, str]]:
    """The quarantined rows (the dismissed ones, with `dismissed`) whose raw text names one of `words` (a person's
    user ids and anonymous ids, for an erasure, as the lake has them) as `importer.raw_words` reads it: a value of a
    row kept as JSON, or a word of a line that is no JSON (`C0042` is not in `C00421`), with the `--id-prefix` its
    file was imported with. Part id → {position: its source file}. E-mails and phones need no search: they were
    masked before any row was quarantined."""
    wanted = set(words)
    if not wanted:
        return {}
    found: dict[str, dict[int, str]] = {}
    prefixes: dict[str, str | None] = {}  # source file → its import's --id-prefix, looked up once per file
    for part in _parts(project, dismissed):
        table = pq.read_table(part, columns=["raw", "source_file"])
        files = [str(source_file or "") for source_file in table.column("source_file").to_pylist()]
        if unseen := set(files) - prefixes.keys():
            prefixes |= {file: done.options.id_prefix for file, done in _source_imports(project, unseen).items()}
        naming = {
            position: source_file
            for position, (raw, source_file) in enumerate(zip(table.column("raw").to_pylist(), files, strict=True))
            if raw and raw_words(raw, prefixes[source_file]) & wanted
        }
        if naming:
            found[_part_id(part)] = naming
    return found


def remove_rows(
    project: Project, stage: Path, naming: Mapping[str, Mapping[int, str]], dismissed: bool = False
) -> None:
    """Take the rows `rows_naming` found out of the quarantine (or of its dismissed rows), each part rewritten
    atomically; the caller holds the writer lock and gives a staging directory."""
    _rewrite_parts(project, stage, {part: set(rows) for part, rows in naming.items()}, dismissed)


def _rewrite_parts(project: Project, stage: Path, leaving: Mapping[str, set[int]], dismissed: bool = False) -> None:
    """Replace each part that loses rows by a new part without them (or by nothing), each atomically."""
    folder = _folder(project, dismissed)
    for part_id, positions in sorted(leaving.items()):
        part = folder / f"part-{part_id}.parquet"
        table = pq.read_table(part)
        keep = pa.array([position not in positions for position in range(table.num_rows)])
        remaining = table.filter(keep)
        if remaining.num_rows:
            publish_quarantine_part(project, stage, remaining, folder)
        part.unlink()
    if leaving:
        fsync_path(folder)


def dismiss_quarantined(project: Project, *, row_ids: Sequence[str] = (), reason: str | None = None) -> int:
    """Take rows that are no events at all out of the quarantine: those named, and every row of `reason`. Returns how
    many.

    A report's line of column descriptions under its header (TikTok Shop's orders export), a footer, a line of notes:
    no fix or re-try will ever store them, and in the quarantine they stand among the rows that need one. Nothing is
    lost: each dismissed row is kept as it was under the quarantine's `dismissed/` folder (which no listing, count or
    re-try reads), and the imports log gets a `dismissed` line per file with negative quarantined counts, so that its
    sums stay the quarantine's.
    """
    if not (row_ids or reason):
        raise SettingError("Name the rows to dismiss: their ids (see `jejak quarantine list`) or --reason REASON.")
    started_at = utc_now()
    return _move_rows(project, row_ids, reason, dismissed=False, started_at=started_at)


def restore_dismissed(project: Project, *, row_ids: Sequence[str] = (), reason: str | None = None) -> int:
    """Put dismissed rows back in the quarantine: those named (`jejak quarantine list --dismissed` lists them), and
    every dismissed row of `reason`. Returns how many. The undo of `dismiss_quarantined`: the rows are as they were,
    and the imports log gets a `restored` line per file with positive quarantined counts."""
    if not (row_ids or reason):
        raise SettingError(
            "Name the dismissed rows to restore: their ids (see `jejak quarantine list --dismissed`) or --reason REASON."
        )
    return _move_rows(project, row_ids, reason, dismissed=True, started_at=utc_now())


def _move_rows(
    project: Project, row_ids: Sequence[str], reason: str | None, *, dismissed: bool, started_at: dt.datetime
) -> int:
    """Move the chosen rows from the quarantine to its dismissed rows (or, `dismissed`, back), and log it."""
    with writer_lock(project):
        chosen = selected_rows(project, row_ids, reason, dismissed)
        if not chosen:
            return 0
        sources = _source_imports(project, {row.source_file for row in chosen})
        leaving: dict[str, set[int]] = defaultdict(set)
        for row in chosen:
            part, position = _check_row_id(row.row_id).groups()
            leaving[part].add(int(position))
        moved = pa.table(
            {
                "quarantined_at": pa.array(
                    [row.quarantined_at for row in chosen], QUARANTINE_SCHEMA.field("quarantined_at").type
                ),
                "source_file": [row.source_file for row in chosen],
                "source_line": pa.array([row.source_line for row in chosen], pa.int64()),
                "reason": [row.reason for row in chosen],
                "message": [row.message for row in chosen],
                "raw": [row.raw for row in chosen],  # masked when it was quarantined
            },
            schema=QUARANTINE_SCHEMA,
        )
        with staging_area(project) as stage:
            publish_quarantine_part(project, stage, moved, _folder(project, not dismissed))
            _rewrite_parts(project, stage, leaving, dismissed)
    sign, logged_as = (1, RESTORED_FORMAT) if dismissed else (-1, DISMISSED_FORMAT)
    for source_file, count in sorted(Counter(row.source_file for row in chosen).items()):
        logged = ImportSummary(source_file, logged_as, sign * count, 0, sign * count, 0)
        record_import(project, logged, sources[source_file].name, started_at)
    return len(chosen)


def retry_quarantined(
    project: Project,
    *,
    row_ids: Sequence[str] = (),
    reason: str | None = None,
    fixed: Mapping[str, str] | None = None,
) -> RetrySummary:
    """Re-try quarantined rows: those named, every row of `reason`, and rows with fixed text (`fixed`: id → text).

    See the module docstring. Run it with the project as jejak.toml says now (`open_project`), so a
    fixed setting or column map applies.
    """
    started = time.perf_counter()
    started_at = utc_now()
    fixed = dict(fixed or {})
    toml_mapping = project.column_map()
    check_mapping(toml_mapping)
    with writer_lock(project):
        chosen = selected_rows(project, [*row_ids, *fixed], reason)
        sources = _source_imports(project, {row.source_file for row in chosen})
        # An ad spend file's rows are not events: its import is run again on the fixed file, which replaces its rows.
        spent = {row.row_id: "spend" for row in chosen if sources[row.source_file].spend}
        rows = [row for row in chosen if row.row_id not in spent]
        names = {source_file: found.name for source_file, found in sources.items()}
        # Each file's rows are read as its import read them: jejak.toml as it is now, then what the import was told.
        mappings = {source_file: {**toml_mapping, **found.options.column_map} for source_file, found in sources.items()}
        groups, left = _plan(rows, fixed, mappings)
        left.update(spent)
        leaving: dict[str, set[int]] = defaultdict(set)
        returned: list[dict[str, object]] = []
        per_file: dict[str, list[LoadedRows]] = defaultdict(list)
        for group in groups:
            options = sources[group.source_file].options
            with staging_area(project) as stage:
                try:
                    setting = options.delimiter or project.settings.csv_delimiter
                    source = _csv_source(group.source_file, stage)
                    source_delimiter = _source_delimiter(source, setting, options.skip_lines)
                    path, origin, delimiter = _write_group(group, stage, source_delimiter, options.skip_lines, source)
                    # A row kept as a JSON object has its columns mapped already, and the import's --set values,
                    # renamed event and prefixed ids among them; a CSV line has the file's header, and gets them
                    # all as the import gave them.
                    from_text = group.kind == "csv_text"
                    reader, present, extra, _ = open_reader(
                        path,
                        FORMATS_BY_SUFFIX[path.suffix],
                        mappings[group.source_file] if from_text else {},
                        delimiter,
                        options.constants if from_text else None,
                        renames=options.renames() if from_text else None,
                        id_prefix=options.id_prefix if from_text else None,
                        event_id_prefix=options.event_id_prefix if from_text else None,
                    )
                    loaded = load_rows(
                        project,
                        stage,
                        reader,
                        FORMATS_BY_SUFFIX[path.suffix],
                        present,
                        extra,
                        source_name=names[group.source_file],
                        source_file=group.source_file,
                        received_at=started_at,
                        origin_lines=origin,
                        # as the import read the file's numbers
                        amounts=amount_style(project.settings.decimal_mark, source_delimiter),
                        timezone=options.timezone,  # as the import read the file's times
                        timestamp_formats=options.timestamp_formats,
                        keep_anonymous=options.keep_anonymous,
                        sum_revenue=options.sum_revenue,
                        id_prefix=options.id_prefix,
                    )
                except _NoHeader:
                    left.update({row.row_id: "no_header" for row, _ in group.rows})
                    continue
                except InputFileError:
                    left.update({row.row_id: "columns" for row, _ in group.rows})
                    continue
            per_file[group.source_file].append(loaded)
            done_lines = loaded.valid_lines | {int(str(bad["source_line"])) for bad in loaded.bad_rows}
            for row, _ in group.rows:
                if row.source_line in done_lines:
                    part, position = _check_row_id(row.row_id).groups()
                    leaving[part].add(int(position))
                else:
                    left[row.row_id] = "no_output"
            returned += [{**bad, "source_file": group.source_file} for bad in loaded.bad_rows]
        with staging_area(project) as stage:
            if returned:
                masked = [{**bad, "raw": mask_pii(str(bad["raw"]))} for bad in returned]
                publish_quarantine_part(project, stage, quarantine_table(masked, started_at))
            _rewrite_parts(project, stage, leaving)
    seconds = time.perf_counter() - started
    for source_file, runs in per_file.items():
        logged = ImportSummary(
            file=source_file,
            file_format=RETRY_FORMAT,
            rows_read=sum(run.rows_read for run in runs),
            rows_stored=sum(run.rows_stored for run in runs),
            rows_quarantined=sum(len(run.bad_rows) for run in runs),
            duplicates_skipped=sum(run.valid_rows - run.rows_stored - run.rows_erased for run in runs),
            rows_erased=sum(run.rows_erased for run in runs),
        )
        record_import(project, logged, names[source_file], started_at)
    loads = [run for runs in per_file.values() for run in runs]
    return RetrySummary(
        rows_chosen=len(chosen),
        rows_retried=sum(len(positions) for positions in leaving.values()),
        rows_read=sum(run.rows_read for run in loads),
        rows_stored=sum(run.rows_stored for run in loads),
        duplicates_skipped=sum(run.valid_rows - run.rows_stored - run.rows_erased for run in loads),
        rows_erased=sum(run.rows_erased for run in loads),
        rows_quarantined=len(returned),
        quarantined_by_reason=dict(sorted(Counter(str(bad["reason"]) for bad in returned).items())),
        left_by_why=dict(sorted(Counter(left.values()).items())),
        seconds=seconds,
    )
