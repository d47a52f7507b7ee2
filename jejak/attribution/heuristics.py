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

from jejak.attribution.credit import Credit, credit_from_weights
from jejak.attribution.pathset import FloatArray, PathSet
from jejak.core.errors import SettingError

DIRECT = "Direct"


def first_touch(paths: PathSet) -> Credit:
    return credit_from_weights("first_touch", paths, (paths.position == 0).astype(np.float64))


def last_touch(paths: PathSet) -> Credit:
    last = paths.position == paths.lengths[paths.path_of_touch] - 1
    return credit_from_weights("last_touch", paths, last.astype(np.float64))


def last_non_direct(paths: PathSet, *, direct: str = DIRECT) -> Credit:
    """The last touch that is not `direct`; an all-Direct path credits its last touch."""
    direct_index = paths.channels.index(direct) if direct in paths.channels else -1
    path = paths.path_of_touch
    index = np.arange(len(paths.touches), dtype=np.int64)
    # The largest touch index per path among non-direct touches, else the path's last touch.
    candidate = np.where(paths.touches != direct_index, index, -1)
    chosen = np.full(paths.paths, -1, dtype=np.int64)
    np.maximum.at(chosen, path, candidate)
    chosen = np.where(chosen >= 0, chosen, paths.offsets[1:] - 1)
    weights = np.zeros(len(paths.touches))
    weights[chosen[paths.lengths > 0]] = 1.0
    return credit_from_weights("last_non_direct", paths, weights)


def linear(paths: PathSet) -> Credit:
    return credit_from_weights("linear", paths, 1.0 / paths.lengths[paths.path_of_touch])


def position_based(paths: PathSet, *, first: float = 0.4, last: float = 0.4) -> Credit:
    """`first` to the first touch, `last` to the last, the rest shared by the middle (see the module docstring)."""
    if first < 0 or last < 0 or first + last > 1:
        raise SettingError(
            f"Position-based weights first={first} and last={last} must be ≥ 0 and add up to at most 1 "
            "(the middle touches share what is left). Use e.g. 0.4 and 0.4."
        )
    length = paths.lengths[paths.path_of_touch].astype(np.float64)
    position = paths.position
    is_first = position == 0
    is_last = position == length - 1
    middle = (1.0 - first - last) / np.maximum(length - 2, 1)
    weights = np.where(is_first, first, np.where(is_last, last, middle))
    weights = np.where(length == 2, 0.5, weights)
    weights = np.where(length == 1, 1.0, weights)
    return credit_from_weights("position_based", paths, weights)


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
