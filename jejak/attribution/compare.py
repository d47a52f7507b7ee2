"""Every model on the same paths, side by side, with intervals: the model comparison table.

One row per channel and model: credited conversions and revenue, the share, a
bootstrap confidence interval, and the change against last touch (what Universal
Analytics' Model Comparison Tool showed). Markov and Shapley credit say how often a
channel sits on converting paths, not what it causes: see `markov.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from jejak.attribution import heuristics
from jejak.attribution.credit import Credit
from jejak.attribution.markov import ChainShape, OrderChoice, chain_from_counts, chain_shape, choose_order, markov
from jejak.attribution.pathset import PathSet
from jejak.attribution.shapley import shapley
from jejak.attribution.time_decay import time_decay
from jejak.attribution.uncertainty import Interval, bootstrap_models
from jejak.core.errors import SettingError
from jejak.core.settings import Settings
from jejak.core.typed import whole_number

MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)
BASELINE = "last_touch"


@dataclass(frozen=True)
class ModelOptions:
    """The knobs of every model; `from_settings` reads them from the settings table."""

    markov_order: str = "1"  # "1".."4" or "auto"
    first_share: float = 0.4
    last_share: float = 0.4
    half_life_days: float = 7.0
    resamples: int = 0
    confidence: float = 0.95
    seed: int = 0
    # The label last non-direct passes over: Direct by channel, `(not set)` by campaign (`journeys.dimensions`).
    direct: str = heuristics.DIRECT

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelOptions:
        return cls(
            markov_order=settings.markov_order,
            first_share=settings.position_first_share,
            last_share=settings.position_last_share,
            half_life_days=settings.time_decay_half_life_days,
            resamples=settings.attribution_resamples,
            confidence=settings.attribution_confidence,
            seed=settings.attribution_seed,
        )


@dataclass
class Attribution:
    """What `attribute` found: credit and interval per model, and how the Markov order was chosen."""

    credits: list[Credit] = field(default_factory=list)
    intervals: dict[str, Interval] = field(default_factory=dict)
    order_choice: OrderChoice | None = None


def model_runner(model: str, options: ModelOptions, order: int) -> Callable[[PathSet], Credit]:
    """The function that runs one model (by name, see `MODELS`) on a path set."""
    runners: dict[str, Callable[[PathSet], Credit]] = {
        "first_touch": heuristics.first_touch,
        "last_touch": heuristics.last_touch,
        "last_non_direct": lambda p: heuristics.last_non_direct(p, direct=options.direct),
        "linear": heuristics.linear,
        "position_based": lambda p: heuristics.position_based(p, first=options.first_share, last=options.last_share),
        "time_decay": lambda p: time_decay(p, half_life_days=options.half_life_days),
        "markov": _markov_runner(order),
        "shapley": lambda p: shapley(p).credit,
    }
    if model not in runners:
        raise SettingError(f"Unknown attribution model {model!r}. Expected one of: {', '.join(MODELS)}.")
    return runners[model]


def _markov_runner(order: int) -> Callable[[PathSet], Credit]:
    """Markov credit that numbers the states of a path set once for all its resamples (`markov.ChainShape`)."""
    kept: list[ChainShape] = []

    def run(paths: PathSet) -> Credit:
        if not kept or not kept[0].fits(paths):
            kept[:] = [chain_shape(paths, order, with_steps=True)]
        return markov(paths, order=order, shape=kept[0]).credit

    return run


def attribute(
    paths: PathSet,
    models: Sequence[str] = MODELS,
    options: ModelOptions | None = None,
    *,
    journeys: PathSet | None = None,
    counts: Callable[[int], pa.Table] | None = None,
) -> Attribution:
    """Run `models` on `paths` (time decay on `journeys`, which carry touch times), with intervals.

    `counts(order)`, when given, returns Markov transition counts aggregated on the engine
    (`transitions.transition_counts`), and the chain is built from them instead of from `paths`.

    Time decay is skipped, not failed, when asked for among all models without journeys
    (a ready-made paths table); asked for alone, it says why it cannot run.
    """
    options = options or ModelOptions()
    result = Attribution()
    order_text = options.markov_order
    if "markov" in models and order_text == "auto":
        result.order_choice = choose_order(paths, seed=options.seed)
        order = result.order_choice.order
    elif (number := whole_number(order_text)) is not None:
        order = number
    else:
        raise SettingError(f"Markov order {order_text!r} is not valid. Expected 1, 2, 3, 4 or auto.")
    # Models that read the same source share its bootstrap draws (`bootstrap_models`); intervals are the same.
    to_resample: dict[int, tuple[PathSet, list[Callable[[PathSet], Credit]], list[Credit]]] = {}
    for model in models:
        if model == "time_decay" and journeys is None and len(models) > 1:
            continue  # no touch times; asked for alone, time_decay says what is missing
        source = journeys if model == "time_decay" and journeys is not None else paths
        run = model_runner(model, options, order)
        if model == "markov" and counts is not None:
            credit = markov(paths, chain=chain_from_counts(counts(order), paths.channels, order)).credit
        else:
            credit = run(source)
        result.credits.append(credit)
        _, runs, credits = to_resample.setdefault(id(source), (source, [], []))
        runs.append(run)
        credits.append(credit)
    if options.resamples:
        found: dict[str, Interval] = {}
        for source, runs, credits in to_resample.values():
            for interval in bootstrap_models(
                source,
                runs,
                resamples=options.resamples,
                confidence=options.confidence,
                seed=options.seed,
                credits=credits,
            ):
                found[interval.model] = interval
        result.intervals = {credit.model: found[credit.model] for credit in result.credits}
    return result


def comparison(found: Attribution | Sequence[Credit]) -> pa.Table:
    """Channels × models: conversions, share, revenue, interval, and the change against last touch."""
    if not isinstance(found, Attribution):
        found = Attribution(credits=list(found))
    baseline = next((c for c in found.credits if c.model == BASELINE), None)
    base = baseline.as_dict() if baseline else {}
    rows = []
    for credit in found.credits:
        shares = credit.share()
        interval = found.intervals.get(credit.model)
        for index, channel in enumerate(credit.channels):
            conversions = float(credit.conversions[index])
            reference = base.get(channel)
            rows.append(
                {
                    "channel": channel,
                    "model": credit.model,
                    "conversions": conversions,
                    "conversions_low": _bound(interval.conversions_low, index) if interval else None,
                    "conversions_high": _bound(interval.conversions_high, index) if interval else None,
                    "share": float(shares[index]),
                    "revenue": float(credit.revenue[index]),
                    "revenue_low": _bound(interval.revenue_low, index) if interval else None,
                    "revenue_high": _bound(interval.revenue_high, index) if interval else None,
                    "change_vs_last_touch": None if reference is None else conversions - reference,
                    "change_vs_last_touch_pct": None if not reference else (conversions - reference) / reference,
                }
            )
    # Channel by channel, models in the order run (the sort is stable).
    rows.sort(key=lambda row: str(row["channel"]))
    return pa.Table.from_pylist(rows, schema=COMPARISON_SCHEMA)


def _bound(values: np.ndarray, index: int) -> float | None:
    value = float(values[index])
    return None if np.isnan(value) else value


COMPARISON_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("model", pa.string()),
        ("conversions", pa.float64()),
        ("conversions_low", pa.float64()),
        ("conversions_high", pa.float64()),
        ("share", pa.float64()),
        ("revenue", pa.float64()),
        ("revenue_low", pa.float64()),
        ("revenue_high", pa.float64()),
        ("change_vs_last_touch", pa.float64()),
        ("change_vs_last_touch_pct", pa.float64()),
    ]
)
