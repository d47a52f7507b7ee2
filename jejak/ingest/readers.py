"""Readers turn a file into chunks of raw text rows (every value a string) plus rows that are already bad.

They do no interpretation: the one validation step (`validate.py`) does that
for every format alike. A row's `_line` is its 1-based physical line in the
file (the record's first line for CSV values that span lines).

A CSV file's values are separated by the delimiter its caller names (comma,
semicolon, tab or pipe; `csv_delimiter` finds it from the header line), and it
is split two ways that give the same rows. Python's `csv` module splits any
file, line by line, and says which lines it cannot split or decode (about 17 µs a
row). Most exports are plain: every value quoted or free of quotes, no line breaks
inside values, no empty lines, valid UTF-8. A block of such lines is split by
pyarrow's CSV reader instead (under 1 µs a row), once a vectorised check over its
bytes (`_plain_block`) has shown it is plain, so both readers must agree on it. A
block that is not plain goes through `csv`, up to the first record that ends at or
after the block's end (a quoted value may run on into the next block); the check of
plain blocks starts again from there.

JSON Lines are split into lines in Arrow, a block at a time (`_jsonl_lines`); a
block with a line that is not UTF-8 is read line by line so the line is found.
Parquet columns become text (`_parquet_text`): nested values as JSON, bytes that
are not UTF-8 as hex. A workbook's sheet (the first, or one named; Excel's `.xlsx` and `.xls`,
OpenDocument's `.ods`) becomes the text its CSV export would hold (`open_sheet`,
`_cell_text`). A gzipped or UTF-16 file is unpacked or re-encoded as UTF-8 by the
importer before these readers see it; only a header is read straight from one
(`_open_start`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import gzip
import io
import itertools
import json
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, AnyStr, BinaryIO, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from jejak.core.errors import InputFileError
from jejak.core.typed import whole_number

CHUNK_ROWS = 250_000
READ_BLOCK_BYTES = 8 * 1024 * 1024
# An unbalanced quote would otherwise swallow the rest of the file into one field.
MAX_LINES_PER_RECORD = 64
RAW_PREVIEW_CHARS = 4096
# Bytes of plain CSV lines split by pyarrow at a time (about 170k rows of a typical event export).
PLAIN_BLOCK_BYTES = 64 * 1024 * 1024
PARSE_BLOCK_BYTES = 4 * 1024 * 1024  # pyarrow parses a plain block in pieces this size, on its threads
# The value separators a CSV file may use, by the names the `csv_delimiter` setting takes.
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


@dataclass(frozen=True)
class BadRow:
    """A row the reader could not even split into fields."""

    line: int
    reason: str
    message: str
    raw: str


# Every chunk's own columns beside the file's: each row's line, and its text where the reader keeps it.
CHUNK_COLUMNS = ("_line", "_raw")


@dataclass
class RawChunk:
    """Up to CHUNK_ROWS rows: `_line`, `_raw` (JSON Lines text) and the file's columns as strings."""

    table: pa.Table
    bad_rows: list[BadRow] = field(default_factory=list)
    bytes_done: int = 0


def _skip_bom(handle: BinaryIO) -> int:
    """At the start of a file, step over a UTF-8 byte-order mark (Excel's "CSV UTF-8" and other exporters write
    one; it is not data). Returns the bytes skipped."""
    if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
        return len(codecs.BOM_UTF8)
    handle.seek(0)
    return 0


def _physical_lines(handle: BinaryIO, line_number: int = 0, done: int = 0) -> Iterator[tuple[int, bytes, int]]:
    """Yield (line number, line bytes without the line ending, the file offset just past the line) from the
    handle's position.

    `line_number` and `done` are the lines and bytes before that position (0 at the start of the file).
    """
    rest = b""
    offset = _skip_bom(handle) if done == 0 else done  # the file offset where `rest` starts
    while True:
        block = handle.read(READ_BLOCK_BYTES)
        if not block:
            break
        parts = (rest + block).split(b"\n")
        rest = parts.pop()
        for part in parts:
            line_number += 1
            offset += len(part) + 1
            yield line_number, part[:-1] if part.endswith(b"\r") else part, offset
    if rest:
        line_number += 1
        offset += len(rest)
        yield line_number, rest[:-1] if rest.endswith(b"\r") else rest, offset


def _preview(data: bytes) -> str:
    return data[:RAW_PREVIEW_CHARS].decode("utf-8", errors="backslashreplace")


class _RecordTooLong(Exception):
    pass


class _LineFeed:
    """Feeds decoded lines to csv.reader, quarantines undecodable ones, and can give lines back."""

    def __init__(self, handle: BinaryIO, lines_before: int = 0, bytes_before: int = 0) -> None:
        self._source = _physical_lines(handle, lines_before, bytes_before)
        self.pending: deque[tuple[int, str]] = deque()
        self.consumed: list[tuple[int, str]] = []
        self.bad_rows: list[BadRow] = []
        # The file offset just past the last line taken from the file: with nothing pending, every line up to
        # it has gone to csv, so a record that ends there ends at this offset.
        self.position = bytes_before
        self.last_line = lines_before  # the number of that line

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if len(self.consumed) >= MAX_LINES_PER_RECORD:
            raise _RecordTooLong
        if self.pending:
            item = self.pending.popleft()
        else:
            while True:
                line_number, data, self.position = next(self._source)
                self.last_line = line_number
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


def read_csv_chunks(
    path: Path,
    names: Sequence[str] | None = None,
    *,
    delimiter: str = ",",
    split_plain: bool = True,
    skip_lines: int = 0,
) -> Iterator[RawChunk]:
    """CSV rows as raw chunks; the first chunk's table tells the header (canonical names are applied later).

    With `split_plain` (the default), plain blocks are split by pyarrow (see the module docstring). `skip_lines`
    lines come before the header (a report's title): they are not read as CSV, and rows keep the file's line numbers.
    """
    with path.open("rb") as handle:
        start = _skip_title_lines(handle, skip_lines)
        plain_header = _plain_header(handle, delimiter) if split_plain else None
        if plain_header is None:
            handle.seek(start)
            feed = _LineFeed(handle, skip_lines, start)
            reader = csv.reader(feed, strict=True, delimiter=delimiter)
            header = _read_header(path, feed, reader)
        else:
            header, header_bytes = plain_header
        column_names = list(names) if names is not None else header
        refuse_repeated_names(path, column_names)
        width = len(header)
        if plain_header is None:
            yield from _csv_module_chunks(feed, column_names, width, delimiter)
            return
        yield from _plain_or_csv_chunks(handle, header_bytes, column_names, width, delimiter, skip_lines + 1)


def named_by_place(header: Sequence[str]) -> list[str]:
    """The header with each column that has no name (a header ending in a separator, an empty cell in a sheet's
    header row) named by its place, `column 4`, as a stray cell right of a sheet's table is."""
    return [name if name.strip() else f"column {number}" for number, name in enumerate(header, start=1)]


def refuse_repeated_names(path: Path, names: Sequence[str], advice: str = "") -> None:
    """An error naming the file and each name two or more of its columns have (after mapping): one column's values
    would be lost under the other's."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputFileError(
            f"{path}: the header names column(s) {', '.join(repeated)} more than once (after mapping). {advice}".rstrip()
        )


def title_lines(handle: IO[AnyStr], count: int) -> Iterator[AnyStr]:
    """The next `count` lines of an open file (the title lines above its header), fewer where the file ends first:
    any number may be given (`--skip-lines`), and none is asked of the file past its end.

    Example:
        >>> list(title_lines(io.StringIO("Laporan\\nMaret\\n"), 1_000_000))
        ['Laporan\\n', 'Maret\\n']
    """
    return itertools.islice(iter(handle.readline, handle.read(0)), count)  # read(0): the file's empty text or bytes


def _skip_title_lines(handle: BinaryIO, skip_lines: int) -> int:
    """From the start of the file, step over a byte-order mark and `skip_lines` lines; returns the offset reached."""
    return _skip_bom(handle) + sum(len(line) for line in title_lines(handle, skip_lines))


def _plain_or_csv_chunks(
    handle: BinaryIO, header_bytes: int, column_names: list[str], width: int, delimiter: str, header_lines: int = 1
) -> Iterator[RawChunk]:
    """Plain blocks split by pyarrow; a block that is not plain by Python's csv, up to the first record that ends
    at or after the block's end (a record's value may run on past it), and plain blocks again from there.

    `header_bytes` and `header_lines` are the file's bytes and lines up to the end of the header line."""
    lines_before, bytes_before = header_lines, header_bytes
    chunks = 0
    while True:
        handle.seek(bytes_before)
        not_plain_bytes = 0
        for block, lines_in_block, bytes_in_block in _line_blocks(handle):
            table = _plain_table(block, column_names, lines_before + 1, delimiter)
            if table is None:
                not_plain_bytes = bytes_in_block
                break
            yield RawChunk(table, [], bytes_before + bytes_in_block)
            chunks += 1
            lines_before += lines_in_block
            bytes_before += bytes_in_block
        if not not_plain_bytes:
            if not chunks:  # a header and no rows: one empty chunk still tells the header
                yield RawChunk(_chunk_table(column_names, [], None, []), [], bytes_before)
            return
        handle.seek(bytes_before)
        feed = _LineFeed(handle, lines_before, bytes_before)
        stopped = yield from _csv_module_chunks(
            feed, column_names, width, delimiter, stop_at=bytes_before + not_plain_bytes
        )
        chunks += 1
        if stopped is None:
            return
        lines_before, bytes_before = stopped


def _read_header(path: Path, feed: _LineFeed, reader: Iterator[list[str]]) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise InputFileError(f"{path} is empty: a CSV file needs a header row naming its columns.") from None
    except (csv.Error, _RecordTooLong) as exc:
        raise InputFileError(f"{path}: the header row cannot be read as CSV ({exc}).") from None
    if feed.bad_rows:
        raise InputFileError(f"{path}: the header row is not valid UTF-8. Save the file as UTF-8 and import it again.")
    return header


def _csv_module_chunks(
    feed: _LineFeed, column_names: list[str], width: int, delimiter: str, stop_at: int | None = None
) -> Generator[RawChunk, None, tuple[int, int] | None]:
    """Rows split by Python's csv module, bad rows set aside with their reasons: to the end of the file, or, with
    `stop_at` (a file offset at a line start), up to the first record that ends at or after it.

    Returns (lines, bytes) before the first record not read when it stopped early, else None.
    """
    reader = csv.reader(feed, strict=True, delimiter=delimiter)
    lines: list[int] = []
    rows: list[list[str]] = []
    stopped: tuple[int, int] | None = None
    while True:
        if stop_at is not None and not feed.pending and feed.position >= stop_at:
            stopped = (feed.last_line, feed.position)
            break
        feed.consumed = []
        try:
            fields = next(reader)
        except StopIteration:
            break
        except (csv.Error, _RecordTooLong) as exc:
            first_line, first_text = feed.consumed[0] if feed.consumed else (0, "")
            why = "a quoted value never closes" if isinstance(exc, _RecordTooLong) else str(exc)
            feed.bad_rows.append(
                BadRow(first_line, "malformed_row", f"cannot split into fields: {why}", first_text[:RAW_PREVIEW_CHARS])
            )
            feed.pending.extendleft(reversed(feed.consumed[1:]))
            reader = csv.reader(feed, strict=True, delimiter=delimiter)
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
            yield RawChunk(_chunk_table(column_names, lines, None, rows), feed.bad_rows, feed.position)
            lines, rows, feed.bad_rows = [], [], []
    yield RawChunk(_chunk_table(column_names, lines, None, rows), feed.bad_rows, feed.position)
    return stopped


_QUOTE, _CR, _LF, _NUL = (ord(c) for c in '"\r\n\0')


def _plain_block(block: bytes, delimiter: str = ",") -> bool:
    """Whether every line of `block` (whole lines, each ending in LF) is plain CSV that pyarrow and csv split alike.

    Plain: a value is either quoted (quotes inside it doubled) or holds no quote; no line break and no CR
    inside a value, CR only before LF; no empty line; no NUL; valid UTF-8. Quotes alternate opening and
    closing (a doubled quote closes and opens again), so the k-th quote opens a value when k is even.
    """
    separator = ord(delimiter)
    data = np.frombuffer(block, dtype=np.uint8)
    if data.size == 0 or data[-1] != _LF or bool((data == _NUL).any()):
        return False
    quotes = np.flatnonzero(data == _QUOTE)
    if quotes.size % 2:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    before = data[np.maximum(opening - 1, 0)]
    if not bool(np.all((opening == 0) | (before == separator) | (before == _LF) | (before == _QUOTE))):
        return False
    after = data[np.minimum(closing + 1, data.size - 1)]
    if not bool(np.all((after == separator) | (after == _LF) | (after == _CR) | (after == _QUOTE))):
        return False
    line_ends, returns = np.flatnonzero(data == _LF), np.flatnonzero(data == _CR)
    # A line break inside a quoted value: an odd number of quotes before it.
    if bool(np.any(np.searchsorted(quotes, np.concatenate([line_ends, returns])) % 2)):
        return False
    if returns.size and (returns[-1] == data.size - 1 or bool(np.any(data[returns + 1] != _LF))):
        return False
    # An empty line: the block starts with a line ending, or a line ending follows a line feed.
    line_starts = np.concatenate([[0], line_ends[:-1] + 1])
    if bool(np.any(data[line_starts] == _LF) or np.any(data[line_starts] == _CR)):
        return False
    # csv refuses a value longer than its field size limit (a malformed row); no line is that long here.
    if int(np.max(line_ends - line_starts)) > csv.field_size_limit():
        return False
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _plain_table(block: bytes, column_names: Sequence[str], first_line: int, delimiter: str) -> pa.Table | None:
    """The block's rows as a raw chunk table when it is plain and every line has the header's width, else None."""
    if not _plain_block(block, delimiter):
        return None
    placeholders = [f"f{i}" for i in range(len(column_names))]
    try:
        parsed = pa_csv.read_csv(
            io.BytesIO(block),
            read_options=pa_csv.ReadOptions(column_names=placeholders, block_size=PARSE_BLOCK_BYTES),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(placeholders, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except pa.ArrowInvalid:  # a line with another number of fields: csv says which
        return None
    rows = parsed.num_rows
    if rows != block.count(b"\n"):
        return None
    columns: dict[str, pa.Array] = {
        "_line": pa.array(np.arange(first_line, first_line + rows, dtype=np.int64)),
        "_raw": pa.nulls(rows, pa.string()),
    }
    for name, column in zip(column_names, parsed.columns, strict=True):
        columns[name] = column.combine_chunks()
    return pa.table(columns)


def _line_blocks(handle: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """Whole lines from the handle's position, about PLAIN_BLOCK_BYTES at a time: (lines, their count, file bytes).

    The last line gets a line feed when the file does not end with one (not counted in its file bytes).
    """
    rest = b""
    while True:
        data = handle.read(PLAIN_BLOCK_BYTES)
        if not data:
            break
        data = rest + data
        end = data.rfind(b"\n") + 1
        if end == 0:
            rest = data
            continue
        block, rest = data[:end], data[end:]
        yield block, block.count(b"\n"), len(block)
    if rest:
        yield rest + b"\n", 1, len(rest)


def _plain_header(handle: BinaryIO, delimiter: str) -> tuple[list[str], int] | None:
    """The names of the header at the handle's position and the file's bytes up to the end of its line, when the
    header line is plain; else None."""
    skipped = handle.tell()
    line = handle.readline(PLAIN_BLOCK_BYTES)
    if not line.endswith(b"\n") or not _plain_block(line, delimiter):
        return None
    header = next(csv.reader([line.decode("utf-8").rstrip("\r\n")], strict=True, delimiter=delimiter), None)
    if not header:
        return None
    return header, skipped + len(line)


def is_gzipped(path: Path) -> bool:
    """Whether the file's name says it is gzipped (`events.csv.gz`, as BigQuery and most exporters write them)."""
    return path.suffix.lower() == ".gz"


# Excel's "Unicode Text" and some ad platforms' "CSV for Excel" downloads are UTF-16 with a byte-order mark.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF16_START_CHARS = 1 << 20  # what a header read decodes of such a file: far more than a title and a header
# How much of a file tells whether its lines end in a CR alone: more than any one line jejak reads (csv_field_limit).
CR_CHECK_BYTES = 1 << 20


def _open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, a gzipped one (`.gz`) unpacked as it is read."""
    if is_gzipped(path):
        return cast(BinaryIO, gzip.open(path, "rb"))  # a GzipFile reads and seeks as a binary file does
    return path.open("rb")


def is_utf16(path: Path) -> bool:
    """Whether the file's text (unpacked, if gzipped) starts with a UTF-16 byte-order mark."""
    with _open_bytes(path) as handle:
        return handle.read(2) in UTF16_BOMS


def ends_lines_with_cr(path: Path) -> bool:
    """Whether a text file's lines end in a carriage return alone, as old Mac software and Excel for Mac's
    "Macintosh Comma Separated" write them: its first block holds a CR and no line feed."""
    with path.open("rb") as handle:
        start = handle.read(CR_CHECK_BYTES)
    return b"\r" in start and b"\n" not in start


def cr_to_lf(path: Path, target: Path) -> None:
    """Write a file whose lines end in a CR alone to `target` with line feeds: the readers split lines at line feeds,
    and a line break inside a quoted value stays one (a line feed, as such a value is in a file that has them)."""
    with path.open("rb") as source, target.open("wb") as out:
        while block := source.read(READ_BLOCK_BYTES):
            out.write(block.replace(b"\r", b"\n"))


def _open_start(path: Path) -> BinaryIO:
    """A file to read its first lines from, as UTF-8: a gzipped one unpacked, a UTF-16 one's first block re-encoded."""
    handle = _open_bytes(path)
    if handle.read(2) not in UTF16_BOMS:
        handle.seek(0)
        return handle
    handle.seek(0)
    with io.TextIOWrapper(handle, encoding="utf-16", errors="surrogatepass", newline="") as text:
        return io.BytesIO(text.read(UTF16_START_CHARS).encode("utf-8", "surrogatepass"))


def utf16_to_utf8(path: Path, target: Path) -> None:
    """Write a UTF-16 file's text to `target` as UTF-8, line endings as they were. A lone surrogate (text no encoding
    can hold) is written as the bytes it would have been, which are not UTF-8, so the reader quarantines its line
    as `invalid_utf8` instead of the text being changed."""
    with (
        path.open("r", encoding="utf-16", errors="surrogatepass", newline="") as source,
        target.open("wb") as out,
    ):
        while block := source.read(READ_BLOCK_BYTES):
            out.write(block.encode("utf-8", "surrogatepass"))


def read_csv_header(path: Path, delimiter: str = ",", *, skip_lines: int = 0) -> list[str]:
    """Just the header row of a CSV file (gzipped or not), after `skip_lines` lines."""
    with io.TextIOWrapper(_open_start(path), encoding="utf-8-sig", errors="replace", newline="") as handle:
        for _ in title_lines(handle, skip_lines):
            pass
        try:
            return next(csv.reader(handle, delimiter=delimiter))
        except StopIteration:
            if skip_lines:
                raise InputFileError(
                    f"{path}: no header line after the {skip_lines} line(s) skipped. Is --skip-lines too large?"
                ) from None
            raise InputFileError(f"{path} is empty: a CSV file needs a header row naming its columns.") from None


def csv_delimiter(path: Path, setting: str = "auto", *, skip_lines: int = 0) -> str:
    """The character separating the file's values: the setting's (`DELIMITERS`), or with `auto` the one of them
    its header line (after `skip_lines` lines) holds most often outside quotes (comma when it holds none, or on a
    tie).

    Column names seldom hold any of the four, so the header line shows what an export used: Excel writes
    semicolons where the comma is the decimal mark (Indonesian among them), and some tools write tabs.
    """
    if setting != "auto":
        return DELIMITERS[setting]
    with _open_start(path) as handle:
        _skip_title_lines(handle, skip_lines)  # the lines the reader skips, so the same header line
        line = handle.readline(PLAIN_BLOCK_BYTES).decode("utf-8", errors="replace")
    outside_quotes = "".join(line.split('"')[0::2])
    counts = {character: outside_quotes.count(character) for character in DELIMITERS.values()}
    best = max(counts, key=lambda character: (counts[character], character == ","))
    return best if counts[best] else ","


def _jsonl_lines_one_by_one(parts: list[bytes], first_line: int) -> tuple[pa.Array, pa.Array, list[BadRow]]:
    """`_jsonl_lines`, a line at a time: for blocks with a line that is not UTF-8, which is quarantined."""
    numbers: list[int] = []
    texts: list[str] = []
    bad_rows: list[BadRow] = []
    for line_number, data in enumerate(parts, start=first_line):
        data = data[:-1] if data.endswith(b"\r") else data
        if not data.strip():
            continue
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            message = f"byte {exc.start} is not valid UTF-8 ({exc.reason})"
            bad_rows.append(BadRow(line_number, "invalid_utf8", message, _preview(data)))
            continue
        numbers.append(line_number)
    return pa.array(numbers, pa.int64()), pa.array(texts, pa.string()), bad_rows


def _jsonl_lines(parts: pa.Array, first_line: int) -> tuple[pa.Array, pa.Array, list[BadRow]]:
    """The line numbers and texts of `parts` (a block's lines as binary, without their line feeds, the first being
    line `first_line`): one CR before the line feed dropped, blank lines (ASCII white space only) skipped, lines
    that are not UTF-8 returned as bad rows.

    Vectorised in Arrow (decoding and checking lines one by one in Python was a quarter of a JSON Lines import);
    a block with a line that is not UTF-8 goes line by line, so that line is found and quarantined.
    """
    data = parts
    ends_with_cr = pc.ends_with(data, pattern="\r")
    if pc.any(ends_with_cr).as_py():
        data = pc.if_else(ends_with_cr, pc.binary_slice(data, 0, -1), data)
    try:
        texts = data.cast(pa.string())
    except pa.ArrowInvalid:
        return _jsonl_lines_one_by_one(parts.to_pylist(), first_line)
    numbers = pa.array(np.arange(first_line, first_line + len(parts), dtype=np.int64))
    kept = pc.not_equal(pc.ascii_trim_whitespace(texts), "")
    return pc.filter(numbers, kept), pc.filter(texts, kept), []


def read_jsonl_chunks(path: Path) -> Iterator[RawChunk]:
    """JSON Lines as raw chunks of (`_line`, `_raw`); parsing happens in the validation SQL."""

    def chunk(done: int) -> RawChunk:
        table = pa.table(
            {
                "_line": pa.concat_arrays(numbers) if numbers else pa.array([], pa.int64()),
                "_raw": pa.concat_arrays(texts) if texts else pa.array([], pa.string()),
            }
        )
        return RawChunk(table, bad_rows, done)

    with path.open("rb") as handle:
        numbers: list[pa.Array] = []
        texts: list[pa.Array] = []
        bad_rows: list[BadRow] = []
        rows, line_number, rest = 0, 0, b""
        done = _skip_bom(handle)  # its bytes count as read
        while True:
            block = handle.read(READ_BLOCK_BYTES)
            at_end = not block
            done += len(block)
            if at_end:
                parts, rest = pa.array([rest] if rest else [], pa.binary()), b""
            else:
                # Split in Arrow: a Python list of a block's lines costs 13 µs a line to turn into an array.
                pieces = pc.split_pattern(pa.array([rest + block], pa.binary()), "\n").values
                parts, rest = pieces[:-1], pieces[-1].as_py()
            if len(parts):
                block_numbers, block_texts, block_bad = _jsonl_lines(parts, line_number + 1)
                line_number += len(parts)
                numbers.append(block_numbers)
                texts.append(block_texts)
                bad_rows += block_bad
                rows += len(block_numbers)
            if at_end:
                break
            if rows >= CHUNK_ROWS:
                yield chunk(done)
                numbers, texts, bad_rows, rows = [], [], [], 0
        yield chunk(done)


# The column a chunk carries when an amount (its revenue, its refunded amount) was a number in the file, not text (a
# Parquet number column), by the amount's canonical name.
TYPED_AMOUNT_FLAGS = {"revenue": "_revenue_typed", "refunded_revenue": "_refunded_typed"}


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
            columns[name] = _parquet_text(column)
            if name in TYPED_AMOUNT_FLAGS and (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                # A number, not text: never read as Rupiah thousands (`validate.AmountStyle`), though it is cast.
                columns[TYPED_AMOUNT_FLAGS[name]] = pa.repeat(pa.scalar(True), batch.num_rows)
        line += batch.num_rows
        done = int(size * line / total_rows)
        yield RawChunk(pa.table(columns), [], done)


def _parquet_text(column: pa.Array) -> pa.Array:
    """A Parquet column as text: times as ISO-8601, nested values (lists, structs, maps) as JSON, bytes that are
    not text as hex, everything else as Arrow casts it."""
    if pa.types.is_timestamp(column.type):
        # ISO-8601 text keeps the offset (UTC for zone-aware columns); Arrow's %S already holds the fraction.
        column = column.cast(pa.timestamp("us", tz=column.type.tz)) if column.type.unit == "ns" else column
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S" + ("%z" if column.type.tz else ""))
    if pa.types.is_nested(column.type):
        # Arrow casts no nested type to text; such columns are rare and short, so Python writes their JSON.
        values = column.to_pylist()
        return pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=_json_value) for v in values])
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # bytes that are not UTF-8, or a type with no text cast
        return pa.array([None if v is None else _json_value(v) for v in column.to_pylist()], pa.string())


def _json_value(value: object) -> str:
    """Text for a value JSON has no type for: bytes as hex, anything else (dates, decimals) as Python writes it."""
    return value.hex() if isinstance(value, bytes) else str(value)


def _workbook_sheet(path: Path, sheet: str | None) -> tuple[Any, list[str]]:
    """The sheet to read (calamine: cells' values, formulas as last computed) and every sheet's name, or an error
    naming the file. `sheet` is a sheet's name (case and spaces around it aside) or its number, 1 for the first;
    None is the first sheet."""
    from python_calamine import CalamineWorkbook  # only an Excel import needs it

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = [str(name) for name in workbook.sheet_names]
        return workbook.get_sheet_by_index(_sheet_index(path, names, sheet)), names
    except InputFileError:
        raise
    except Exception as exc:  # calamine raises its own types for a file that is not a workbook
        raise InputFileError(
            f"{path} cannot be read as an Excel workbook (.xlsx, .xls) or OpenDocument spreadsheet (.ods): {exc}. "
            "Is it one?"
        ) from None


def not_a_workbook(path: Path) -> InputFileError:
    """The error for `--sheet` given with a file that has no sheets (events and spend imports alike)."""
    return InputFileError(
        f"{path}: --sheet picks a sheet of an Excel or OpenDocument workbook; this file is not one. Import it "
        "without --sheet."
    )


def _sheet_index(path: Path, names: Sequence[str], sheet: str | None) -> int:
    """Where `sheet` is among the workbook's sheets (see `_workbook_sheet`)."""
    if sheet is None:
        return 0
    wanted = sheet.strip().casefold()
    for index, name in enumerate(names):
        if name.strip().casefold() == wanted:
            return index
    place = whole_number(wanted)
    if place is not None and 1 <= place <= len(names):
        return place - 1  # a number names a sheet by place only when no sheet is called so
    raise InputFileError(
        f"{path} has no sheet {sheet!r}. Its sheets: {_sheet_list(names)}. Name one with --sheet, or give its "
        "number (1 for the first)."
    )


def _sheet_list(names: Sequence[str]) -> str:
    return ", ".join(f"{number} {name!r}" for number, name in enumerate(names, 1))


def sheet_rows(
    path: Path, skip_rows: int = 0, sheet: str | None = None
) -> tuple[int, list[str], Iterator[tuple[int, list[str]]]]:
    """A sheet's last row number, its header (its first row with a value after `skip_rows` rows, cells as text,
    trimmed, empty cells at its end dropped) and the rows after it, each with its row number in the sheet and its
    cells as text (`_cell_text`). `sheet` names the sheet (`_workbook_sheet`; None: the first)."""
    found, names = _workbook_sheet(path, sheet)
    last_row = int(found.end[0]) + 1 if found.end else 1
    rows = ((number, [_cell_text(cell) for cell in cells]) for number, cells in enumerate(found.iter_rows(), 1))
    for number, texts in rows:
        if number > skip_rows and any(text.strip() for text in texts):
            header = [text.strip() for text in texts]
            while not header[-1]:
                header.pop()
            return last_row, header, rows
    which = f"sheet {found.name!r}" if sheet is not None else f"first sheet ({found.name!r})"
    if skip_rows:
        raise InputFileError(
            f"{path}: no header row in the {which} after the {skip_rows} row(s) skipped. Is --skip-lines too large?"
        )
    others = f" The workbook's sheets: {_sheet_list(names)}; pick one with --sheet." if len(names) > 1 else ""
    raise InputFileError(f"{path}: the {which} is empty; its first row must name the columns.{others}")


TITLE_LOOK_LINES = 20  # how far down a file a table's first line is looked for, under a report's title


def is_table_row(cells: Sequence[str]) -> bool:
    """Whether a line holds two values or more, as a table's header and rows do; a title or a date range holds one."""
    return sum(1 for cell in cells if cell.strip()) >= 2


def lines_above_table(head: bytes, delimiter: str, looked_at: int = TITLE_LOOK_LINES) -> int:
    """How many of the first lines of a CSV file's `head` come before its first of two values or more (a title, a
    date range), as `--skip-lines` counts them, or 0 when none of the first `looked_at` has two."""
    lines = head[: 64 * 1024].decode("utf-8-sig", errors="replace").splitlines()[:looked_at]
    for number, cells in enumerate(csv.reader(lines, delimiter=delimiter)):
        if is_table_row(cells):
            return number
    return 0


def csv_lines_above_table(path: Path, delimiter: str) -> int:
    """`lines_above_table` of a CSV file (gzipped or UTF-16 too), reading only its start."""
    with _open_start(path) as handle:
        return lines_above_table(handle.read(64 * 1024), delimiter)


def sheet_rows_above_table(path: Path, sheet: str | None, looked_at: int = TITLE_LOOK_LINES) -> int:
    """How many of a sheet's first rows come before its first of two values or more (a title, a date range), as
    `--skip-lines` counts them, or 0 when none of its first `looked_at` rows has two."""
    _, header, after = sheet_rows(path, 0, sheet)
    if is_table_row(header):
        return 0
    for number, cells in after:
        if number > looked_at:
            break
        if is_table_row(cells):
            return number - 1
    return 0


def sheet_titles(path: Path, rows: int, sheet: str | None = None) -> list[str]:
    """The cells with a value in a sheet's first `rows` rows (a report's title lines), as text."""
    if rows <= 0:
        return []
    found, _ = _workbook_sheet(path, sheet)
    titled = itertools.islice(found.iter_rows(), rows)
    return [text for cells in titled for text in map(_cell_text, cells) if text.strip()]


def open_sheet(
    path: Path, *, skip_rows: int = 0, sheet: str | None = None
) -> tuple[list[str], Callable[[Sequence[str]], Iterator[RawChunk]]]:
    """A workbook's column names (its sheet's first row with a value after `skip_rows` rows, such as a report's
    title, empty cells at its end dropped) and a reader of the rows under them, given the names to use (after the
    mapping): one read of the sheet serves both. `sheet` names the sheet (None: the first).
    """
    last_row, header, rows_after = sheet_rows(path, skip_rows, sheet)
    return header, functools.partial(_sheet_chunks, path, last_row=last_row, rows_after=rows_after)


def _sheet_chunks(
    path: Path, names: Sequence[str], *, last_row: int, rows_after: Iterator[tuple[int, list[str]]]
) -> Iterator[RawChunk]:
    """The rows under the header as raw chunks; a row's `_line` is its row number in the sheet.

    Every value becomes text as a CSV export would write it (`_cell_text`); empty rows are skipped, as CSV's
    empty lines are; a row with values right of the header's last column is quarantined as `malformed_row`.
    """
    width = len(names)
    size = path.stat().st_size
    lines: list[int] = []
    rows: list[list[str]] = []
    bad: list[BadRow] = []
    for number, texts in rows_after:
        if not any(text.strip() for text in texts):
            continue
        if any(texts[width:]):
            record = dict(zip(names, texts, strict=False))
            record.update({f"column {i + 1}": text for i, text in enumerate(texts) if i >= width and text})
            message = f"row {number} has values right of the header's {width} columns"
            raw = json.dumps(record, ensure_ascii=False)[:RAW_PREVIEW_CHARS]
            bad.append(BadRow(number, "malformed_row", message, raw))
            continue
        lines.append(number)
        rows.append(texts[:width] + [""] * (width - len(texts)))
        if len(rows) >= CHUNK_ROWS:
            yield RawChunk(_chunk_table(names, lines, None, rows), bad, size * number // max(last_row, 1))
            lines, rows, bad = [], [], []
    yield RawChunk(_chunk_table(names, lines, None, rows), bad, size)


def _cell_text(value: object) -> str:
    """A cell as a CSV export writes it: whole numbers without `.0` (Excel keeps every number as a float, ids and
    phone numbers too), times as ISO-8601 without an offset (Excel's are local), booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def parquet_header(path: Path) -> list[str]:
    """The column names of a Parquet file."""
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise InputFileError(f"{path} cannot be read as Parquet: {exc}. Is it a Parquet file?") from None
