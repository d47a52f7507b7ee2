"""What every attribution model returns: conversions and revenue credited to each channel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from jejak.attribution.pathset import FloatArray, PathSet


@dataclass(frozen=True)
class Credit:
    """Credit per channel under one model (channels in the path set's order)."""

    model: str
    channels: tuple[str, ...]
    conversions: FloatArray
    revenue: FloatArray

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


def credit_from_weights(model: str, paths: PathSet, weights: FloatArray) -> Credit:
    """Credit from per-touch weights that sum to 1 within every path: each path's counts split by them."""
    path = paths.path_of_touch
    size = len(paths.channels)
    conversions = np.bincount(paths.touches, weights=weights * paths.conversions[path], minlength=size)
    revenue = np.bincount(paths.touches, weights=weights * paths.revenue[path], minlength=size)
    return Credit(model, paths.channels, conversions.astype(np.float64), revenue.astype(np.float64))


def credit_from_scores(model: str, paths: PathSet, scores: FloatArray) -> Credit:
    """Credit from one score per channel (removal effects, Shapley values): totals shared in proportion.

    The "global" convention (ChannelAttribution's): a channel's credit is its score's
    share of all scores times total conversions, and likewise for revenue.
    """
    total = scores.sum()
    shares = scores / total if total else np.zeros_like(scores)
    return Credit(model, paths.channels, shares * paths.total_conversions, shares * paths.total_revenue)
