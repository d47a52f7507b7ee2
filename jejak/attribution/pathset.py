"""Unique paths as flat numpy arrays: what every attribution model reads.

A path set is the aggregated input of attribution (DESIGN §6: heavy math on small
data, after aggregation): one entry per unique channel path with its number of
converting and non-converting journeys and its revenue. 1M journeys make some
tens of thousands of unique paths, so the models run on those, not on journeys.

Touches are stored flat (`touches`, channel indices) with `offsets` marking where
each path starts, so a model works on all touches at once with numpy, never in a
Python loop over paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import NoReturn

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jejak.core.errors import InputFileError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PathSet:
    """Unique channel paths with their journey counts and revenue (see the module docstring)."""

    channels: tuple[str, ...]  # channel index → name, sorted by name
    offsets: IntArray  # len(paths) + 1; path p's touches are touches[offsets[p]:offsets[p + 1]]
    touches: IntArray  # channel index of every touch, path after path
    conversions: FloatArray  # converting journeys per path
    non_conversions: FloatArray  # journeys per path that did not convert
    revenue: FloatArray  # revenue of the converting journeys per path
    # Journey-level input only (one path per journey): when each touch and each conversion happened.
    touch_seconds: FloatArray | None = None
    end_seconds: FloatArray | None = None

    @property
    def paths(self) -> int:
        return len(self.conversions)

    @cached_property
    def lengths(self) -> IntArray:
        return np.diff(self.offsets)

    @cached_property
    def path_of_touch(self) -> IntArray:
        """For every touch, the index of its path."""
        return np.repeat(np.arange(self.paths, dtype=np.int64), self.lengths)

    @cached_property
    def position(self) -> IntArray:
        """For every touch, its 0-based position in its path."""
        return np.arange(len(self.touches), dtype=np.int64) - np.repeat(self.offsets[:-1], self.lengths)

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_revenue(self) -> float:
        return float(self.revenue.sum())

    def with_counts(self, conversions: FloatArray, non_conversions: FloatArray, revenue: FloatArray) -> PathSet:
        """The same paths with other counts (a bootstrap resample)."""
        return replace(self, conversions=conversions, non_conversions=non_conversions, revenue=revenue)

    @classmethod
    def from_journeys(cls, table: pa.Table, *, where: str = "the journeys table") -> PathSet:
        """One path per journey from the build's journeys table, with touch and conversion times.

        Reads `path` (list of channels), `touch_epoch_seconds` (list, same length),
        `converted`, `revenue` and `conversion_at`; the lists are flattened by Arrow, not Python.
        """
        needed = ["path", "touch_epoch_seconds", "converted", "revenue", "conversion_at"]
        missing = [name for name in needed if name not in table.column_names]
        if missing:
            raise InputFileError(
                f"{where} has no column {', '.join(missing)}. Rebuild the project (`jejak build`): "
                "journeys written before touch times were kept lack them."
            )
        paths = table.column("path").combine_chunks()
        times = table.column("touch_epoch_seconds").combine_chunks()
        flat = pc.fill_null(paths.flatten(), "Unassigned")
        dictionary = flat.dictionary_encode()
        names = dictionary.dictionary.to_pylist()
        order = sorted(range(len(names)), key=names.__getitem__)
        remap = np.empty(len(names), dtype=np.int64)
        remap[order] = np.arange(len(names))
        touches = remap[dictionary.indices.to_numpy(zero_copy_only=False)]
        offsets = paths.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
        offsets = offsets - offsets[0]
        converted = table.column("converted").to_numpy(zero_copy_only=False).astype(np.float64)
        revenue = pc.fill_null(table.column("revenue"), 0.0).to_numpy(zero_copy_only=False).astype(np.float64)
        ended = pc.cast(table.column("conversion_at"), pa.timestamp("us", tz="UTC")).cast(pa.int64())
        end_seconds = pc.fill_null(ended, 0).to_numpy(zero_copy_only=False) / 1e6
        return cls(
            tuple(names[i] for i in order),
            offsets,
            touches.astype(np.int64),
            converted,
            1.0 - converted,
            revenue * converted,
            touch_seconds=times.flatten().to_numpy(zero_copy_only=False).astype(np.float64),
            end_seconds=end_seconds.astype(np.float64),
        )

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[Sequence[str], float, float, float]]) -> PathSet:
        """From (channels, conversions, non-conversions, revenue) rows; equal paths are added together.

        Example:
            >>> paths = PathSet.from_rows([(["Instagram", "Direct"], 2, 1, 100.0), (["Direct"], 0, 3, 0.0)])
            >>> paths.channels, paths.touches.tolist(), paths.conversions.tolist()
            (('Direct', 'Instagram'), [0, 1, 0], [0.0, 2.0])
        """
        merged: dict[tuple[str, ...], list[float]] = {}
        for channels, conversions, non_conversions, revenue in rows:
            key = tuple(channels)
            if not key:
                continue
            counts = merged.setdefault(key, [0.0, 0.0, 0.0])
            counts[0] += float(conversions)
            counts[1] += float(non_conversions)
            counts[2] += float(revenue)
        names = tuple(sorted({channel for key in merged for channel in key}))
        index = {name: position for position, name in enumerate(names)}
        keys = sorted(merged)
        lengths = np.array([len(key) for key in keys], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        touches = np.array([index[channel] for key in keys for channel in key], dtype=np.int64)
        table = np.array([merged[key] for key in keys], dtype=np.float64).reshape(-1, 3)
        return cls(names, offsets, touches, table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy())

    @classmethod
    def from_arrow(
        cls,
        table: pa.Table,
        *,
        separator: str = ">",
        path_column: str = "path",
        conversions_column: str = "conversions",
        non_conversions_column: str = "non_conversions",
        revenue_column: str | None = "revenue",
        where: str = "the paths table",
    ) -> PathSet:
        """From a table with one row per path, its channels joined by `separator` (spaces around it are ignored)."""
        needed = [path_column, conversions_column, non_conversions_column]
        missing = [name for name in needed if name not in table.column_names]
        if missing:
            raise InputFileError(
                f"{where} has no column {', '.join(missing)} (it has {', '.join(table.column_names)}). "
                f"Expected one row per path with the columns {', '.join(needed)}"
                + (f" and optionally {revenue_column}." if revenue_column else ".")
            )
        conversions = _numbers(table, conversions_column, where)
        non_conversions = _numbers(table, non_conversions_column, where)
        if revenue_column and revenue_column in table.column_names:
            revenue = _numbers(table, revenue_column, where)
        else:
            revenue = np.zeros(table.num_rows)
        text = pc.cast(table.column(path_column), pa.string()).combine_chunks()
        if text.null_count:
            line = int(np.flatnonzero(text.is_null().to_numpy(zero_copy_only=False))[0]) + 1
            raise InputFileError(f"{where}, row {line}: the {path_column} is empty. Every row needs a path.")
        split = _split_paths(text, separator)
        if split is not None:
            raw, list_offsets, tokens = split
            names = _channel_names(raw, separator)
            empty = [i for i, name in enumerate(names) if not name]
            if empty:
                first = int(np.flatnonzero(np.isin(tokens, empty))[0])
                _empty_channel(where, text, separator, int(np.searchsorted(list_offsets, first, side="right")) - 1)
            channels = sorted(set(names))
            remap = np.array([channels.index(name) for name in names], dtype=np.int64)
            paths = cls(tuple(channels), list_offsets, remap[tokens], conversions, non_conversions, revenue)
            if _all_distinct(paths):
                # Already one row per path (a table from the engine): no merge.
                return paths
        return cls._from_merged_keys(text, separator, conversions, non_conversions, revenue, where)

    @classmethod
    def _from_merged_keys(
        cls,
        text: pa.StringArray,
        separator: str,
        conversions: FloatArray,
        non_conversions: FloatArray,
        revenue: FloatArray,
        where: str,
    ) -> PathSet:
        """Split, trim and merge equal paths in Arrow's kernels, by their joined channel names.

        The general route: for a table with the same path on several rows (merged, sorted by
        key), or a separator the byte-level split of `_split_paths` does not take.
        """
        parts = pc.split_pattern(text, separator)
        flat = pc.utf8_trim_whitespace(parts.flatten())
        empty = np.flatnonzero(pc.equal(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False))
        if len(empty):
            _empty_channel(
                where, text, separator, int(np.searchsorted(parts.offsets.to_numpy(), empty[0], "right")) - 1
            )
        lists = pa.ListArray.from_arrays(parts.offsets, flat)
        key = pc.binary_join(lists, _KEY_SEPARATOR)
        if pc.count_distinct(key).as_py() == len(key):
            # One row per path after all (the byte split did not apply): no merge, no second split.
            return cls._from_lists(lists, conversions, non_conversions, revenue)
        merged = (
            pa.table({"key": key, "c": conversions, "n": non_conversions, "r": revenue})
            .group_by("key")
            .aggregate([("c", "sum"), ("n", "sum"), ("r", "sum")])
            .sort_by("key")
        )
        return cls._from_keys(merged)

    @classmethod
    def _from_keys(cls, merged: pa.Table) -> PathSet:
        """From merged rows (key: channels joined by _KEY_SEPARATOR, c, n, r sums)."""
        return cls._from_lists(
            pc.split_pattern(merged.column("key").combine_chunks(), _KEY_SEPARATOR),
            merged.column("c_sum").to_numpy().astype(np.float64),
            merged.column("n_sum").to_numpy().astype(np.float64),
            merged.column("r_sum").to_numpy().astype(np.float64),
        )

    @classmethod
    def _from_lists(
        cls, lists: pa.ListArray, conversions: FloatArray, non_conversions: FloatArray, revenue: FloatArray
    ) -> PathSet:
        """From one list of channel names per distinct path, with its counts."""
        encoded = lists.flatten().dictionary_encode()
        names = encoded.dictionary.to_pylist()
        order = sorted(range(len(names)), key=names.__getitem__)
        remap = np.empty(len(names), dtype=np.int64)
        remap[order] = np.arange(len(names))
        offsets = lists.offsets.to_numpy().astype(np.int64)
        return cls(
            tuple(names[i] for i in order),
            offsets - offsets[0],
            remap[encoded.indices.to_numpy(zero_copy_only=False)],
            np.asarray(conversions, dtype=np.float64),
            np.asarray(non_conversions, dtype=np.float64),
            np.asarray(revenue, dtype=np.float64),
        )


# Joins a path's channels into one key for merging equal paths: a character no channel name has.
_KEY_SEPARATOR = "\x1f"


def _empty_channel(where: str, text: pa.StringArray, separator: str, row: int) -> NoReturn:
    raise InputFileError(
        f"{where}, row {row + 1}: the path {text[row].as_py()!r} has an empty channel between "
        f"{separator!r} separators. Check the separator (--sep)."
    )


def _split_paths(text: pa.StringArray, separator: str) -> tuple[list[str], IntArray, npt.NDArray[np.int32]] | None:
    """Split every path at `separator` on the raw UTF-8 bytes, without copying a string.

    Returns the distinct raw pieces, the list offsets (where each row's pieces start) and,
    for every piece, its index among the distinct ones; None when this split does not
    apply (see below) and Arrow's `split_pattern` must do it.

    A raw piece runs from the start of a channel to the start of the next one, so it is
    the channel with its surrounding spaces and the separator after it (none after a
    row's last channel). Those pieces are contiguous in the string data, so one Arrow
    string array over the same buffer holds them all and one dictionary encode (a hash
    of a million short strings, no split or trim allocating new ones) leaves a dozen or
    so distinct pieces, which `_channel_names` trims. The separator is found with numpy
    on the bytes (a UTF-8 match of a whole character sequence can only start on a
    character boundary), and every piece's start is marked in one boolean array over the
    bytes: rows' starts and the bytes after separators. Two starts on one byte mean an
    empty piece (an empty row, or a row ending in the separator): None, and Arrow's split
    names the row. A separator whose end can overlap its own start (e.g. "aa") could be
    matched in two ways, so those go through Arrow, as does an empty one.
    """
    pattern = separator.encode("utf-8")
    width = len(pattern)
    rows = len(text)
    buffers = text.buffers()
    if not width or not rows or buffers[2] is None or any(pattern[:k] == pattern[-k:] for k in range(1, width)):
        return None
    bounds = np.frombuffer(buffers[1], dtype=np.int32)[text.offset : text.offset + rows + 1].astype(np.int64)
    low, high = int(bounds[0]), int(bounds[-1])
    data = np.frombuffer(buffers[2], dtype=np.uint8)[low:high]
    span = max(len(data) - width + 1, 0)  # where a match can start
    hits = data[:span] == pattern[0]
    for k in range(1, width):
        hits &= data[k : span + k] == pattern[k]
    # Mark where every piece starts, relative to `low`: each row's start, and just after each separator.
    starts = bounds[:-1] - low
    marks = np.zeros(len(data) + 1, dtype=bool)
    if width == 1:
        separators = int(np.count_nonzero(hits))
        marks[1 : span + 1] = hits
    else:
        found = np.flatnonzero(hits)
        # A match must not run from one row into the next.
        row_of = np.searchsorted(bounds, found + low, side="right")
        found = found[row_of == np.searchsorted(bounds, found + low + width - 1, side="right")]
        separators = len(found)
        marks[found + width] = True
    marks[starts] = True
    piece_starts = np.flatnonzero(marks[:-1])
    pieces = rows + separators
    if len(piece_starts) != pieces:
        # Two pieces start at the same byte: an empty row, or a row ending in the separator. Both hold
        # an empty channel, which Arrow's split finds and names.
        return None
    first_piece = np.searchsorted(piece_starts, starts)
    offsets = np.empty(pieces + 1, dtype=np.int32)  # the pieces' offsets into the string data
    offsets[:-1] = piece_starts
    offsets[-1] = len(data)
    if low:
        offsets += low
    raw = pa.Array.from_buffers(pa.string(), pieces, [None, pa.py_buffer(offsets), buffers[2]])
    encoded = raw.dictionary_encode()
    list_offsets = np.append(first_piece, pieces).astype(np.int64)
    return encoded.dictionary.to_pylist(), list_offsets, encoded.indices.to_numpy()


def _channel_names(raw: list[str], separator: str) -> list[str]:
    """The channel name of each raw piece of `_split_paths`: without its separator, trimmed as Arrow trims.

    A piece ends with the separator exactly when it is not its row's last: a last piece
    ending with it would hold one more separator, after which an (empty) piece follows.
    """
    pieces = [piece[: -len(separator)] if piece.endswith(separator) else piece for piece in raw]
    names: list[str] = pc.utf8_trim_whitespace(pa.array(pieces, pa.string())).to_pylist()
    return names


def _all_distinct(paths: PathSet) -> bool:
    """True when no two paths are equal (exactly: nothing is hashed that could collide unnoticed).

    Each path's channel codes are written as bytes (one per touch up to 256 channels) and
    the paths become one Arrow binary array over those bytes and the path offsets: two
    paths are equal exactly when their byte strings are, and Arrow's `unique` counts them
    (a million touches in a few milliseconds; the channel names are never hashed again).
    """
    channels = len(paths.channels)
    width = 1 if channels <= 1 << 8 else 2 if channels <= 1 << 16 else 4
    codes = paths.touches.astype(f"<u{width}")
    offsets = paths.offsets * width
    kind, offset_type = (pa.binary(), np.int32) if offsets[-1] < 1 << 31 else (pa.large_binary(), np.int64)
    array = pa.Array.from_buffers(
        kind, paths.paths, [None, pa.py_buffer(offsets.astype(offset_type)), pa.py_buffer(codes)]
    )
    return len(array.unique()) == paths.paths


def dense_ranks(codes: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct codes in order, and each code's rank among them: `np.unique(codes, return_inverse=True)`.

    Without its sort when the codes are small non-negative integers (a table of
    max + 1 entries, at most 4M, does it in two passes).
    """
    if len(codes) and codes.min() >= 0 and codes.max() < 1 << 22:
        present = np.zeros(int(codes.max()) + 1, dtype=bool)
        present[codes] = True
        rank = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.int64), rank[codes].astype(np.int64, copy=False)
    unique, inverse = np.unique(codes, return_inverse=True)
    return unique, inverse.ravel()


def unique_paths(journeys: pa.Table, *, separator: str = ">") -> pa.Table:
    """One row per distinct path from one row per journey (`path` list of channels, `converted`, `revenue`).

    Joining and grouping run in Arrow's C++ kernels, so a million journeys take a
    fraction of a second; the result feeds `PathSet.from_arrow`.
    """
    joined = pc.binary_join(journeys.column("path"), separator)
    converted = pc.cast(journeys.column("converted"), pa.float64())
    revenue = pc.fill_null(pc.cast(journeys.column("revenue"), pa.float64()), 0.0)
    table = pa.table(
        {
            "path": joined,
            "conversions": converted,
            "non_conversions": pc.subtract(1.0, converted),
            "revenue": pc.multiply(revenue, converted),
        }
    )
    grouped = table.group_by("path").aggregate([("conversions", "sum"), ("non_conversions", "sum"), ("revenue", "sum")])
    return grouped.rename_columns(
        {"conversions_sum": "conversions", "non_conversions_sum": "non_conversions", "revenue_sum": "revenue"}
    )


def _numbers(table: pa.Table, column: str, where: str) -> FloatArray:
    """A count or revenue column as floats; a bad value is named with its row."""
    try:
        cast = pc.cast(table.column(column), pa.float64())
        values = (pc.fill_null(cast, 0.0) if cast.null_count else cast).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = None
    if values is not None and np.all(np.isfinite(values)) and np.all(values >= 0):
        return np.asarray(values, dtype=np.float64)
    # Something is wrong: find the first bad row and say what it holds.
    for line, value in enumerate(table.column(column).to_pylist(), start=1):
        try:
            number = float(value) if value is not None else 0.0
        except (TypeError, ValueError):
            raise InputFileError(
                f"{where}, row {line}: {column} is {value!r}, not a number. Expected a count of journeys or revenue."
            ) from None
        if number < 0 or not np.isfinite(number):
            raise InputFileError(f"{where}, row {line}: {column} is {value!r}. Expected a finite number ≥ 0.")
    raise InputFileError(f"{where}: {column} cannot be read as numbers.")
