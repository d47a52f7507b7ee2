"""Confidence intervals for every channel's credit: a bootstrap over journeys.

Each resample draws as many journeys as there are, with replacement, from the
observed ones (each unique path's converting and non-converting journeys are the
categories of one multinomial draw), and runs the model again on the same paths
with the new counts. A converting journey's revenue is its path's mean revenue per
conversion (unique paths do not keep journeys' own revenues). The interval is the
percentile interval of the resampled credits; the seed makes it repeat exactly.

Two channels whose intervals overlap are not shown to differ by this data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jejak.attribution.credit import Credit
from jejak.attribution.pathset import FloatArray, PathSet


@dataclass(frozen=True)
class Interval:
    """Lower and upper bounds of credited conversions and revenue per channel."""

    model: str
    conversions_low: FloatArray
    conversions_high: FloatArray
    revenue_low: FloatArray
    revenue_high: FloatArray
    resamples: int
    confidence: float


def resample(paths: PathSet, rng: np.random.Generator) -> PathSet:
    """The same paths with journeys drawn again with replacement."""
    counts = np.concatenate([paths.conversions, paths.non_conversions])
    total = round(float(counts.sum()))
    if total == 0:
        return paths
    drawn = rng.multinomial(total, counts / counts.sum()).astype(np.float64)
    conversions, non_conversions = drawn[: paths.paths], drawn[paths.paths :]
    per_conversion = np.divide(paths.revenue, paths.conversions, out=np.zeros(paths.paths), where=paths.conversions > 0)
    return paths.with_counts(conversions, non_conversions, per_conversion * conversions)


def bootstrap(
    paths: PathSet,
    model: Callable[[PathSet], Credit],
    *,
    resamples: int,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile intervals of `model`'s credit over `resamples` bootstrap resamples."""
    rng = np.random.default_rng(seed)
    conversions = np.zeros((resamples, len(paths.channels)))
    revenue = np.zeros((resamples, len(paths.channels)))
    name = ""
    for index in range(resamples):
        credit = model(resample(paths, rng))
        conversions[index], revenue[index], name = credit.conversions, credit.revenue, credit.model
    tail = (1.0 - confidence) / 2.0
    low, high = tail, 1.0 - tail
    if resamples == 0:
        empty = np.full(len(paths.channels), np.nan)
        return Interval(name, empty, empty, empty, empty, 0, confidence)
    return Interval(
        name,
        np.quantile(conversions, low, axis=0),
        np.quantile(conversions, high, axis=0),
        np.quantile(revenue, low, axis=0),
        np.quantile(revenue, high, axis=0),
        resamples,
        confidence,
    )
