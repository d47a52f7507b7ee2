"""CSV split two ways: pyarrow for plain blocks, Python's csv for the rest; both must give the same rows and bad rows."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.ingest import readers
from jejak.ingest.readers import read_csv_chunks


def _read(path: Path, *, split_plain: bool, delimiter: str = ",", skip_lines: int = 0) -> dict[str, Any]:
    """Every row, bad row and the last progress count, whatever the chunking."""
    chunks = list(read_csv_chunks(path, delimiter=delimiter, split_plain=split_plain, skip_lines=skip_lines))
    tables = [chunk.table for chunk in chunks]
    return {
        "columns": tables[0].column_names,
        "rows": pa.concat_tables(tables).to_pylist(),
        "bad": [row for chunk in chunks for row in chunk.bad_rows],
        "bytes_done": chunks[-1].bytes_done,
    }


def _both(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    return _read(path, split_plain=True), _read(path, split_plain=False)


# Pieces of values that csv and pyarrow treat alike or not: quotes, separators, line breaks, CR, NUL, non-ASCII,
# bytes that are not UTF-8. Lines are glued from them, so plain and not-plain lines mix within a file.
PIECES = st.sampled_from(
    [
        *(b"a", b"kopi", b" ", b",", b'"', b'""', b'"x"', b'"a,b"', b'"line\nbreak"', b"\r", b"\r\n", b"\n", b"\0"),
        *(b"\xc3\xa9", b"\xff", b"=1+2", b'"say ""hi"""', b"12.5", b"\t", b";", b"|", b"1.500,5"),
    ]
)
DELIMITERS = [b",", b";", b"\t", b"|"]
PLAIN_VALUE = st.sampled_from([b"a", b"", b'"a,b"', b'"say ""hi"""', b'""', b"2026-01-01T00:00:00+07:00", b"\xc3\xa9"])


@st.composite
def csv_files(draw: st.DrawFn, delimiter: bytes = b",") -> bytes:
    width = draw(st.integers(min_value=1, max_value=4))
    header = delimiter.join(f"c{i}".encode() for i in range(width))
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        if draw(st.booleans()):  # a plain line of the right width (most of a real export)
            lines.append(delimiter.join(draw(st.lists(PLAIN_VALUE, min_size=width, max_size=width))))
        else:
            lines.append(b"".join(draw(st.lists(PIECES, min_size=0, max_size=8))))
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    body = ending.join([header, *lines])
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + body + draw(st.sampled_from([b"", ending]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), delimiter=st.sampled_from(DELIMITERS), block_bytes=st.sampled_from([1, 7, 40, 1 << 20]))
def test_plain_blocks_split_as_pythons_csv_splits_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: st.DataObject, delimiter: bytes, block_bytes: int
) -> None:
    # Whatever separates the values: the other separators are then data, and both readers must agree on that too.
    content = data.draw(csv_files(delimiter))
    # Title lines above the header (--skip-lines), after a byte-order mark if there is one: any bytes but a line feed.
    titles = data.draw(st.lists(st.lists(PIECES.filter(lambda piece: b"\n" not in piece), max_size=4), max_size=2))
    bom = b"\xef\xbb\xbf" if content.startswith(b"\xef\xbb\xbf") else b""
    content = bom + b"".join(b"".join(title) + b"\n" for title in titles) + content[len(bom) :]
    monkeypatch.setattr(readers, "PLAIN_BLOCK_BYTES", block_bytes)
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    read = functools.partial(_read, path, delimiter=delimiter.decode(), skip_lines=len(titles))
    try:
        expected = read(split_plain=False)
    except Exception as exc:  # a header csv refuses: refused the same way (same error type and message)
        with pytest.raises(type(exc)) as raised:
            read(split_plain=True)
        assert str(raised.value) == str(exc)
        return
    assert read(split_plain=True) == expected


def test_a_plain_export_is_split_by_pyarrow_but_for_the_block_with_a_bad_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [b'"event_id","timestamp","note"'] + [
        f'"e{i}","2026-01-0{i % 9 + 1}","ok, fine"'.encode() for i in range(50)
    ]
    lines[30] = b'"e29","2026-01-03","a "quoted" word"'  # csv refuses a quote after a closing quote
    path = tmp_path / "export.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    monkeypatch.setattr(readers, "PLAIN_BLOCK_BYTES", 300)
    used: list[int] = []
    plain_table = readers._plain_table

    def counting(block: bytes, names: Any, first_line: int, delimiter: str) -> Any:
        table = plain_table(block, names, first_line, delimiter)
        used.append(0 if table is None else table.num_rows)
        return table

    monkeypatch.setattr(readers, "_plain_table", counting)
    fast, slow = _both(path)
    assert fast == slow
    # Plain blocks, the block with the bad line (csv's), then plain blocks again to the end.
    assert used.count(0) == 1 and used[0] > 0 and used[-1] > 0, used
    assert 49 - sum(used) < 300 // len(lines[1]), used  # csv split only the rows of the bad line's block
    assert [bad.line for bad in fast["bad"]] == [31] and fast["bad"][0].reason == "malformed_row"
    assert [row["_line"] for row in fast["rows"]] == [n for n in range(2, 52) if n != 31]
    assert fast["bytes_done"] == path.stat().st_size


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"waktu;pelanggan;event\r\n", ";"),  # Excel where the comma is the decimal mark
        (b"\xef\xbb\xbfwaktu;pelanggan\n", ";"),  # with its byte-order mark
        (b"timestamp\tuser_id\tevent\n", "\t"),
        (b"timestamp|user_id\n", "|"),
        (b"timestamp,user_id,event\n", ","),
        (b'"time;stamp","user;id"\n', ","),  # separators inside quotes do not count
        (b"timestamp\n", ","),  # one column: nothing to tell, the comma
        (b"a;b,c\n", ","),  # a tie: the comma
    ],
)
def test_auto_takes_the_separator_the_header_line_uses(tmp_path: Path, header: bytes, expected: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(header + b"x\n")
    assert readers.csv_delimiter(path) == expected
    assert readers.csv_delimiter(path, "pipe") == "|"  # a setting other than auto is taken as it is


def test_the_setting_offers_every_separator_the_readers_know() -> None:
    from jejak.core.settings import SETTINGS_BY_NAME

    assert set(SETTINGS_BY_NAME["csv_delimiter"].choices or ()) == {"auto", *readers.DELIMITERS}
