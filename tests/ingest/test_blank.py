"""An import value's blank test: the fast form (anchored regular expressions first) equals trim's own answer."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.ingest.validate import CONTROL_WHITE_SPACE, WHITE_SPACE, _blank, sql_text

# Every character DuckDB's trim removes (Unicode class Zs), their neighbours, and what it leaves that jejak trims
# too: tab, line feed, carriage return, vertical tab, form feed.
SPACES = [chr(c) for c in (32, 160, 5760, *range(8192, 8203), 8239, 8287, 12288)]
PIECES = st.sampled_from([*SPACES, chr(8203), chr(6158), *CONTROL_WHITE_SPACE, "\x1f", "a", "é", "{}", '"', "😀", ""])


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.none() | st.lists(PIECES, max_size=5).map("".join), min_size=1, max_size=30))
def test_blank_is_trim_then_nullif(values: list[str | None]) -> None:
    """The anchored regular expressions find every value `trim` would change: they pass none by untrimmed."""
    con = duckdb.connect()
    try:
        con.register("t", pa.table({"x": pa.array(values, pa.string())}))
        rows = con.execute(
            f"SELECT {_blank('x')} AS fast, nullif(trim(x, {sql_text(WHITE_SPACE)}), '') AS slow FROM t"
        ).fetchall()
    finally:
        con.close()
    assert [fast for fast, _ in rows] == [slow for _, slow in rows]


def test_trim_removes_exactly_the_space_class() -> None:
    """The fast form is right only while trim removes class Zs: checked over every code point of this DuckDB."""
    con = duckdb.connect()
    try:
        removed = con.execute(
            "SELECT list(i ORDER BY i) FROM range(1, 1114112) AS t(i) "
            "WHERE (i < 55296 OR i > 57343) AND length(trim(chr(i::INTEGER))) = 0"
        ).fetchone()
    finally:
        con.close()
    assert removed is not None
    assert [chr(c) for c in removed[0]] == SPACES
    assert sorted(WHITE_SPACE) == sorted([*SPACES, *CONTROL_WHITE_SPACE])
