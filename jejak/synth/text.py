"""Vectorised text building: numpy codes and numbers become Arrow string columns without a Python loop per row.

Every helper takes whole columns, so rendering ten million events costs a few
dozen Arrow/numpy calls rather than ten million f-strings.

Example:
    >>> import numpy as np
    >>> zero_padded(np.array([7, 42]), 4).to_pylist()
    ['0007', '0042']
    >>> iso_timestamps(np.array([0]), offset_seconds=7 * 3600, suffix="+07:00").to_pylist()
    ['1970-01-01T07:00:00+07:00']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_HEX_PAIRS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)
_DECIMAL_PAIRS = np.frombuffer(b"".join(f"{i:02d}".encode() for i in range(100)), dtype=np.uint16)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
# Characters that would need escaping inside a JSON string or break a CSV row.
_UNSAFE = ('"', "\\", "\n", "\r", "\t")


def fixed_width(chars: npt.NDArray[np.uint8]) -> Any:
    """An Arrow string array from an (n, width) matrix of ASCII codes, one string per row."""
    rows, width = chars.shape
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int64)
    data = np.ascontiguousarray(chars, dtype=np.uint8)
    return pa.Array.from_buffers(pa.large_string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]).cast(
        pa.string()
    )


def mix64(values: npt.NDArray[np.uint64], key: int) -> npt.NDArray[np.uint64]:
    """A keyed bijection on 64-bit integers (the splitmix64 finaliser): distinct inputs give distinct, random-looking outputs."""
    x = (values + np.uint64(key & 0xFFFFFFFFFFFFFFFF)) & _MASK64
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hex_chars(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
    """The 16 lower-case hex digits of each 64-bit value, as an (n, 16) ASCII matrix."""
    as_bytes = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    return _HEX_PAIRS[as_bytes].view(np.uint8).reshape(-1, 16)


def hex_ids(prefix: str, values: npt.NDArray[np.uint64]) -> Any:
    """Strings `prefix` + 16 hex digits."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    chars = np.empty((values.size, head.size + 16), dtype=np.uint8)
    chars[:, : head.size] = head
    chars[:, head.size :] = hex_chars(values)
    return fixed_width(chars)


def uuids(high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64]) -> Any:
    """UUID-shaped strings (8-4-4-4-12 hex digits) from two 64-bit halves."""
    digits = np.concatenate([hex_chars(high), hex_chars(low)], axis=1)
    chars = np.full((high.size, 36), ord("-"), dtype=np.uint8)
    for start, stop, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        chars[:, at : at + stop - start] = digits[:, start:stop]
    chars[:, 14] = ord("4")  # version 4, as Segment's libraries generate
    return fixed_width(chars)


def digit_chars(values: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.uint8]:
    """The last `width` decimal digits of each value, zero-padded, as an (n, width) ASCII matrix."""
    # Two digits at a time from a 100-entry table: far fewer divisions than one per digit.
    pairs = (width + 1) // 2
    rest = np.asarray(values, dtype=np.int64) % (10 ** (2 * pairs))
    out = np.empty((rest.size, pairs), dtype=np.uint16)
    for i in range(pairs - 1, -1, -1):
        out[:, i] = _DECIMAL_PAIRS[rest % 100]
        rest = rest // 100
    return out.view(np.uint8).reshape(-1, 2 * pairs)[:, 2 * pairs - width :]


def zero_padded(values: npt.NDArray[np.int64], width: int) -> Any:
    """Zero-padded decimal strings of a fixed width."""
    return fixed_width(digit_chars(np.asarray(values, dtype=np.int64), width))


def iso_timestamps(
    epoch_seconds: npt.NDArray[np.int64],
    *,
    offset_seconds: int,
    suffix: str,
    separator: str = "T",
    millis: bool = False,
) -> Any:
    """ISO-8601 strings of UTC epoch seconds shown at a fixed offset, e.g. `2026-03-01T09:00:00+07:00`."""
    local = np.asarray(epoch_seconds, dtype=np.int64) + offset_seconds
    rows = local.size
    tail = ((".000" if millis else "") + suffix).encode("ascii")
    out = np.empty((rows, 19 + len(tail)), dtype=np.uint8)
    if rows == 0:
        return fixed_width(out)
    days = local // 86_400
    seconds_of_day = local - days * 86_400
    # Few distinct days: format each once ("YYYY-MM-DD" + separator), then copy rows from that small table.
    first_day = int(days.min())
    span = np.arange(first_day, int(days.max()) + 1, dtype=np.int64)
    dates = np.datetime_as_string(span.astype("datetime64[D]"), unit="D").astype("S10")
    table = np.frombuffer(b"".join(d + separator.encode("ascii") for d in dates.tolist()), dtype=np.uint8)
    out[:, :11] = table.reshape(-1, 11)[days - first_day]
    out[:, 11:13] = _DECIMAL_PAIRS[seconds_of_day // 3600].view(np.uint8).reshape(-1, 2)
    out[:, 13] = ord(":")
    out[:, 14:16] = _DECIMAL_PAIRS[seconds_of_day // 60 % 60].view(np.uint8).reshape(-1, 2)
    out[:, 16] = ord(":")
    out[:, 17:19] = _DECIMAL_PAIRS[seconds_of_day % 60].view(np.uint8).reshape(-1, 2)
    out[:, 19:] = np.frombuffer(tail, dtype=np.uint8)
    return fixed_width(out)


def constant_chars(rows: int, value: str) -> npt.NDArray[np.uint8]:
    """An (rows, len(value)) ASCII matrix repeating one text."""
    return np.tile(np.frombuffer(value.encode("ascii"), dtype=np.uint8), (rows, 1))


def vocabulary(values: Sequence[str]) -> Any:
    """An Arrow array of fixed texts, checked to be safe inside JSON strings and CSV fields."""
    for value in values:
        if any(ch in value for ch in _UNSAFE):
            raise ValueError(f"Vocabulary text {value!r} contains a quote, backslash or control character.")
    return pa.array(list(values), type=pa.string())


def pick_dictionary(vocab: Any, codes: npt.NDArray[np.integer[Any]], present: BoolArray | None = None) -> Any:
    """Like `pick`, as a dictionary-encoded array: no string is copied (CSV and Parquet writers take it as is)."""
    codes32 = np.asarray(codes, dtype=np.int32)
    missing = codes32 < 0
    if present is not None:
        missing = missing | ~present
    indices = pa.array(np.where(missing, 0, codes32), mask=missing)
    return pa.DictionaryArray.from_arrays(indices, vocab)


def dense(values: Any) -> Any:
    """Plain strings from a dictionary-encoded array (other arrays pass through)."""
    return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values


def assemble(pieces: Sequence[Any], positions: Sequence[npt.NDArray[np.int64]], rows: int) -> Any:
    """One column of `rows` values from pieces computed for disjoint row positions; null where no piece has a row."""
    if not pieces:
        return pa.nulls(rows, type=pa.string())
    index = np.full(rows, -1, dtype=np.int64)
    index[np.concatenate(positions)] = np.arange(sum(p.size for p in positions))
    missing = index < 0
    return pa.concat_arrays(list(pieces)).take(pa.array(np.where(missing, 0, index), mask=missing))


def pick(vocab: Any, codes: npt.NDArray[np.integer[Any]], present: BoolArray | None = None) -> Any:
    """vocab[codes] as an Arrow string array; null where `present` is False or the code is negative."""
    codes64 = np.asarray(codes, dtype=np.int64)
    missing = codes64 < 0
    if present is not None:
        missing = missing | ~present
    safe = np.where(missing, 0, codes64)
    return vocab.take(pa.array(safe, mask=missing))


def numbers(values: npt.NDArray[np.integer[Any]], present: BoolArray | None = None) -> Any:
    """Decimal strings of integers; null where `present` is False."""
    mask = None if present is None else ~present
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64), mask=mask), pa.string())


def masked(values: Any, present: BoolArray) -> Any:
    """A string array with nulls where `present` is False."""
    return pc.if_else(pa.array(present), values, pa.scalar(None, pa.string()))


def concat(*parts: Any) -> Any:
    """Element-wise concatenation; a row is null when any part is null."""
    return pc.binary_join_element_wise(*parts, "")


def concat_present(*parts: Any) -> Any:
    """Element-wise concatenation that skips null parts ("" where every part is null)."""
    # pyarrow 26 drops rows whose parts are all null when every part is an array; one scalar part avoids it.
    return pc.binary_join_element_wise("", *parts, "", null_handling="skip")


def json_field(name: str, values: Any, *, quoted: bool = True) -> Any:
    """`,"name":"value"` (or `,"name":value` for numbers and objects); null where the value is null."""
    if quoted:
        return concat(f',"{name}":"', values, '"')
    return concat(f',"{name}":', values)


def json_object(fields: Sequence[Any], rows: int) -> Any:
    """`{...}` from field fragments made by `json_field` (nulls are left out); `{}` when every field is null."""
    if not fields:
        return pa.array(["{}"] * rows, type=pa.string())
    body = concat_present(*fields)
    # Every fragment starts with a comma; drop the first one.
    return concat("{", pc.utf8_slice_codeunits(body, 1), "}")
