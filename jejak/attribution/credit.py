"""What every attribution model returns: conversions and revenue credited to each channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from jejak.attribution.pathset import BoolArray, FloatArray, IntArray, PathSet


@dataclass(frozen=True)
class Credit:
    """Credit per channel under one model (channels in the path set's order)."""

    model: str
    channels: tuple[str, ...]
    conversions: FloatArray
    revenue: FloatArray
    # Set by models whose credit is linear in the paths' counts (every heuristic, time decay): it returns
    # (path, channel, weight) for each weighted touch, fixed by the paths alone, so a bootstrap can credit new
    # counts with one sparse product instead of running the model again. Markov and Shapley leave it None.
    per_unit: Callable[[], tuple[IntArray, IntArray, FloatArray]] | None = field(
        default=None, compare=False, repr=False
    )

    def share(self) -> FloatArray:
        """Each channel's share of the credited conversions (0 when nothing converted)."""
        total = self.conversions.sum()
        return self.conversions / total if total else np.zeros_like(self.conversions)

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.channels, self.conversions.tolist(), strict=True))

    def to_arrow(self) -> pa.Table:
        return pa.table(
            {
                "model": [self.model] * len(self.channels),
                "channel": list(self.channels),
                "conversions": self.conversions,
                "share": self.share(),
                "revenue": self.revenue,
            }
        )


def credit_from_weights(model: str, paths: PathSet, weights: FloatArray, *, per_path: bool = False) -> Credit:
    """Credit from per-touch weights that sum to 1 within every path: each path's counts split by them.

    With `per_path`, `weights` has one entry per path, which each of its touches gets.
    """
    path = paths.path_of_touch

    def spread(counts: FloatArray) -> FloatArray:
        # A touch's weight times its path's count (formed per path when the weight is per path: the same products).
        spread_counts: FloatArray = (weights * counts)[path] if per_path else weights * counts[path]
        return spread_counts

    return _credit(model, paths, paths.touches, spread, paths.path_of_touch)


def credit_from_touches(model: str, paths: PathSet, touches: IntArray, present: BoolArray) -> Credit:
    """Credit when one touch per path takes it all: `touches` indexes that touch of each path in `present`."""
    return _credit(model, paths, paths.touches[touches], lambda counts: counts[present], np.flatnonzero(present))


def credit_by_touch(model: str, paths: PathSet, spread: Callable[[FloatArray], FloatArray]) -> Credit:
    """Credit from `spread(counts)`: each touch's share of its path's counts (conversions, then revenue)."""
    return _credit(model, paths, paths.touches, spread, paths.path_of_touch)


def _credit(
    model: str, paths: PathSet, channel: IntArray, spread: Callable[[FloatArray], FloatArray], path: IntArray
) -> Credit:
    """Conversions and revenue summed by `channel` (one entry per weighted touch, of path `path`), the counts
    spread by `spread`, which gives each weighted touch a fixed share of its own path's count."""
    size = len(paths.channels)
    conversions = np.bincount(channel, weights=spread(paths.conversions), minlength=size)
    # No revenue (a paths table without it): the sums are all 0, so skip them.
    revenue = (
        np.bincount(channel, weights=spread(paths.revenue), minlength=size) if paths.revenue.any() else np.zeros(size)
    )
    return Credit(
        model,
        paths.channels,
        conversions.astype(np.float64),
        revenue.astype(np.float64),
        per_unit=lambda: (path, channel, spread(np.ones(paths.paths))),
    )


def credit_from_scores(model: str, paths: PathSet, scores: FloatArray) -> Credit:
    """Credit from one score per channel (removal effects, Shapley values): totals shared in proportion.

    The "global" convention (ChannelAttribution's): a channel's credit is its score's
    share of all scores times total conversions, and likewise for revenue.
    """
    total = scores.sum()
    shares = scores / total if total else np.zeros_like(scores)
    return Credit(model, paths.channels, shares * paths.total_conversions, shares * paths.total_revenue)
