"""Shapley-value attribution over channel coalitions, exact (Zhao, Mahboobi & Bagheri 2018).

A coalition is the set of distinct channels a path used. Its own worth r(T) is the
observed conversion rate of the journeys whose channel set is exactly T
(conversions / journeys). The worth of a coalition S is what its members reach
together and in every smaller group: v(S) = Σ r(T) over the observed T ⊆ S. This
game is a sum of one "unanimity game" per observed coalition, so its Shapley value
has the closed form of Zhao et al.:

    φ(c) = Σ over observed T that contain c of r(T) / |T|

It is the exact Shapley value, for any number of channels, in time proportional to
the observed coalitions (never the 2ⁿ possible ones), and no channel is dropped:
DP6 MAM keeps 4 channels per journey, chosen alphabetically, which changes the answer.

Unobserved coalitions have r = 0: no journey shows what they do, and their worth
comes only from the observed coalitions inside them. Credit is φ normalised to sum
to 1, times total conversions (and revenue).

The ordered variant splits each r(T) / |T| further by the position at which the
channel first appears in the path (1 = opened the path), so the table says whether
a channel opens, continues or closes. Summed over positions it equals the unordered value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from jejak.attribution.credit import Credit, credit_from_scores
from jejak.attribution.pathset import FloatArray, IntArray, PathSet, dense_ranks

# Up to this many channels a path's channel set is one 64-bit mask (bit 63 is the sign).
MASK_CHANNELS = 62


@dataclass(frozen=True)
class ShapleyResult:
    credit: Credit
    values: FloatArray  # φ per channel (sum of conversion rates), in the path set's order
    coalitions: int  # observed channel sets


def _first_appearances(paths: PathSet) -> tuple[IntArray, IntArray, IntArray]:
    """(path, channel, order of first appearance) for each distinct channel of each path."""
    path = paths.path_of_touch
    key = path * len(paths.channels) + paths.touches
    # np.unique keeps the first index of every (path, channel): the channel's first touch in the path.
    _, first_index = np.unique(key, return_index=True)
    first_index = np.sort(first_index)
    distinct_path = path[first_index]
    distinct_channel = paths.touches[first_index]
    starts = np.searchsorted(distinct_path, np.arange(paths.paths))
    order = np.arange(len(first_index)) - starts[distinct_path] + 1
    return distinct_path, distinct_channel, order


def _coalition_rates(
    paths: PathSet, distinct_path: IntArray, distinct_channel: IntArray
) -> tuple[IntArray, FloatArray]:
    """Each path's coalition id and every coalition's conversion rate (journeys pooled over its paths)."""
    # A coalition is named by its channel set; paths with the same set share it. Up to MASK_CHANNELS channels
    # the set is a bit mask (one integer per path, fast to group); beyond, rows of a membership matrix.
    if len(paths.channels) <= MASK_CHANNELS:
        _, coalition = dense_ranks(_channel_masks(paths))
    else:
        members = np.zeros((paths.paths, len(paths.channels)), dtype=bool)
        members[distinct_path, distinct_channel] = True
        _, coalition = np.unique(members, axis=0, return_inverse=True)
        coalition = coalition.ravel()
    count = int(coalition.max()) + 1 if len(coalition) else 0
    return coalition, _rates(paths, coalition, count)


def _rates(paths: PathSet, coalition: IntArray, count: int) -> FloatArray:
    """Every coalition's conversion rate: its paths' conversions over their journeys (0 without journeys)."""
    conversions = np.bincount(coalition, weights=paths.conversions, minlength=count)
    journeys = np.bincount(coalition, weights=paths.conversions + paths.non_conversions, minlength=count)
    rates: FloatArray = np.divide(conversions, journeys, out=np.zeros(count), where=journeys > 0)
    return rates


def shapley(paths: PathSet) -> ShapleyResult:
    """Exact Shapley values and credit (see the module docstring).

    Example (Instagram alone converts half its journeys; with Google, all of them):
        >>> paths = PathSet.from_rows([(["Instagram"], 1, 1, 0.0), (["Instagram", "Google"], 2, 0, 0.0)])
        >>> result = shapley(paths)
        >>> dict(zip(paths.channels, result.values.tolist()))
        {'Google': 0.5, 'Instagram': 1.0}
    """
    if len(paths.channels) > MASK_CHANNELS:
        return _shapley_by_touches(paths)
    masks = _channel_masks(paths)
    distinct, coalition = dense_ranks(masks)
    rates = _rates(paths, coalition, len(distinct))
    # φ(c) = Σ r(T) / |T| over the observed T holding c, summed coalition by coalition in the order of
    # each one's last path (the order the sum over paths had: the same additions, the same rounding).
    last_path = np.full(len(rates), -1, dtype=np.int64)
    np.maximum.at(last_path, coalition, np.arange(paths.paths))
    order = np.argsort(last_path, kind="stable")
    members = (distinct[order, None] >> np.arange(len(paths.channels))) & 1 == 1
    size = members.sum(axis=1)
    holder, channel = np.nonzero(members)
    share = rates[order][holder] / size[holder]
    values = np.bincount(channel, weights=share, minlength=len(paths.channels)).astype(np.float64)
    return ShapleyResult(credit_from_scores("shapley", paths, values), values, len(rates))


def _channel_masks(paths: PathSet) -> IntArray:
    """Each path's channel set as a bit mask (bit c for channel c; up to MASK_CHANNELS channels)."""
    masks = np.zeros(paths.paths, dtype=np.int64)
    present = paths.lengths > 0
    if present.any():
        masks[present] = np.bitwise_or.reduceat(np.left_shift(np.int64(1), paths.touches), paths.offsets[:-1][present])
    return masks


def _shapley_by_touches(paths: PathSet) -> ShapleyResult:
    """`shapley` for more channels than a mask holds: over each path's distinct channels."""
    distinct_path, distinct_channel, _ = _first_appearances(paths)
    coalition, rates = _coalition_rates(paths, distinct_path, distinct_channel)
    size = np.bincount(distinct_path, minlength=paths.paths)
    # Each observed coalition counts once, whichever of its paths carries it.
    first_path = np.full(len(rates), -1, dtype=np.int64)
    np.maximum.at(first_path, coalition, np.arange(paths.paths))
    representative = np.zeros(paths.paths, dtype=bool)
    representative[first_path[first_path >= 0]] = True
    chosen = representative[distinct_path]
    share = rates[coalition[distinct_path]] / size[distinct_path]
    values = np.bincount(distinct_channel[chosen], weights=share[chosen], minlength=len(paths.channels))
    credit = credit_from_scores("shapley", paths, values.astype(np.float64))
    return ShapleyResult(credit, values.astype(np.float64), len(rates))


def ordered_shapley(paths: PathSet) -> pa.Table:
    """Shapley credit split by the position (1, 2, …) at which each channel first appears in the path.

    Within a coalition, r(T) / |T| is spread over the positions its channel takes in the
    coalition's converting journeys, in proportion to those journeys.
    """
    distinct_path, distinct_channel, order = _first_appearances(paths)
    coalition, rates = _coalition_rates(paths, distinct_path, distinct_channel)
    size = np.bincount(distinct_path, minlength=paths.paths)
    # How the journeys of each coalition are spread over its paths (orders of the same set).
    journeys = paths.conversions + paths.non_conversions
    per_coalition = np.bincount(coalition, weights=journeys, minlength=len(rates))
    path_weight = np.divide(journeys, per_coalition[coalition], out=np.zeros(paths.paths), where=journeys > 0)
    value = rates[coalition[distinct_path]] / size[distinct_path] * path_weight[distinct_path]
    positions = int(order.max()) if len(order) else 0
    table = np.zeros((len(paths.channels), positions))
    np.add.at(table, (distinct_channel, order - 1), value)
    total = table.sum()
    scale = paths.total_conversions / total if total else 0.0
    channel_index, position_index = np.nonzero(table)
    return pa.table(
        {
            "channel": [paths.channels[i] for i in channel_index],
            "position": (position_index + 1).astype(np.int64),
            "value": table[channel_index, position_index],
            "conversions": table[channel_index, position_index] * scale,
        }
    )
