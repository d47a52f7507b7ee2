"""JSON Lines fields, read in one parse per line, against a reference that follows each field's paths in Python."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.ingest.validate import (
    JSONL_FIELDS,
    JSONL_OBJECT_PATHS,
    JSONL_OFFLINE_ONLY,
    JSONL_REVENUE_PATH,
    JSONL_SCALAR_PATHS,
    jsonl_extract_sql,
)

# Text without surrogates (JSON cannot carry a lone one as text), with quotes, backslashes and non-ASCII.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=6) | st.sampled_from(["", '"', "\\", "é", "offline"])
SCALAR = st.one_of(TEXT, st.integers(-(10**12), 10**12), st.booleans(), st.none())
# Mostly right, sometimes the wrong JSON type for the field.
VALUE = st.one_of(SCALAR, SCALAR, st.lists(st.integers(), max_size=2), st.dictionaries(TEXT, st.integers(), max_size=2))


def _object(keys: list[str], inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.fixed_dictionaries({}, optional={key: inner for key in keys}), VALUE)


CONTEXT = _object(
    ["page", "campaign", "traits", "device", "os", "userAgent"],
    _object(
        ["path", "url", "title", "referrer", "source", "medium", "name", "term", "content", "email", "phone", "type"],
        VALUE,
    ),
)
MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        **{key: VALUE for key in ("messageId", "messageID", "event", "name", "timestamp", "originalTimestamp")},
        **{key: VALUE for key in ("sentAt", "receivedAt", "userId", "anonymousId", "previousId", "channel")},
        "touchpoint": VALUE,
        "type": st.sampled_from(["track", "page", "offline", "OFFLINE", "identify"]) | VALUE,
        "traits": _object(["email", "phone", "plan"], VALUE),
        "context": CONTEXT,
        "properties": _object(
            ["revenue", "total", "currency", "url", "path", "title", "referrer", "campaign_name"], VALUE
        ),
    },
)
NOT_AN_OBJECT = st.sampled_from(['{"type": "track"', "[1, 2]", "42", '"text"', "null", "{'a': 1}", "{} {}"])


def _at(message: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a `$.a.b` path, as JSON reads it: a step into anything but an object finds nothing."""
    value = message
    for key in path.removeprefix("$.").split("."):
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _text(value: Any) -> Any:
    """A found value as DuckDB's ->> gives it: text as is, null as NULL, the rest as JSON (objects compared parsed)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value  # a list or an object: compared after parsing the text DuckDB gives


def _json_kind(found: bool, value: Any) -> str:
    if not found or value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    return {str: "VARCHAR", list: "ARRAY", dict: "OBJECT"}[type(value)]


def _expected(message: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, paths in JSONL_FIELDS.items():
        value = None
        for path in paths:
            found, candidate = _at(message, path)
            if found and candidate is not None:
                value = _text(candidate)
                break
        if name in JSONL_OFFLINE_ONLY:
            kind = _text(_at(message, "$.type")[1])
            value = value if isinstance(kind, str) and kind.lower() == "offline" else None
        row[name] = value
    scalar_ok = all(
        _json_kind(*_at(message, p)) in ("VARCHAR", "BIGINT", "BOOLEAN", "NULL") for p in JSONL_SCALAR_PATHS
    )
    objects_ok = all(_json_kind(*_at(message, p)) in ("OBJECT", "NULL") for p in JSONL_OBJECT_PATHS)
    revenue_ok = _json_kind(*_at(message, JSONL_REVENUE_PATH)) in ("BIGINT", "VARCHAR", "NULL")
    row["_pre_reason"] = None if scalar_ok and objects_ok and revenue_ok else "wrong_type"
    return row


def _normalised(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in row.items():
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[name] = value
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(MESSAGE, min_size=1, max_size=25), broken=st.lists(NOT_AN_OBJECT, max_size=3))
def test_every_field_is_the_first_path_with_a_value(messages: list[Any], broken: list[str]) -> None:
    lines = [json.dumps(m) for m in messages] + broken
    con = duckdb.connect()
    try:
        con.register("chunk", pa.table({"_line": pa.array(range(1, len(lines) + 1), pa.int64()), "_raw": lines}))
        got = con.execute(f"SELECT * FROM ({jsonl_extract_sql('chunk')}) ORDER BY _line").to_arrow_table().to_pylist()
    finally:
        con.close()
    assert [row["_raw"] for row in got] == lines
    for message, row in zip(messages, got, strict=False):
        expected = _expected(message)
        assert _normalised({k: row[k] for k in expected}) == _normalised(expected), json.dumps(message)
    for row in got[len(messages) :]:
        assert row["_pre_reason"] == "bad_json"
        assert all(row[name] is None for name in JSONL_FIELDS)
