"""Readers turn a file into chunks of raw text rows (every value a string) plus rows that are already bad.

They do no interpretation: the one validation step (`validate.py`) does that
for every format alike. A row's `_line` is its 1-based physical line in the
file (the record's first line for CSV values that span lines).
"""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from jejak.core.errors import InputFileError

CHUNK_ROWS = 250_000
READ_BLOCK_BYTES = 8 * 1024 * 1024
# An unbalanced quote would otherwise swallow the rest of the file into one field.
MAX_LINES_PER_RECORD = 64
RAW_PREVIEW_CHARS = 4096


@dataclass(frozen=True)
class BadRow:
    """A row the reader could not even split into fields."""

    line: int
    reason: str
    message: str
    raw: str


@dataclass
class RawChunk:
    """Up to CHUNK_ROWS rows: `_line`, `_raw` (JSON Lines text) and the file's columns as strings."""

    table: pa.Table
    bad_rows: list[BadRow] = field(default_factory=list)
    bytes_done: int = 0


def _physical_lines(handle: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """Yield (line number, line bytes without the line ending, bytes read so far)."""
    line_number = 0
    done = 0
    rest = b""
    first_block = True
    while True:
        block = handle.read(READ_BLOCK_BYTES)
        if not block:
            break
        done += len(block)
        if first_block:
            # Excel's "CSV UTF-8" (and other exporters) start the file with a byte-order mark: it is not data.
            block, first_block = block.removeprefix(codecs.BOM_UTF8), False
        parts = (rest + block).split(b"\n")
        rest = parts.pop()
        for part in parts:
            line_number += 1
            yield line_number, part[:-1] if part.endswith(b"\r") else part, done
    if rest:
        line_number += 1
        yield line_number, rest[:-1] if rest.endswith(b"\r") else rest, done


def _preview(data: bytes) -> str:
    return data[:RAW_PREVIEW_CHARS].decode("utf-8", errors="backslashreplace")


class _RecordTooLong(Exception):
    pass


class _LineFeed:
    """Feeds decoded lines to csv.reader, quarantines undecodable ones, and can give lines back."""

    def __init__(self, handle: BinaryIO) -> None:
        self._source = _physical_lines(handle)
        self.pending: deque[tuple[int, str]] = deque()
        self.consumed: list[tuple[int, str]] = []
        self.bad_rows: list[BadRow] = []
        self.bytes_done = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if len(self.consumed) >= MAX_LINES_PER_RECORD:
            raise _RecordTooLong
        if self.pending:
            item = self.pending.popleft()
        else:
            while True:
                line_number, data, self.bytes_done = next(self._source)
                try:
                    item = (line_number, data.decode("utf-8"))
                    break
                except UnicodeDecodeError as exc:
                    self.bad_rows.append(
                        BadRow(
                            line_number,
                            "invalid_utf8",
                            f"byte {exc.start} is not valid UTF-8 ({exc.reason})",
                            _preview(data),
                        )
                    )
        self.consumed.append(item)
        return item[1] + "\n"


def _chunk_table(names: Sequence[str], lines: list[int], raws: list[str] | None, rows: list[list[str]]) -> pa.Table:
    columns: dict[str, pa.Array] = {"_line": pa.array(lines, pa.int64())}
    columns["_raw"] = pa.array(raws, pa.string()) if raws is not None else pa.nulls(len(lines), pa.string())
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    for name, values in zip(names, transposed, strict=True):
        columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


def read_csv_chunks(path: Path, names: Sequence[str] | None = None) -> Iterator[RawChunk]:
    """CSV rows as raw chunks; the first chunk's table tells the header (canonical names are applied later)."""
    with path.open("rb") as handle:
        feed = _LineFeed(handle)
        reader = csv.reader(feed, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise InputFileError(f"{path} is empty: a CSV file needs a header row naming its columns.") from None
        except (csv.Error, _RecordTooLong) as exc:
            raise InputFileError(f"{path}: the header row cannot be read as CSV ({exc}).") from None
        if feed.bad_rows:
            raise InputFileError(
                f"{path}: the header row is not valid UTF-8. Save the file as UTF-8 and import it again."
            )
        column_names = list(names) if names is not None else header
        if len(column_names) != len(set(column_names)):
            duplicates = sorted({n for n in column_names if column_names.count(n) > 1})
            raise InputFileError(
                f"{path}: the header names column(s) {', '.join(duplicates)} more than once (after mapping)."
            )
        width = len(header)
        lines: list[int] = []
        rows: list[list[str]] = []
        while True:
            feed.consumed = []
            try:
                fields = next(reader)
            except StopIteration:
                break
            except (csv.Error, _RecordTooLong) as exc:
                first_line, first_text = feed.consumed[0] if feed.consumed else (0, "")
                why = "a quoted value never closes" if isinstance(exc, _RecordTooLong) else str(exc)
                feed.bad_rows.append(
                    BadRow(
                        first_line, "malformed_row", f"cannot split into fields: {why}", first_text[:RAW_PREVIEW_CHARS]
                    )
                )
                feed.pending.extendleft(reversed(feed.consumed[1:]))
                reader = csv.reader(feed, strict=True)
                continue
            if not fields:
                continue
            if len(fields) != width:
                text = "\n".join(t for _, t in feed.consumed)
                feed.bad_rows.append(
                    BadRow(
                        feed.consumed[0][0],
                        "malformed_row",
                        f"expected {width} fields, found {len(fields)}",
                        text[:RAW_PREVIEW_CHARS],
                    )
                )
                continue
            lines.append(feed.consumed[0][0])
            rows.append(fields)
            if len(rows) >= CHUNK_ROWS:
                yield RawChunk(_chunk_table(column_names, lines, None, rows), feed.bad_rows, feed.bytes_done)
                lines, rows, feed.bad_rows = [], [], []
        yield RawChunk(_chunk_table(column_names, lines, None, rows), feed.bad_rows, feed.bytes_done)


def read_csv_header(path: Path) -> list[str]:
    """Just the header row of a CSV file."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        try:
            return next(csv.reader(handle))
        except StopIteration:
            raise InputFileError(f"{path} is empty: a CSV file needs a header row naming its columns.") from None


def read_jsonl_chunks(path: Path) -> Iterator[RawChunk]:
    """JSON Lines as raw chunks of (`_line`, `_raw`); parsing happens in the validation SQL."""
    with path.open("rb") as handle:
        bad_rows: list[BadRow] = []
        lines: list[int] = []
        raws: list[str] = []
        done = 0
        for line_number, data, done in _physical_lines(handle):
            if not data.strip():
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_rows.append(
                    BadRow(
                        line_number,
                        "invalid_utf8",
                        f"byte {exc.start} is not valid UTF-8 ({exc.reason})",
                        _preview(data),
                    )
                )
                continue
            lines.append(line_number)
            raws.append(text)
            if len(lines) >= CHUNK_ROWS:
                yield RawChunk(_chunk_table([], lines, raws, []), bad_rows, done)
                bad_rows, lines, raws = [], [], []
        yield RawChunk(_chunk_table([], lines, raws, []), bad_rows, done)


def read_parquet_chunks(path: Path, names: Sequence[str]) -> Iterator[RawChunk]:
    """Parquet rows as raw chunks, every column cast to text so all formats share one validation."""
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise InputFileError(f"{path} cannot be read as Parquet: {exc}. Is it a Parquet file?") from None
    line = 0
    done = 0
    total_rows = max(parquet.metadata.num_rows, 1)
    size = path.stat().st_size
    for batch in parquet.iter_batches(batch_size=CHUNK_ROWS):
        columns: dict[str, pa.Array] = {"_line": pa.array(range(line + 1, line + 1 + batch.num_rows), pa.int64())}
        columns["_raw"] = pa.nulls(batch.num_rows, pa.string())
        for name, column in zip(names, batch.columns, strict=True):
            if pa.types.is_timestamp(column.type):
                # ISO-8601 text keeps the offset (UTC for zone-aware columns); Arrow's %S already holds the fraction.
                column = column.cast(pa.timestamp("us", tz=column.type.tz)) if column.type.unit == "ns" else column
                text = pa.compute.strftime(column, format="%Y-%m-%dT%H:%M:%S" + ("%z" if column.type.tz else ""))
            else:
                text = column.cast(pa.string())
            columns[name] = text
        line += batch.num_rows
        done = int(size * line / total_rows)
        yield RawChunk(pa.table(columns), [], done)


def parquet_header(path: Path) -> list[str]:
    """The column names of a Parquet file."""
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise InputFileError(f"{path} cannot be read as Parquet: {exc}. Is it a Parquet file?") from None
