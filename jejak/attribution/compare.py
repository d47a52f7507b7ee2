"""Every model on the same paths, side by side: the model comparison table.

One row per channel and model: credited conversions, their share, credited revenue
and the change against last touch (what Universal Analytics' Model Comparison Tool
showed). Markov and Shapley credit say how often a channel sits on converting
paths, not what it causes: see `markov.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa

from jejak.attribution import heuristics
from jejak.attribution.credit import Credit
from jejak.attribution.markov import markov
from jejak.attribution.pathset import PathSet
from jejak.attribution.shapley import shapley
from jejak.core.errors import SettingError

HEURISTIC_MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "position_based")
MODELS = (*HEURISTIC_MODELS, "markov", "shapley")
BASELINE = "last_touch"


def run_model(
    paths: PathSet,
    model: str,
    *,
    order: int = 1,
    first_weight: float = 0.4,
    last_weight: float = 0.4,
) -> Credit:
    """One model by name (`MODELS`); Markov's credit is named `markov_<order>`."""
    runners: dict[str, Callable[[], Credit]] = {
        "first_touch": lambda: heuristics.first_touch(paths),
        "last_touch": lambda: heuristics.last_touch(paths),
        "last_non_direct": lambda: heuristics.last_non_direct(paths),
        "linear": lambda: heuristics.linear(paths),
        "position_based": lambda: heuristics.position_based(paths, first=first_weight, last=last_weight),
        "markov": lambda: markov(paths, order=order).credit,
        "shapley": lambda: shapley(paths).credit,
    }
    if model not in runners:
        raise SettingError(f"Unknown attribution model {model!r}. Expected one of: {', '.join(MODELS)}.")
    return runners[model]()


def comparison(credits: Sequence[Credit]) -> pa.Table:
    """Channels × models: conversions, share, revenue, and the change in conversions against last touch."""
    baseline = next((c for c in credits if c.model == BASELINE), None)
    base = baseline.as_dict() if baseline else {}
    rows = []
    for credit in credits:
        shares = credit.share()
        for index, channel in enumerate(credit.channels):
            conversions = float(credit.conversions[index])
            reference = base.get(channel)
            rows.append(
                {
                    "channel": channel,
                    "model": credit.model,
                    "conversions": conversions,
                    "share": float(shares[index]),
                    "revenue": float(credit.revenue[index]),
                    "change_vs_last_touch": None if reference is None else conversions - reference,
                    "change_vs_last_touch_pct": None if not reference else (conversions - reference) / reference,
                }
            )
    # Channel by channel, models in the order given (the sort is stable).
    rows.sort(key=lambda row: str(row["channel"]))
    return pa.Table.from_pylist(rows, schema=COMPARISON_SCHEMA)


COMPARISON_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("model", pa.string()),
        ("conversions", pa.float64()),
        ("share", pa.float64()),
        ("revenue", pa.float64()),
        ("change_vs_last_touch", pa.float64()),
        ("change_vs_last_touch_pct", pa.float64()),
    ]
)
