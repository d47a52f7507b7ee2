"""Rule-based models: first touch, last touch, last non-direct, linear, position based, custom positions.

Each gives every touch of a path a weight, the weights of a path sum to 1, and a
path's conversions and revenue are split by them. Time decay needs the times of
the touches, so it works on journeys, not unique paths (`time_decay.py`).

Conventions (DESIGN §4):
- last non-direct: the last touch that is not Direct; Direct gets credit only when
  the whole path is Direct (GA4, Snowplow);
- position based (40/20/40 by default): a 1-touch path gives its touch everything;
  a 2-touch path splits first + last share evenly between its two touches (50/50 at
  the default, as Google Ads does); longer paths give `first` to the first touch,
  `last` to the last and share the rest equally among the touches in between;
- custom positions: weights counted from the first touch, the last weight repeated
  for longer paths, normalised within each path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jejak.attribution.credit import Credit, credit_by_touch, credit_from_touches, credit_from_weights
from jejak.attribution.pathset import FloatArray, IntArray, PathSet
from jejak.core.errors import SettingError

DIRECT = "Direct"


def first_touch(paths: PathSet) -> Credit:
    present = paths.lengths > 0
    return credit_from_touches("first_touch", paths, paths.offsets[:-1][present], present)


def last_touch(paths: PathSet) -> Credit:
    present = paths.lengths > 0
    return credit_from_touches("last_touch", paths, paths.offsets[1:][present] - 1, present)


def last_non_direct(paths: PathSet, *, direct: str = DIRECT) -> Credit:
    """The last touch that is not `direct`; an all-Direct path credits its last touch."""
    present = paths.lengths > 0
    last = paths.offsets[1:][present] - 1
    if direct in paths.channels and len(last):
        chosen = _last_other_than(paths, paths.offsets[:-1][present], last, paths.channels.index(direct))
    else:
        chosen = last
    return credit_from_touches("last_non_direct", paths, chosen, present)


# How many touches back `_last_other_than` steps path by path before it scans the remaining paths whole.
STEPS_BACK = 8


def _last_other_than(paths: PathSet, first: IntArray, last: IntArray, channel: int) -> IntArray:
    """For each path (from `first` to `last` touch), its last touch not on `channel`; its last touch if all are.

    Most paths do not end on `channel`, so only those that do step back, one touch at a
    time, and only the few still on `channel` after STEPS_BACK touches are scanned in one go.
    """
    chosen = last.copy()
    waiting = np.flatnonzero(paths.touches[last] == channel)  # paths still looking, by position in `last`
    cursor = last[waiting]
    for _ in range(STEPS_BACK):
        cursor = cursor - 1
        inside = cursor >= first[waiting]
        waiting, cursor = waiting[inside], cursor[inside]  # a path whose touches are all `channel` keeps its last
        found = paths.touches[cursor] != channel
        chosen[waiting[found]] = cursor[found]
        waiting, cursor = waiting[~found], cursor[~found]
        if not len(waiting):
            return chosen
    # The largest touch index per path among the other channels' touches (-1 when there is none).
    candidate = np.where(paths.touches != channel, np.arange(len(paths.touches), dtype=np.int64), -1)
    latest = np.maximum.reduceat(candidate, first)[waiting]
    chosen[waiting] = np.where(latest >= 0, latest, last[waiting])
    return chosen


def linear(paths: PathSet) -> Credit:
    # Each touch weighs 1 / length: one weight per path, spread over its touches.
    lengths = paths.lengths
    share = np.divide(1.0, lengths, out=np.zeros(paths.paths), where=lengths > 0)
    return credit_from_weights("linear", paths, share, per_path=True)


def position_based(paths: PathSet, *, first: float = 0.4, last: float = 0.4) -> Credit:
    """`first` to the first touch, `last` to the last, the rest shared by the middle (see the module docstring)."""
    if first < 0 or last < 0 or first + last > 1:
        raise SettingError(
            f"Position-based weights first={first} and last={last} must be ≥ 0 and add up to at most 1 "
            "(the middle touches share what is left). Use e.g. 0.4 and 0.4."
        )
    # Every touch gets its path's middle share, then each path's first and last touch are set: the
    # same products of a weight and a path's count as weighting touch by touch, formed once per path.
    length = paths.lengths.astype(np.float64)
    middle = (1.0 - first - last) / np.maximum(length - 2, 1)
    present = paths.lengths > 0
    opening_touch = paths.offsets[:-1][present]
    closing_touch = paths.offsets[1:][present] - 1
    # A 1-touch path gives its touch everything, a 2-touch path splits evenly (the same touch is first and last).
    opening = np.where(length == 1, 1.0, np.where(length == 2, 0.5, first))[present]
    closing = np.where(length == 1, 1.0, np.where(length == 2, 0.5, last))[present]

    def spread(counts: FloatArray) -> FloatArray:
        values: FloatArray = (middle * counts)[paths.path_of_touch]
        values[opening_touch] = opening * counts[present]
        values[closing_touch] = closing * counts[present]
        return values

    return credit_by_touch("position_based", paths, spread)


def custom_positions(paths: PathSet, weights: Sequence[float]) -> Credit:
    """Weights by position from the first touch; the last weight repeats; normalised within each path."""
    if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise SettingError(
            f"Custom position weights {list(weights)} must be numbers ≥ 0 with at least one above 0, "
            "e.g. [0.5, 0.2, 0.3]."
        )
    table = np.asarray(weights, dtype=np.float64)
    raw = table[np.minimum(paths.position, len(table) - 1)]
    totals = np.bincount(paths.path_of_touch, weights=raw, minlength=paths.paths)
    per_path = totals[paths.path_of_touch]
    # A path whose positions all weigh 0 is split evenly, so its conversions are never lost.
    even = 1.0 / paths.lengths[paths.path_of_touch]
    normalised: FloatArray = np.where(per_path > 0, raw / np.where(per_path > 0, per_path, 1.0), even)
    return credit_from_weights("custom_positions", paths, normalised)
