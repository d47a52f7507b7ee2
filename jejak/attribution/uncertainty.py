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

from collections.abc import Callable, Sequence
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
    return bootstrap_models(paths, [model], resamples=resamples, confidence=confidence, seed=seed)[0]


def bootstrap_models(
    paths: PathSet,
    models: Sequence[Callable[[PathSet], Credit]],
    *,
    resamples: int,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[Interval]:
    """`bootstrap` for several models on the same paths: each resample is drawn once and every model runs on it.

    The draws do not depend on the model, so each interval equals the one `bootstrap` gives alone with the same
    seed; drawing is most of the cost (a multinomial over every path), so models share it.
    """
    rng = np.random.default_rng(seed)
    conversions = np.zeros((len(models), resamples, len(paths.channels)))
    revenue = np.zeros((len(models), resamples, len(paths.channels)))
    names = [""] * len(models)
    for index in range(resamples):
        drawn = resample(paths, rng)
        for number, model in enumerate(models):
            credit = model(drawn)
            conversions[number, index], revenue[number, index], names[number] = (
                credit.conversions,
                credit.revenue,
                credit.model,
            )
    tail = (1.0 - confidence) / 2.0
    low, high = tail, 1.0 - tail
    if resamples == 0:
        empty = np.full(len(paths.channels), np.nan)
        return [Interval(name, empty, empty, empty, empty, 0, confidence) for name in names]
    return [
        Interval(
            names[number],
            np.quantile(conversions[number], low, axis=0),
            np.quantile(conversions[number], high, axis=0),
            np.quantile(revenue[number], low, axis=0),
            np.quantile(revenue[number], high, axis=0),
            resamples,
            confidence,
        )
        for number in range(len(models))
    ]
