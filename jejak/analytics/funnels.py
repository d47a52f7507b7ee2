"""Funnels: how many people take each step in order, where they drop out, and what they do instead.

A funnel is counted over people (PostHog's default), from the event stream the
build writes (`jejak.journeys.events`). Every occurrence of step 1 inside the date
range starts an attempt; an attempt reaches step k when the steps follow in the
chosen order and step k comes at most `window_seconds` after step 1. Each person
counts once, with their best attempt (most steps, then the earliest). Orders:

- `sequential`: each step after the previous one, other events in between allowed.
  Taking the next occurrence of each step is optimal for a given start, so a
  start's attempt is a chain of "next occurrence after" lookups: one window
  computes, for every matching event, the next occurrence of every step, and the
  chain follows them with joins;
- `strict`: each step is the person's very next interaction after the previous one;
- `any`: steps in any order within the window from the first; step k counts the
  people who did any k of the steps (so per-step times are not defined).

Exclusion steps: an attempt with an exclusion event after step 1 and before the
last step it reached does not count (in `any` order: anywhere in its window); a
person with no attempt left is out of the funnel. Steps after the date range still
count while inside the window, so a funnel entered on the last day is judged fairly.

Counts never rise from step to step, and with a breakdown the groups (top N, then
one "Other (n values, x % of people)") add up to the funnel without one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from jejak.analytics.topn import OTHER_PREFIX, other_label, top_n_with_other
from jejak.core.errors import SettingError
from jejak.engine import safe_div
from jejak.engine.zones import local_day, local_seconds, midnight
from jejak.journeys.events import position_key
from jejak.journeys.filters import in_day_range, midnight_after

ORDERS = ("sequential", "strict", "any")
BREAKDOWNS = ("channel", "device_type", "persona")
# Breakdowns read off step 1's row of the stream (`with_step_one`); persona comes from the people.
DETAIL_BREAKDOWNS = ("channel", "device_type")
PERIODS = ("day", "week", "month")
PAGE_PREFIX = "page:"
STAGE_PREFIX = "stage:"
NO_NEXT_EVENT = "(no further event)"


@dataclass(frozen=True)
class Step:
    """One funnel step: an event name (page and screen views carry the page's name), `page:/path` or `stage:Name`."""

    text: str

    def matches(self, stream: ir.Table) -> ir.BooleanValue:
        if self.text.startswith(STAGE_PREFIX):
            return (stream.stage == self.text.removeprefix(STAGE_PREFIX)).fill_null(False)
        if self.text.startswith(PAGE_PREFIX):
            return (stream.page_path == self.text.removeprefix(PAGE_PREFIX)).fill_null(False)
        return (stream.event == self.text).fill_null(False)


@dataclass(frozen=True)
class Funnel:
    """What to count: the steps, their order, the window from step 1, exclusions and the date range of step 1 (days
    of `zone`, the `timezone` setting, which also cuts a trend's days, weeks and months)."""

    steps: tuple[Step, ...]
    order: str = "sequential"
    window_seconds: int = 14 * 86_400
    exclusions: tuple[Step, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if len(self.steps) < 2:
            raise SettingError(f"A funnel needs at least 2 steps, got {len(self.steps)}: name them in order.")
        if self.order not in ORDERS:
            raise SettingError(f"Funnel order must be one of {', '.join(ORDERS)}, not {self.order!r}.")
        if self.window_seconds <= 0:
            raise SettingError(f"The funnel window must be positive, got {self.window_seconds} s.")

    @classmethod
    def of(cls, steps: Sequence[str], *, exclusions: Sequence[str] = (), **options: object) -> Funnel:
        """A funnel from step texts, e.g. `Funnel.of(["Product Viewed", "page:/checkout", "Order Completed"])`."""
        return cls(tuple(Step(s) for s in steps), exclusions=tuple(Step(s) for s in exclusions), **options)  # type: ignore[arg-type]

    @property
    def labels(self) -> tuple[str, ...]:
        if self.order == "any":
            return tuple(f"{k} of {len(self.steps)} steps" for k in range(1, len(self.steps) + 1))
        return tuple(step.text for step in self.steps)


def attempts(stream: ir.Table, funnel: Funnel, *, details: bool = False, per_day: bool = False) -> ir.Table:
    """Each person's best attempt: `steps_reached`, and `position_k` and `at_k` (whole seconds) of each step reached.

    `stream` is the build's event stream (`jejak.journeys.events`): it needs `person_id`, `person_number`,
    `position`, `epoch_seconds` and the columns the steps match.

    With `details`, also step 1's `session_id`, its `channel`, `device_type` and time (`started_at`).
    With `per_day`, each person's best attempt of each day (of the funnel's zone) step 1 fell on, that day's
    number (days since 1970) as `day_1`: an attempt does not depend on the date range (only which attempts may
    start does), so the best attempt over any days is the best of those days' (`best_of_days`).
    """
    flags = {f"_f{k}": step.matches(stream) for k, step in enumerate(funnel.steps, start=1)}
    excluded: ir.BooleanValue = ibis.literal(False)
    for step in funnel.exclusions:
        excluded = excluded | step.matches(stream)
    wanted = excluded
    for flag in flags.values():
        wanted = wanted | flag
    # Only keys and times go through the window's sort (the person as the build's integer `person_number`, not
    # the text id); the details of the chosen attempts are joined after.
    flagged = (
        stream.mutate(**flags, _fx=excluded)
        .filter(wanted)
        .select("person_id", "person_number", "position", "epoch_seconds", *flags, "_fx")
    )
    tried = _any_order(flagged, funnel) if funnel.order == "any" else _chained(flagged, funnel)
    if per_day:
        tried = tried.mutate(day_1=local_day(tried.at_1, funnel.zone))
    best = _best(tried, per_day=per_day)
    return with_step_one(best, stream, funnel) if details else best


def best_of_days(day_attempts: ir.Table, funnel: Funnel) -> ir.Table:
    """Each person's best attempt with step 1 in the funnel's date range, from `attempts(…, per_day=True)`.

    `day_attempts` are the same funnel's without a date range: the days outside the range are left out, and
    the best of the rest is what `attempts` finds with the range.
    """
    kept = day_attempts.filter(in_day_range(day_attempts.day_1, funnel.start, funnel.end))
    return _best(kept.drop("day_1"), per_day=False)


def _best(tried: ir.Table, *, per_day: bool) -> ir.Table:
    """The best attempt (most steps, then the earliest start) per person, or per person and `day_1`.

    A group-by and a join, not a window's sort: positions are unique within a person, so
    steps_reached · 2^32 − position_1 picks one attempt, no ties.
    """
    key = tried.steps_reached * (2**32) - tried.position_1
    keyed = tried.mutate(_key=key)
    groups = {"_best_person_number": keyed.person_number, **({"_best_day": keyed.day_1} if per_day else {})}
    best_keys = keyed.group_by(**groups).aggregate(_best_key=keyed._key.max())
    matched = (keyed.person_number == best_keys._best_person_number) & (keyed._key == best_keys._best_key)
    if per_day:
        matched = matched & (keyed.day_1 == best_keys._best_day)
    return keyed.join(best_keys, matched).select(*tried.columns)


def with_step_one(tried: ir.Table, stream: ir.Table, funnel: Funnel) -> ir.Table:
    """Attempts with their step 1's `session_id`, `channel`, `device_type` and time (`started_at`), from the stream.

    The attempt's first row is a step 1 (in any order, any step's) row: only those are looked in, which keeps
    most of the stream out of the join.
    """
    firsts = [funnel.steps[0]] if funnel.order != "any" else list(funnel.steps)
    is_first: ir.BooleanValue = ibis.literal(False)
    for step in firsts:
        is_first = is_first | step.matches(stream)
    candidates = stream.filter(is_first)
    step_one = candidates.select(
        _key=position_key(candidates.person_number, candidates.position),
        session_id=candidates.session_id,
        channel=candidates.channel,
        device_type=candidates.device_type,
        started_at=candidates.timestamp,
    )
    joined = tried.join(step_one, position_key(tried.person_number, tried.position_1) == step_one._key)
    return joined.drop("_key")


def _starts(flagged: ir.Table, funnel: Funnel, is_start: ir.BooleanValue) -> ir.BooleanValue:
    """Step-1 candidates inside the date range (compared in whole seconds: the range starts on whole days)."""
    keep = is_start
    if funnel.start is not None:
        keep = keep & (flagged.epoch_seconds >= int(midnight(funnel.start, funnel.zone).timestamp()))
    after = midnight_after(funnel.end, funnel.zone)
    if after is not None:
        keep = keep & (flagged.epoch_seconds < int(after.timestamp()))
    return keep


def _chained(flagged: ir.Table, funnel: Funnel) -> ir.Table:
    """Sequential and strict attempts: from each start, the chain of next occurrences of steps 2, 3, …"""
    count = len(funnel.steps)
    by_person = ibis.window(group_by=flagged.person_number, order_by=flagged.position)
    later = ibis.window(group_by=flagged.person_number, order_by=flagged.position, rows=(1, None))
    nexts: dict[str, ir.Value] = {}
    for k in range(2, count + 1):
        flag = flagged[f"_f{k}"]
        if funnel.order == "strict":
            # Kept only if the very next interaction (position + 1) is the step.
            follows = (flagged.position.lead().over(by_person) == flagged.position + 1) & flag.lead().over(by_person)
            nexts[f"_next_{k}"] = ibis.ifelse(follows, flagged.position + 1, ibis.null("int64"))
        else:
            nexts[f"_next_{k}"] = ibis.ifelse(flag, flagged.position, None).min().over(later)
    # Only positions come out of the window (one aggregate per step); times are read off the steps' rows.
    if funnel.exclusions:
        nexts["_next_excluded"] = ibis.ifelse(flagged._fx, flagged.position, None).min().over(later)
    else:
        nexts["_next_excluded"] = ibis.null("int64")
    ahead = flagged.mutate(**nexts)
    starts = ahead.filter(_starts(ahead, funnel, ahead._f1))
    chain = starts.select(
        "person_id",
        "person_number",
        position_1=starts.position,
        at_1=starts.epoch_seconds,
        position_2=starts._next_2,
        _next_excluded=starts._next_excluded,
    )
    for k in range(2, count + 1):
        # Step k's row (found from step k-1's): its time, and where the next step k+1 after it is.
        found = {f"at_{k}": ahead.epoch_seconds}
        if k < count:
            found[f"position_{k + 1}"] = ahead[f"_next_{k + 1}"]
        lookup = ahead.filter(ahead[f"_f{k}"]).select(_key=position_key(ahead.person_number, ahead.position), **found)
        joined = chain.left_join(lookup, position_key(chain.person_number, chain[f"position_{k}"]) == lookup._key)
        chain = joined.drop("_key")
    reached = [
        chain[f"position_{k}"].notnull() & (chain[f"at_{k}"] - chain.at_1 <= funnel.window_seconds)
        for k in range(2, count + 1)
    ]
    steps_reached = ibis.literal(1, "int64")
    for hit in reached:
        steps_reached = steps_reached + hit.cast("int64")
    last_position = ibis.coalesce(
        *[ibis.ifelse(hit, chain[f"position_{k}"], None) for k, hit in reversed(list(enumerate(reached, start=2)))],
        chain.position_1,
    )
    # Unreached steps keep no time or position, so later reports never read a step outside the window.
    cleared = chain.mutate(
        steps_reached=steps_reached,
        **{f"position_{k}": ibis.ifelse(hit, chain[f"position_{k}"], None) for k, hit in enumerate(reached, 2)},
        **{f"at_{k}": ibis.ifelse(hit, chain[f"at_{k}"], None) for k, hit in enumerate(reached, 2)},
        _last_position=last_position,
    )
    allowed = cleared._next_excluded.isnull() | (cleared._next_excluded > cleared._last_position)
    return cleared.filter(allowed).drop("_next_excluded", "_last_position")


def _any_order(flagged: ir.Table, funnel: Funnel) -> ir.Table:
    """Attempts in any order: from each step event, how many different steps happen within the window."""
    window = ibis.window(
        group_by=flagged.person_number, order_by=flagged.epoch_seconds, range=(0, funnel.window_seconds)
    )
    has = {f"_has_{k}": flagged[f"_f{k}"].cast("int64").max().over(window) for k in range(1, len(funnel.steps) + 1)}
    counted = flagged.mutate(**has, _has_excluded=flagged._fx.cast("int64").max().over(window))
    is_step: ir.BooleanValue = ibis.literal(False)
    for k in range(1, len(funnel.steps) + 1):
        is_step = is_step | counted[f"_f{k}"]
    starts = counted.filter(_starts(counted, funnel, is_step) & (counted._has_excluded == 0))
    steps_reached = ibis.literal(0, "int64")
    for k in range(1, len(funnel.steps) + 1):
        steps_reached = steps_reached + starts[f"_has_{k}"]
    return starts.select(
        "person_id",
        "person_number",
        position_1=starts.position,
        at_1=starts.epoch_seconds,
        steps_reached=steps_reached,
    )


def _with_breakdown(people: ir.Table, by: str | None, top_n: int, personas: ir.Table | None = None) -> ir.Table:
    """People with a `breakdown` label and its `_order`: the top N values by people, the rest as one Other."""
    if by is None:
        return people.mutate(breakdown=ibis.literal("(all)"), _order=ibis.literal(0, "int64"))
    if by not in BREAKDOWNS:
        raise SettingError(f"Funnels break down by {' or '.join(BREAKDOWNS)}, not {by!r}.")
    if by == "persona":
        if personas is None:
            raise SettingError("A breakdown by persona needs the people's personas.")
        chosen = personas.select(_person_id=personas.person_id, _value=personas.persona)
        people = people.left_join(chosen, people.person_id == chosen._person_id).drop("_person_id")
    else:
        # The stream carries each event's session channel, so step 1's row already says where the attempt came from.
        people = people.mutate(_value=people[by])
    people = people.mutate(_value=people._value.fill_null("(not set)"))
    sizes = people.group_by(_size_value=people._value).aggregate(_people=people.count())
    everything = ibis.window()
    ranked = sizes.mutate(
        _rank=ibis.row_number().over(order_by=[ibis.desc(sizes._people), sizes._size_value]),
        _values=sizes.count().over(everything),
    )
    # One value past the top N is shown as itself, not as an Other of one.
    hidden = (ranked._rank >= top_n) & (ranked._values > top_n + 1)
    other = other_label(
        hidden.cast("int64").sum().over(everything),
        ibis.ifelse(hidden, ranked._people, 0).sum().over(everything),
        ranked._people.sum().over(everything),
        of="people",
    )
    ranked = ranked.mutate(
        _label=ibis.ifelse(hidden, other, ranked._size_value), _order=ibis.ifelse(hidden, top_n, ranked._rank)
    )
    joined = people.join(ranked, people._value == ranked._size_value)
    labelled = joined.rename(breakdown="_label")
    return labelled.drop("_value", "_size_value", "_people", "_rank", "_values")


def funnel_steps(
    stream: ir.Table,
    funnel: Funnel,
    *,
    breakdown: str | None = None,
    top_n: int = 5,
    personas: ir.Table | None = None,
    tried: ir.Table | None = None,
) -> ir.Table:
    """People at each step, conversion from the start and from the previous step, drop-off and median time between.

    `tried` (optional, here and in `funnel_trend` and `funnel_next`): the funnel's `attempts(…)`, computed once
    when several of these are asked for; step 1's details are joined on when a breakdown needs them.

    With a breakdown (the channel or device of the best attempt's step 1, or the person's persona, from
    `personas`: person_id and persona) the table has
    a first column `breakdown` and one block of steps per value.
    """
    if tried is None:
        tried = attempts(stream, funnel, details=breakdown in DETAIL_BREAKDOWNS)
    elif breakdown in DETAIL_BREAKDOWNS and breakdown not in tried.columns:
        tried = with_step_one(tried, stream, funnel)
    people = _with_breakdown(tried, breakdown, top_n, personas)
    count = len(funnel.steps)
    # One row per group with every step's count and median gap (one pass over the people), then one row per step:
    # spreading the people over their steps first would group a row per person and step reached.
    per_step: dict[str, ir.Value] = {}
    for k in range(1, count + 1):
        reached_k = people.steps_reached >= k
        per_step[f"_people_{k}"] = reached_k.cast("int64").sum()
        if funnel.order != "any" and k > 1:
            gap = ibis.ifelse(reached_k, people[f"at_{k}"] - people[f"at_{k - 1}"], ibis.null("int64"))
            per_step[f"_median_{k}"] = gap.cast("float64").quantile(0.5)
    if breakdown is None:
        # No group-by: a funnel nobody entered still has its steps, with 0 people.
        wide = people.aggregate(**per_step).mutate(group=ibis.literal("(all)"), _order=ibis.literal(0, "int64"))
    else:
        wide = people.group_by(group=people.breakdown, _order=people._order).aggregate(**per_step)
    rows = []
    for k, label in enumerate(funnel.labels, start=1):
        reached = wide[f"_people_{k}"].fill_null(0)
        previous = wide[f"_people_{k - 1}"].fill_null(0) if k > 1 else reached
        median = wide[f"_median_{k}"] if f"_median_{k}" in wide.columns else ibis.null("float64")
        rows.append(
            wide.select(
                _order=wide._order,
                breakdown=wide.group,
                step_number=ibis.literal(k, "int64"),
                step=ibis.literal(label, "string"),
                people=reached,
                conversion_from_start=safe_div(reached, wide._people_1.fill_null(0)),
                conversion_from_previous=ibis.literal(1.0) if k == 1 else safe_div(reached, previous),
                dropped=previous - reached,
                median_seconds_from_previous=median.cast("float64"),
            )
        )
    result = ibis.union(*rows)
    ordered = result.order_by([result._order, result.step_number]).drop("_order")
    return ordered if breakdown is not None else ordered.drop("breakdown")


def funnel_trend(stream: ir.Table, funnel: Funnel, *, period: str = "day", tried: ir.Table | None = None) -> ir.Table:
    """People entering the funnel per day, week or month of their step 1, how many completed it, and the rate."""
    if period not in PERIODS:
        raise SettingError(f"Funnel trends are by {', '.join(PERIODS)}, not {period!r}.")
    # Step 1's time in whole seconds is on every attempt, so the trend needs no join to step 1's row.
    people = tried if tried is not None else attempts(stream, funnel)
    unit = {"day": "D", "week": "W", "month": "M"}[period]
    completed = (people.steps_reached == len(funnel.steps)).cast("int64")
    # Days, weeks and months of the funnel's zone: its wall clock, read as UTC, cut as UTC's calendar is.
    period_start = local_seconds(people.at_1, funnel.zone).as_timestamp("s").truncate(unit).date()
    trend = people.group_by(period=period_start).aggregate(entered=people.count(), completed=completed.sum())
    return trend.mutate(conversion_rate=safe_div(trend.completed, trend.entered)).order_by("period")


def funnel_next(
    stream: ir.Table, funnel: Funnel, *, step: int, top_n: int = 5, tried: ir.Table | None = None
) -> ir.Table:
    """What people did right after step `step`: those who went on to the next step, and those who dropped out.

    `outcome` is `continued` or `dropped` (after the last step: `completed`); `next` is
    the name of their next interaction, or "(no further event)". Top N per outcome,
    then one Other row; `share` is of the outcome's people.
    """
    if funnel.order == "any":
        raise SettingError("In a funnel of any order no step comes after another; use `sequential` or `strict`.")
    if not 1 <= step <= len(funnel.steps):
        raise SettingError(f"Step must be between 1 and {len(funnel.steps)}, got {step}.")
    people = tried if tried is not None else attempts(stream, funnel)
    people = people.filter(people.steps_reached >= step)
    after = stream.select(_key=position_key(stream.person_number, stream.position), next=stream.event)
    joined = people.left_join(after, position_key(people.person_number, people[f"position_{step}"]) + 1 == after._key)
    last = step == len(funnel.steps)
    outcome = ibis.ifelse(joined.steps_reached > step, "continued", "completed" if last else "dropped")
    named = joined.mutate(outcome=outcome, next=joined.next.fill_null(NO_NEXT_EVENT))
    parts = []
    for rank, kind in enumerate(("continued", "dropped", "completed")):
        group = named.filter(named.outcome == kind)
        counts = group.group_by("next").aggregate(people=group.count())
        top = top_n_with_other(counts, label="next", value="people", n=top_n)
        total = top.people.sum().over(ibis.window())
        is_other = top.next.startswith(OTHER_PREFIX).cast("int64")
        parts.append(
            top.mutate(outcome=ibis.literal(kind), share=safe_div(top.people, total), _kind=rank, _other=is_other)
        )
    result = ibis.union(*parts)
    ordered = result.order_by(["_kind", "_other", ibis.desc("people"), "next"])
    return ordered.select("outcome", "next", "people", "share")
