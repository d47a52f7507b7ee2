"""Persona rules suggested for a discovered group: a few `feature op value` tests that take the group's people.

k-means puts a person in the group whose centre is nearest in a transformed, weighed space
(`segments.discovery`); a persona's rules are plain tests on the person's features
(`segments.personas`). So a discovered group is turned into rules the way a one-rule learner
would (Holte 1993, "Very simple classification rules perform well on most commonly used
datasets", Machine Learning 11): greedily, up to `MAX_RULES` tests, each the one that most raises
the F1 score (the harmonic mean of precision, the share of the people the rules take who are in
the group, and recall, the share of the group they take), stopping when the next would raise it
by less than `MIN_GAIN`.

The candidates are tests people would write: `feature >= value` and `feature <= value` at the
group's own deciles (and its 5th and 95th percentile), rounded to a value that reads well (a share
to 0.05, a count or a number of days to a whole number, money to two significant digits), and
`first_channel == value` / `main_device == value` for the group's commonest values. Searched on a
seeded sample of at most `SEARCH_SAMPLE_SIZE` people (the same size the silhouette uses); the
precision and recall reported are counted on everyone.

Rules are found for each group alone. Personas are tried in priority order (a person gets the
first whose rules all hold), so a later draft loses the people an earlier one's rules also take:
the Personas page counts people after that order.

Example:
    >>> import numpy as np, pyarrow as pa
    >>> from jejak.segments.features import NUMERIC_FEATURES
    >>> chats = np.arange(100) < 30
    >>> table = pa.table({**{name: np.zeros(100) for name in NUMERIC_FEATURES},
    ...     "share_whatsapp": np.where(chats, 0.8, 0.1), "first_channel": ["WhatsApp"] * 100,
    ...     "main_device": ["mobile"] * 100})
    >>> found = suggest_rules(table, chats)
    >>> [str(rule) for rule in found.rules], found.precision, found.recall, found.people
    (['share_whatsapp >= 0.8'], 1.0, 1.0, 30)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.segments.features import NUMERIC_FEATURES, SHARE_FEATURES, TEXT_FEATURES
from jejak.segments.personas import Condition

__all__ = ["MAX_RULES", "MIN_GAIN", "SEARCH_SAMPLE_SIZE", "SuggestedRules", "suggest_rules"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

MAX_RULES = 3
MIN_GAIN = 0.01  # of F1: a test that adds less is not worth a line a person has to read
SEARCH_SAMPLE_SIZE = 20_000
QUANTILES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
TEXT_VALUES = 5  # the group's commonest values of a text feature tried
WHOLE_FEATURES = ("sessions", "online_sessions", "offline_sessions", "conversions", "days_active", "recency_days")
MONEY_FEATURES = ("revenue", "average_order_value")


@dataclass(frozen=True)
class SuggestedRules:
    """Tests that take a group's people, and how well, counted on everyone."""

    rules: tuple[Condition, ...]
    people: int  # the people the rules take
    precision: float  # of the people taken, the share in the group
    recall: float  # of the group, the share taken


def nice_value(feature: str, value: float) -> float | int:
    """A threshold as a person would write it.

    Example:
        >>> nice_value("share_social", 0.4321), nice_value("sessions", 2.6), nice_value("revenue", 183_456.0)
        (0.45, 3, 180000)
    """
    if feature in SHARE_FEATURES:
        return round(round(value * 20) / 20, 2)
    if feature in WHOLE_FEATURES:
        return round(value)
    if feature in MONEY_FEATURES:
        rounded = float(f"{value:.2g}")
        return int(rounded) if abs(rounded) >= 1 else rounded
    return round(value, 1)


def _numeric(table: Any, name: str) -> FloatArray:
    # NULL as NaN: every comparison with it is false, as a rule on a NULL feature does not hold on the engine.
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _texts(table: Any, name: str) -> npt.NDArray[np.object_]:
    return np.asarray(table.column(name).to_pylist(), dtype=object)


def _candidates(table: Any, members: BoolArray) -> Iterator[tuple[Condition, BoolArray]]:
    """Every test worth trying, with the people of `table` it holds for: what the group does (`>=`, `==`) before
    what it does not (`<=`), so that of two equally good tests the one that says what people do is kept."""
    at_most: list[tuple[Condition, BoolArray]] = []
    for name in NUMERIC_FEATURES:
        values = _numeric(table, name)
        inside = values[members & ~np.isnan(values)]
        if not len(inside):
            continue
        thresholds = sorted({nice_value(name, float(q)) for q in np.quantile(inside, QUANTILES)})
        for threshold in thresholds:
            yield Condition(name, ">=", threshold), values >= threshold
            at_most.append((Condition(name, "<=", threshold), values <= threshold))
    yield from _text_candidates(table, members)
    yield from at_most


def _text_candidates(table: Any, members: BoolArray) -> Iterator[tuple[Condition, BoolArray]]:
    for name in TEXT_FEATURES:
        if name not in table.column_names:
            continue
        texts = _texts(table, name)
        found, counts = np.unique(texts[members & (texts != None)].astype(str), return_counts=True)  # noqa: E711
        for value in found[np.argsort(-counts, kind="stable")][:TEXT_VALUES]:
            yield Condition(name, "==", str(value)), texts == value


def _f1(taken: BoolArray, members: BoolArray) -> float:
    both = int((taken & members).sum())
    return 2 * both / (int(taken.sum()) + int(members.sum())) if both else 0.0


def _search(table: Any, members: BoolArray) -> tuple[Condition, ...]:
    candidates = list(_candidates(table, members))
    chosen: list[Condition] = []
    taken = np.ones(len(members), dtype=bool)
    score = _f1(taken, members)
    for _ in range(MAX_RULES):
        scored = [(_f1(taken & holds, members), -index) for index, (_, holds) in enumerate(candidates)]
        best, minus_index = max(scored)
        if best - score < MIN_GAIN:
            break
        condition, holds = candidates[-minus_index]
        chosen.append(condition)
        taken &= holds
        score = best
    return tuple(chosen)


def _holds(table: Any, rules: Sequence[Condition]) -> BoolArray:
    taken = np.ones(table.num_rows, dtype=bool)
    for rule in rules:
        if rule.feature in TEXT_FEATURES:
            taken &= _texts(table, rule.feature) == rule.value
        elif rule.op == ">=":
            taken &= _numeric(table, rule.feature) >= rule.value
        else:
            taken &= _numeric(table, rule.feature) <= rule.value
    return taken


def suggest_rules(table: Any, members: BoolArray, *, seed: int = 0) -> SuggestedRules:
    """Rules for the group `members` (one flag per row of the features `table`, a pyarrow table of
    `features.person_features`), searched on a seeded sample and counted on everyone."""
    search = table
    in_search = members
    if table.num_rows > SEARCH_SAMPLE_SIZE:
        rows = np.sort(np.random.default_rng(seed).choice(table.num_rows, size=SEARCH_SAMPLE_SIZE, replace=False))
        search, in_search = table.take(rows), members[rows]
    rules = _search(search, in_search)
    taken = _holds(table, rules)
    both = int((taken & members).sum())
    people = int(taken.sum())
    return SuggestedRules(
        rules=rules,
        people=people,
        precision=both / people if people else 0.0,
        recall=both / int(members.sum()) if members.any() else 0.0,
    )
