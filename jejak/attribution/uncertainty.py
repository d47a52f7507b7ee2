"""Confidence intervals for every channel's credit: a bootstrap over journeys.

Each resample draws as many journeys as there are, with replacement, each one
uniformly from the observed journeys (so each unique path's converting and
non-converting journeys are drawn as often as a multinomial over their counts
would; a multinomial is drawn when counts are not whole numbers), and credits the
same paths with the new counts. A converting journey's revenue is its path's mean
revenue per conversion (unique paths do not keep journeys' own revenues). The
interval is the percentile interval of the resampled credits; the seed makes it
repeat exactly: resample i draws from the i-th generator spawned from the seed
(`numpy.random.SeedSequence.spawn`), so resamples run side by side on the machine's
cores and give the same intervals in any order.

Models whose credit is linear in the counts (every heuristic and time decay; see
`Credit.per_unit`) are credited together, with one sparse product per resample (and
when only they read journey-level paths, time decay's, only the converting journeys are
drawn: `Resampler.conversions_only`, the same distribution in fewer picks); Markov
and Shapley run again on each resample (Markov on the states it numbered once for
the paths, `markov.ChainShape`).

Two channels whose intervals overlap are not shown to differ by this data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from jejak.attribution.credit import Credit
from jejak.attribution.pathset import FloatArray, IntArray, PathSet

# Resamples run side by side on this many threads (the machine's cores).
BOOTSTRAP_THREADS = max(1, min(4, os.cpu_count() or 1))


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


class Resampler:
    """Draws new (conversions, non-conversions) for every path: as many journeys as there are, with replacement."""

    def __init__(self, paths: PathSet) -> None:
        self.paths = paths
        self.counts = np.concatenate([paths.conversions, paths.non_conversions])
        self.total = round(float(self.counts.sum()))
        whole = bool(np.all(self.counts >= 0) and np.array_equal(self.counts, np.round(self.counts)))
        # One unit per journey, units of a category side by side: drawing units uniformly is the multinomial, in
        # time that grows with the journeys, not with the categories (1.3M journeys as 2.6M categories: 37 against
        # 108 ms). Picks are counted per unit, then summed per category's block of units: counting straight into
        # categories would first look up each pick's category, a random read per journey (twice as slow).
        self.whole = whole
        if whole:
            per_category = self.counts.astype(np.int64)
            self.occupied = np.flatnonzero(per_category > 0)
            self.unit_count = int(per_category.sum())
            self.block_starts = np.concatenate([[0], np.cumsum(per_category[self.occupied])[:-1]]).astype(np.int64)
            # Conversion categories come first, so their units are the first `converting_units`.
            converting = self.occupied < paths.paths
            self.converting_units = int(per_category[: paths.paths].sum())
            self.converting_occupied = self.occupied[converting]
            self.converting_block_starts = self.block_starts[converting]

    def __call__(self, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        paths = self.paths
        if self.total == 0:
            return paths.conversions, paths.non_conversions
        if self.whole:
            per_unit = np.bincount(rng.integers(0, self.unit_count, size=self.unit_count), minlength=self.unit_count)
            drawn = np.zeros(self.counts.size)
            # One journey per category (a journey-level path set): the units are the categories.
            one_each = self.unit_count == self.occupied.size
            drawn[self.occupied] = per_unit if one_each else np.add.reduceat(per_unit, self.block_starts)
        else:
            drawn = rng.multinomial(self.total, self.counts / self.counts.sum()).astype(np.float64)
        return drawn[: paths.paths], drawn[paths.paths :]

    def conversions_only(self, rng: np.random.Generator, *, converting_paths_only: bool = False) -> FloatArray:
        """Only the converting journeys of a resample, for models that read nothing else (the linear ones).

        The same distribution as the first half of a full draw, in fewer picks: of the journeys drawn, how
        many convert is binomial (journeys × the converting share), and those picks fall uniformly on the
        converting journeys. At 10M events a third of the journeys convert, so a third of the picks.
        With `converting_paths_only`, the counts of the paths with conversions (`converting_paths`), in order.
        """
        paths = self.paths
        if self.total == 0 or not self.whole:
            drawn = paths.conversions if self.total == 0 else self(rng)[0]
            return drawn[self.converting_paths] if converting_paths_only else drawn
        counts = np.zeros(self.converting_occupied.size)
        if self.converting_units > 0:
            picked = int(rng.binomial(self.unit_count, self.converting_units / self.unit_count))
            per_unit = np.bincount(rng.integers(0, self.converting_units, size=picked), minlength=self.converting_units)
            one_each = self.converting_units == self.converting_occupied.size
            counts[:] = per_unit if one_each else np.add.reduceat(per_unit, self.converting_block_starts)
        if converting_paths_only:
            return counts
        drawn = np.zeros(paths.paths)
        drawn[self.converting_occupied] = counts
        return drawn

    @property
    def converting_paths(self) -> IntArray:
        """The paths with at least one conversion, in order (what `converting_paths_only` counts)."""
        found: IntArray = np.flatnonzero(self.paths.conversions > 0)
        return found


def _per_conversion(paths: PathSet) -> FloatArray:
    per: FloatArray = np.divide(
        paths.revenue, paths.conversions, out=np.zeros(paths.paths), where=paths.conversions > 0
    )
    return per


def resample(paths: PathSet, rng: np.random.Generator) -> PathSet:
    """The same paths with journeys drawn again with replacement."""
    conversions, non_conversions = Resampler(paths)(rng)
    return paths.with_counts(conversions, non_conversions, _per_conversion(paths) * conversions)


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
    credits: Sequence[Credit] | None = None,
) -> list[Interval]:
    """`bootstrap` for several models on the same paths: each resample is drawn once and every model credits it.

    The draws do not depend on the model, so each interval equals the one the model would get drawn alone with
    the same seed; drawing is most of the cost (one pick per journey), so models share it. `credits`, when the
    caller has them, are the models' credits on `paths` (else they are computed here).
    """
    draw = Resampler(paths)
    per_conversion = _per_conversion(paths)
    conversions = np.zeros((len(models), resamples, len(paths.channels)))
    revenue = np.zeros((len(models), resamples, len(paths.channels)))
    bases = list(credits) if credits is not None else [model(paths) for model in models]
    names = [base.model for base in bases]
    # Channels × paths: each path's credit per journey, for the models that are linear in the counts; stacked, so
    # that one product per resample credits every linear model's conversions (and one more their revenue).
    linear = [_unit_credit(base, paths) for base in bases]
    stacked_models = [number for number, matrix in enumerate(linear) if matrix is not None]
    stacked = scipy.sparse.vstack([linear[n] for n in stacked_models], format="csr") if stacked_models else None
    width = len(paths.channels)
    # Linear models read only the conversions. On journey-level paths (time decay's, one path per journey, most
    # of them not converting) read only by linear models, only the conversions are drawn. Unique paths are drawn
    # whole whatever the models, so a model's interval is the same alone as next to others.
    only_linear = paths.touch_seconds is not None and bool(models) and len(stacked_models) == len(models)
    # Then only the converting paths' columns are multiplied: the others are drawn no conversion.
    kept_paths = draw.converting_paths if only_linear and stacked is not None else None
    if kept_paths is not None and stacked is not None:
        stacked = stacked[:, kept_paths].tocsr()
        kept_per_conversion = per_conversion[kept_paths]

    def credit_linear(index: int, drawn_conversions: FloatArray, drawn_revenue: FloatArray) -> None:
        """Every linear model's credit of resample `index` (two products, not one with two columns: scipy's
        matrix-times-vectors kernel is slower than two passes)."""
        assert stacked is not None  # called only when there are linear models
        credited_conversions = stacked @ drawn_conversions
        credited_revenue = stacked @ drawn_revenue
        for slot, number in enumerate(stacked_models):
            conversions[number, index] = credited_conversions[slot * width : (slot + 1) * width]
            revenue[number, index] = credited_revenue[slot * width : (slot + 1) * width]

    def one(index: int, rng: np.random.Generator) -> None:
        if kept_paths is not None:
            # Only linear models on journey-level paths: the converting paths' counts, credited in one product each.
            kept_conversions = draw.conversions_only(rng, converting_paths_only=True)
            credit_linear(index, kept_conversions, kept_per_conversion * kept_conversions)
            return
        drawn_conversions, drawn_non_conversions = draw(rng)
        drawn_revenue = per_conversion * drawn_conversions
        if stacked is not None:
            credit_linear(index, drawn_conversions, drawn_revenue)
        drawn: PathSet | None = None
        for number, model in enumerate(models):
            if linear[number] is not None:
                continue
            if drawn is None:
                drawn = paths.with_counts(drawn_conversions, drawn_non_conversions, drawn_revenue)
            credit = model(drawn)
            conversions[number, index], revenue[number, index] = credit.conversions, credit.revenue

    # Each resample draws from its own generator, spawned from the seed: a resample's journeys depend on its
    # number only, so resamples can run side by side (numpy and scipy release the GIL in the heavy loops) and
    # the intervals stay the same whatever ran first.
    streams = np.random.SeedSequence(seed).spawn(resamples)
    with ThreadPoolExecutor(max_workers=BOOTSTRAP_THREADS) as pool:
        list(pool.map(lambda index: one(index, np.random.default_rng(streams[index])), range(resamples)))
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


def _unit_credit(credit: Credit, paths: PathSet) -> scipy.sparse.csr_matrix | None:
    """The channels × paths matrix of a linear model's credit per journey of each path, or None."""
    if credit.per_unit is None:
        return None
    path, channel, weight = credit.per_unit()
    return scipy.sparse.csr_matrix((weight, (channel, path)), shape=(len(paths.channels), paths.paths))
