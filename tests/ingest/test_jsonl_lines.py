"""JSON Lines split into lines in Arrow, block by block, against the plain line-by-line definition."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.ingest import readers
from jejak.ingest.readers import read_jsonl_chunks

# Pieces of lines: JSON, line ends, ASCII white space (blank lines), a no-break space (not blank), bytes that are
# not UTF-8, NUL.
PIECES = st.sampled_from(
    [
        *(b'{"a":1}', b"x", b"\r", b"\n", b"\r\n", b"\r\r\n", b" ", b"\t", b"\x0b", b"\x0c"),
        *(b"\xc2\xa0", b"\xc3\xa9", b"\xff", b"\xe2\x82", b"\x00", b"\n\n"),
    ]
)


def _by_definition(content: bytes) -> dict[str, Any]:
    """Each physical line (one CR before its line feed dropped; a leading byte-order mark is not data), blank
    ones (ASCII white space only) skipped, those that are not UTF-8 as bad rows."""
    lines, raws, bad = [], [], []
    body = content.removeprefix(codecs.BOM_UTF8).split(b"\n")
    if body and body[-1] == b"":
        body.pop()  # the file's last line feed ends a line; it does not start one
    for number, data in enumerate(body, start=1):
        data = data[:-1] if data.endswith(b"\r") else data
        if not data.strip():
            continue
        try:
            raws.append(data.decode("utf-8"))
            lines.append(number)
        except UnicodeDecodeError as exc:
            bad.append((number, "invalid_utf8", f"byte {exc.start} is not valid UTF-8 ({exc.reason})"))
    return {"lines": lines, "raws": raws, "bad": bad}


def _read(path: Path) -> dict[str, Any]:
    chunks = list(read_jsonl_chunks(path))
    table = pa.concat_tables(chunk.table for chunk in chunks)
    assert table.schema == pa.schema([("_line", pa.int64()), ("_raw", pa.string())])
    assert chunks[-1].bytes_done == path.stat().st_size
    return {
        "lines": table.column("_line").to_pylist(),
        "raws": table.column("_raw").to_pylist(),
        "bad": [(row.line, row.reason, row.message) for chunk in chunks for row in chunk.bad_rows],
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(PIECES, max_size=60),
    bom=st.booleans(),
    block_bytes=st.sampled_from([1, 2, 3, 7, 64, 1 << 20]),
    chunk_rows=st.sampled_from([1, 3, 1000]),
)
def test_lines_are_split_as_defined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pieces: list[bytes], bom: bool, block_bytes: int, chunk_rows: int
) -> None:
    monkeypatch.setattr(readers, "READ_BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(readers, "CHUNK_ROWS", chunk_rows)
    content = (codecs.BOM_UTF8 if bom else b"") + b"".join(pieces)
    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    assert _read(path) == _by_definition(content)
