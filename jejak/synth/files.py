"""Write the data files chunk by chunk, byte for byte the same for the same seed, with bad rows spliced in.

Files are written with pyarrow (CSV, Parquet) or as raw bytes (JSON Lines) in
row order. DuckDB's COPY is not used here: the engine runs it with
`preserve_insertion_order = false`, which may reorder rows between runs, and the
generator promises identical bytes for identical seeds.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jejak.synth.badrows import BadRow
from jejak.synth.tables import empty_row

IntArray = npt.NDArray[np.int64]
CHUNK_ROWS = 400_000
RENDER_THREADS = 2  # Arrow and numpy release the GIL, so two chunks render while the previous one is written
RENDER_AHEAD = 3  # chunks rendered ahead of the writer: bounds memory


def chunks(rows: IntArray, size: int = CHUNK_ROWS) -> Iterator[IntArray]:
    """Consecutive slices of `rows`."""
    for begin in range(0, rows.size, size):
        yield rows[begin : begin + size]


def rendered(render: Callable[[IntArray], Any], parts: Iterable[IntArray]) -> Iterator[Any]:
    """render(part) for every part, computed on worker threads a few parts ahead, yielded in order."""
    with ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix="jejak-synth") as pool:
        pending: deque[Future[Any]] = deque()
        for part in parts:
            pending.append(pool.submit(render, part))
            if len(pending) > RENDER_AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _temporary(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _placements(total: int, bad: list[BadRow]) -> list[tuple[int, BadRow]]:
    """Good-row index before which each bad row goes, in file order."""
    return sorted(((min(total, round(row.position * total)), row) for row in bad), key=lambda p: p[0])


class _Splicer:
    """Feeds chunks of good rows to a writer and slips bad rows in at their places; tracks line numbers."""

    def __init__(self, total: int, bad: list[BadRow], header_lines: int) -> None:
        self.pending = _placements(total, bad)
        self.written = 0
        self.lines = header_lines
        self.planted: list[dict[str, Any]] = []

    def feed(self, chunk: Any, write_good: Callable[[Any], None], write_bad: Callable[[BadRow], None]) -> None:
        begin, length = self.written, len(chunk)
        offset = 0
        while self.pending and self.pending[0][0] <= begin + length:
            at, row = self.pending.pop(0)
            if at - begin > offset:
                write_good(chunk.slice(offset, at - begin - offset))
                self.lines += at - begin - offset
                offset = at - begin
            write_bad(row)
            self.lines += 1
            self.planted.append({"file": row.file, "line": self.lines, "reason": row.reason, "note": row.note})
        if length > offset:
            write_good(chunk.slice(offset, length - offset))
            self.lines += length - offset
        self.written += length

    def finish(self, write_bad: Callable[[BadRow], None]) -> None:
        """Bad rows placed after the last good row (or in an empty file)."""
        for _, row in self.pending:
            write_bad(row)
            self.lines += 1
            self.planted.append({"file": row.file, "line": self.lines, "reason": row.reason, "note": row.note})
        self.pending = []


def write_csv(
    path: Path, header: tuple[str, ...], tables: Iterator[Any], total: int, bad: list[BadRow]
) -> list[dict[str, Any]]:
    """Write CSV chunks (values quoted, header plain); returns the planted bad rows with their line numbers."""
    options = pacsv.WriteOptions(quoting_header="none")
    splicer = _Splicer(total, bad, header_lines=1)
    schema: Any = None
    writer: Any = None
    temporary = _temporary(path)

    def good(table: Any) -> None:
        writer.write_table(table)

    def bad_row(row: BadRow) -> None:
        writer.write_table(empty_row(row.file, dict(row.values)).cast(schema))

    try:
        for table in tables:
            if writer is None:
                schema = table.schema
                writer = pacsv.CSVWriter(str(temporary), schema, write_options=options)
            splicer.feed(table, good, bad_row)
        if writer is None:  # no good rows at all: still write the header
            schema = empty_row(bad[0].file, {}).schema if bad else pa.schema([(h, pa.string()) for h in header])
            writer = pacsv.CSVWriter(str(temporary), schema, write_options=options)
        splicer.finish(bad_row)
    finally:
        if writer is not None:
            writer.close()
    os.replace(temporary, path)
    return splicer.planted


def write_parquet(path: Path, tables: Iterator[Any]) -> None:
    """Write Parquet chunks as row groups (zstd)."""
    temporary = _temporary(path)
    writer: Any = None
    try:
        for table in tables:
            if writer is None:
                writer = pq.ParquetWriter(str(temporary), table.schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    os.replace(temporary, path)


def _string_bytes(values: Any) -> memoryview:
    """The concatenated UTF-8 bytes of a string array without copying it."""
    values = values.cast(pa.large_string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + len(values) + 1]
    data = values.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def write_lines(path: Path, lines: Iterator[Any], total: int, bad: list[BadRow]) -> list[dict[str, Any]]:
    """Write JSON Lines chunks (each value ends with a newline); returns the planted bad rows with their lines."""
    splicer = _Splicer(total, bad, header_lines=0)
    temporary = _temporary(path)
    with temporary.open("wb") as handle:
        out: BinaryIO = handle

        def good(chunk: Any) -> None:
            out.write(_string_bytes(chunk))

        def bad_line(row: BadRow) -> None:
            out.write(row.line + b"\n")

        for chunk in lines:
            splicer.feed(chunk, good, bad_line)
        splicer.finish(bad_line)
    os.replace(temporary, path)
    return splicer.planted
