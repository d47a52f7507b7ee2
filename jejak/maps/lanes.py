"""The data lanes of a journey map, as Ibis queries over the build's tables, for some people and dates.

Each function returns a table keyed by `stage`; `journey_map.assemble` turns the
executed rows into the map. `Scope` narrows everything to a persona's people (a
table with `person_id`) and keeps interactions, milestones and feedback inside the
dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from jejak.analytics.funnels import Funnel
from jejak.analytics.funnels import funnel_steps as steps_of_funnel
from jejak.core.vocabulary import CALL_EVENT, TICKET_EVENT
from jejak.engine import whole_epoch_seconds
from jejak.engine.zones import local_day
from jejak.journeys.events import visit_starts
from jejak.journeys.filters import in_date_range, in_day_range, only_people
from jejak.journeys.sessions import page_visits
from jejak.segments.stages import stage_funnel

SUPPORT_EVENTS = ("call_centre_call", CALL_EVENT, "Support Contacted", TICKET_EVENT, "Live Chat Started")
TOP_PER_STAGE = 5


@dataclass(frozen=True)
class Scope:
    """Whose journeys and when: `people` None means everyone; the days are `zone`'s (the `timezone` setting)."""

    people: ir.Table | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    zone: str = "UTC"

    def keep(self, table: ir.Table, moment: str) -> ir.Table:
        kept = only_people(table, self.people)
        if self.start is not None or self.end is not None:
            kept = kept.filter(in_date_range(kept[moment], self.start, self.end, self.zone))
        return kept


def _top_per_stage(counts: ir.Table, label: str) -> ir.Table:
    """The most frequent `label`s per stage, with their count and share of the stage's total."""
    total = counts.n.sum().over(ibis.window(group_by=counts.stage))
    rank = ibis.row_number().over(group_by=counts.stage, order_by=[ibis.desc(counts.n), counts[label]])
    ranked = counts.mutate(share=counts.n.cast("float64") / total.cast("float64"), _rank=rank)
    return ranked.filter(ranked._rank < TOP_PER_STAGE).drop("_rank").order_by(["stage", ibis.desc("n"), label])


def kpis(milestones: ir.Table, scope: Scope, stages: Sequence[str]) -> ir.Table:
    """Per stage: people reaching it, going on to the next, conversion, median days in it, and revenue there."""
    kept = scope.keep(milestones, "first_at")
    funnel = stage_funnel(kept, stages)
    revenue = kept.group_by(_stage=kept.stage).aggregate(revenue=kept.revenue.sum())
    joined = funnel.left_join(revenue, funnel.stage == revenue._stage)
    return joined.select(*funnel.columns, revenue=joined.revenue.fill_null(0.0)).order_by("stage_number")


def reached(milestones: ir.Table, scope: Scope, stages: Sequence[str]) -> ir.Table:
    """How many people reached any of the map's stages (inside the dates): the people the map is of. One row."""
    kept = scope.keep(milestones, "first_at")
    kept = kept.filter(kept.stage.isin(list(stages)))
    return kept.aggregate(people=kept.person_id.nunique())


def feelings(feedback: ir.Table, scope: Scope) -> ir.Table:
    """Per stage: answers with a score, their mean feeling (−2…+2), and how many were low (−1 or less)."""
    scored = scope.keep(feedback, "timestamp").filter(lambda t: t.feeling.notnull() & t.stage.notnull())
    return scored.group_by("stage").aggregate(
        answers=scored.count(),
        mean_feeling=scored.feeling.mean(),
        low_scores=(scored.feeling <= -1).cast("int64").sum(),
    )


def comments(feedback: ir.Table, scope: Scope) -> ir.Table:
    """Per stage, the comments people wrote most often (the representative thoughts), with their mean feeling."""
    written = scope.keep(feedback, "timestamp").filter(lambda t: t.comment.notnull() & t.stage.notnull())
    counts = written.group_by(["stage", "comment"]).aggregate(n=written.count(), mean_feeling=written.feeling.mean())
    return _top_per_stage(counts, "comment")


def _landings(sessions: ir.Table, events: ir.Table) -> ir.Table:
    """Visits that viewed a page or screen, with the stage of their first interaction (sessions whose first one has
    no stage drop out)."""
    viewed = page_visits(sessions)
    starts = events.filter(visit_starts(events) & events.stage.notnull()).select(
        _session_id=events.session_id, stage=events.stage
    )
    return viewed.join(starts, viewed.session_id == starts._session_id)


def _bounce_rates(pages: ir.Table, min_entrances: int) -> ir.Table:
    pages = pages.filter(pages.entrances >= min_entrances)
    return pages.mutate(bounce_rate=pages.bounces.cast("float64") / pages.entrances.cast("float64"))


def _step_stages(counts: ir.Table) -> ir.Table:
    """The stage each funnel step's event is most often in, from (event, stage, n) counts."""
    most = ibis.struct({"n": counts.n, "stage": counts.stage})
    return counts.group_by("event").aggregate(stage=counts.stage.argmax(most))


def support_contacts(events: ir.Table, milestones: ir.Table, scope: Scope) -> ir.Table:
    """People in the Experience-type stages who contacted support, per stage, against the people in the stage."""
    kept = scope.keep(events, "timestamp")
    contacts = kept.filter(kept.event.isin(list(SUPPORT_EVENTS)) & kept.stage.notnull())
    contacted = contacts.group_by("stage").aggregate(contacted=contacts.person_id.nunique(), contacts=contacts.count())
    reached = scope.keep(milestones, "first_at")
    people = reached.group_by(_stage=reached.stage).aggregate(people=reached.count())
    joined = contacted.join(people, contacted.stage == people._stage)
    return joined.select("stage", "contacted", "contacts", "people")


@dataclass(frozen=True)
class DayRollups:
    """Day-by-day counts behind the map's interaction and bounce lanes, for one set of people (kept by callers).

    A date range then sums its days instead of scanning every event: `interaction_days` counts staged
    interactions per (day, stage, event, channel, page_path), `bounce_days` page visits' entrances and
    single-view bounces per (day, stage, landing_page). Days are the zone's, numbered from 1970 (`local_day`),
    as `in_date_range` cuts them.
    """

    interaction_days: ir.Table
    bounce_days: ir.Table


def interaction_days(events: ir.Table, zone: str) -> ir.Table:
    """Staged interactions counted per day (of `zone`), stage, event, channel and page path (`DayRollups`).

    Over a range of days, the lanes take per stage the most frequent events (what people do there), the
    channels and page paths people use there with shares of the stage's interactions, and the stage each
    funnel step's event is most often in (to file the funnel's drop-off under).
    """
    staged = events.filter(events.stage.notnull())
    return staged.group_by(
        day=local_day(staged.epoch_seconds, zone),
        stage=staged.stage,
        event=staged.event,
        channel=staged.channel,
        page_path=staged.page_path,
    ).aggregate(n=staged.count())


def bounce_days(sessions: ir.Table, events: ir.Table, zone: str) -> ir.Table:
    """Entrances (visits that viewed a page or screen) and single-view bounces per day (of `zone`), stage of the
    first interaction, landing page."""
    joined = _landings(sessions, events)
    return joined.group_by(
        day=local_day(whole_epoch_seconds(joined.started_at), zone),
        stage=joined.stage,
        landing_page=joined.landing_page,
    ).aggregate(entrances=joined.count(), bounces=(joined.page_views == 1).cast("int64").sum())


def _in_days(table: ir.Table, scope: Scope) -> ir.Table:
    return table.filter(in_day_range(table.day, scope.start, scope.end))


def _rolled_lanes(
    rollups: DayRollups, scope: Scope, min_entrances: int, funnel_steps: Sequence[str]
) -> dict[str, ir.Table]:
    """The interaction and bounce lanes from the day rollups of the scope's people, over its dates."""
    days = _in_days(rollups.interaction_days, scope)
    actions = days.group_by(["stage", "event"]).aggregate(n=days.n.sum())
    lanes = {"actions": _top_per_stage(actions.mutate(event=actions.event.fill_null("(not set)")), "event")}
    for lane, by, rows in (
        ("channels", "channel", days),
        ("pages", "page_path", days.filter(days.page_path.notnull())),
    ):
        valued = rows.mutate(_value=rows[by].fill_null("(not set)"))
        counts = valued.group_by(["stage", "_value"]).aggregate(n=valued.n.sum()).rename({by: "_value"})
        lanes[lane] = _top_per_stage(counts, by)
    if len(funnel_steps) >= 2:
        stepped = days.filter(days.event.isin(list(funnel_steps)))
        counts = stepped.group_by(["event", "stage"]).aggregate(n=stepped.n.sum())
        lanes["step_stages"] = _step_stages(counts)
    landed = _in_days(rollups.bounce_days, scope)
    pages = landed.group_by(["stage", "landing_page"]).aggregate(
        entrances=landed.entrances.sum(), bounces=landed.bounces.sum()
    )
    lanes["bounce"] = _bounce_rates(pages, min_entrances)
    return lanes


def all_lanes(
    events: ir.Table,
    milestones: ir.Table,
    sessions: ir.Table,
    feedback: ir.Table,
    scope: Scope,
    stages: Sequence[str],
    *,
    min_entrances: int,
    funnel_steps: Sequence[str] = (),
    funnel_window_days: int = 14,
    funnel_attempts: ir.Table | None = None,
    rollups: DayRollups | None = None,
) -> dict[str, ir.Table]:
    """Every lane query `journey_map.assemble` needs, by name.

    The key funnel counts, like the funnels page, each person's best attempt that began inside the dates
    (its later steps may come after them, inside the window). `funnel_attempts`, when the caller kept them,
    are those attempts (`analytics.funnels.attempts` of `map_funnel` over the scope's people and dates).
    The interaction and bounce lanes sum day-by-day counts of the scope's people (`DayRollups`): `rollups`
    when the caller kept them, else counted here.
    """
    lanes: dict[str, ir.Table] = {}
    if len(funnel_steps) >= 2:
        funnel = Funnel.of(
            funnel_steps,
            window_seconds=funnel_window_days * 86_400,
            start=scope.start,
            end=scope.end,
            zone=scope.zone,
        )
        lanes["funnel"] = steps_of_funnel(only_people(events, scope.people), funnel, tried=funnel_attempts)
    if rollups is None:
        # Counted on the spot for the scope's people (a caller that keeps them reads them instead).
        rollups = DayRollups(
            interaction_days(only_people(events, scope.people), scope.zone),
            bounce_days(only_people(sessions, scope.people), events, scope.zone),
        )
    return (
        lanes
        | _rolled_lanes(rollups, scope, min_entrances, funnel_steps)
        | {
            "kpis": kpis(milestones, scope, stages),
            "reached": reached(milestones, scope, stages),
            "feelings": feelings(feedback, scope),
            "comments": comments(feedback, scope),
            "support": support_contacts(events, milestones, scope),
        }
    )
