"""The customer journey map as data: stages as columns, lanes as rows, each cell marked data or manual.

`assemble` takes the executed lanes (`jejak.maps.lanes`) and the notes people typed
(`jejak.maps.notes`) and returns a `JourneyMap`. Pain points are found by rules on
the numbers, each with the number that is its evidence:
- the largest drop-off between two stages;
- landing pages of a stage whose single-view bounce is high (at least 1.5 times the
  map's overall rate and at least 40 %, among pages with enough entrances);
- the largest step-to-step drop of the key funnel (`map_funnel`, the e-commerce
  checkout by default), in the stage of the step people fail to reach;
- the stage people stay in longest, when its median days are at least twice the
  next longest stage's and at least one day;
- support contacts (the share of people in the stage who contacted support);
- low scores (the share of answers at −1 or below, when at least a quarter).
Opportunities are suggestions written from the pain points by rule, marked as such;
people add their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jejak.maps.sentences import SENTENCES, SUGGESTIONS, in_languages, whole_percent

DATA = "data"
MANUAL = "manual"
SUGGESTED = "suggested"
LANES = ("actions", "touchpoints", "kpis", "thoughts", "feelings", "pain_points", "opportunities")
HIGH_BOUNCE_FACTOR = 1.5
HIGH_BOUNCE_FLOOR = 0.40
LONG_STAGE_FACTOR = 2.0
LOW_SCORE_SHARE = 0.25
SUPPORT_SHARE = 0.05


@dataclass(frozen=True)
class Item:
    """One line in a cell: what it says, where it comes from (data, manual, suggested), and its numbers. A pain point
    or a suggestion also names the rule that wrote it and says itself in the other languages (`texts`, by
    language); `text` is English, as the JSON and CSV twins keep it. A typed note is in the language it was typed in.
    """

    text: str
    source: str = DATA
    value: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    rule: str = ""
    texts: Mapping[str, str] = field(default_factory=dict)

    def said(self, lang: str) -> str:
        """What the item says in `lang`."""
        return self.texts.get(lang, self.text)


def _ruled(rule: str, facts: Mapping[str, Any], evidence: Mapping[str, Any]) -> Item:
    """A pain point found by `rule`, written in every language from its facts."""
    text, texts = in_languages(SENTENCES, rule, **facts)
    return Item(text, evidence=evidence, rule=rule, texts=texts)


@dataclass
class StageColumn:
    """One stage of the map, with every lane."""

    stage: str
    actions: list[Item] = field(default_factory=list)
    touchpoints: list[Item] = field(default_factory=list)
    kpis: dict[str, float | int | None] = field(default_factory=dict)
    thoughts: list[Item] = field(default_factory=list)
    feeling: Item | None = None  # as-is, −2…+2
    feeling_to_be: Item | None = None
    pain_points: list[Item] = field(default_factory=list)
    opportunities: list[Item] = field(default_factory=list)


@dataclass
class JourneyMap:
    """A persona's (or everyone's) journey over some dates."""

    persona: str
    start: dt.date | None
    end: dt.date | None
    people: int
    stages: list[StageColumn]

    def column(self, stage: str) -> StageColumn:
        return next(column for column in self.stages if column.stage == stage)


def _by_stage(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row["stage"]), []).append(row)
    return grouped


def assemble(
    persona: str,
    stages: Sequence[str],
    lanes: Mapping[str, Sequence[Mapping[str, Any]]],
    notes: Sequence[Mapping[str, Any]] = (),
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> JourneyMap:
    """The map from executed lanes (actions, channels, pages, kpis, reached, feelings, comments, bounce, support) and
    notes."""
    actions, channels, pages = _by_stage(lanes["actions"]), _by_stage(lanes["channels"]), _by_stage(lanes["pages"])
    comments, feelings = _by_stage(lanes["comments"]), {str(r["stage"]): r for r in lanes["feelings"]}
    kpis = {str(row["stage"]): row for row in lanes["kpis"]}
    columns = []
    for stage in stages:
        column = StageColumn(stage)
        column.actions = [Item(str(r["event"]), value=r["n"]) for r in actions.get(stage, [])]
        column.touchpoints = [
            Item(f"{r['channel']} ({whole_percent(r['share'])})", value=r["share"]) for r in channels.get(stage, [])
        ] + [Item(f"{r['page_path']} ({whole_percent(r['share'])})", value=r["share"]) for r in pages.get(stage, [])]
        row = kpis.get(stage, {})
        column.kpis = {
            name: row.get(name)
            for name in ("people", "went_on", "conversion_to_next", "median_days_in_stage", "revenue")
        }
        column.thoughts = [
            Item(f"“{r['comment']}”", value=r["n"], evidence={"answers": r["n"]}) for r in comments.get(stage, [])
        ]
        felt = feelings.get(stage)
        if felt is not None:
            column.feeling = Item(
                f"{felt['mean_feeling']:+.1f}", value=felt["mean_feeling"], evidence={"answers": felt["answers"]}
            )
        columns.append(column)
    # Everyone who reached some stage, not the busiest stage's people: that is only a lower bound (on the
    # walkthrough data 2,324 of 2,603 people; most people reach some stages and not others).
    people = int(lanes["reached"][0]["people"] or 0) if lanes["reached"] else 0
    journey = JourneyMap(persona, start, end, people, columns)
    _find_pain_points(journey, lanes)
    _suggest_opportunities(journey)
    _apply_notes(journey, notes)
    return journey


def _find_pain_points(journey: JourneyMap, lanes: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    columns = journey.stages
    # The largest drop-off: the stage whose people least often go on to a later one (`stage_funnel`). A stage with
    # no later stage anyone reached is left out: the data has no events of those (a shop with only its sales
    # imported has no Experience, and buyers who never bought again are not told apart from that gap).
    candidates = [
        c
        for number, c in enumerate(columns)
        if c.kpis.get("conversion_to_next") is not None
        and c.kpis.get("people")
        and any(later.kpis.get("people") for later in columns[number + 1 :])
    ]
    # A stage everyone left for a later one is no drop-off: with few people (a shop's first weeks) every stage can be.
    candidates = [c for c in candidates if int(c.kpis.get("went_on") or 0) < int(c.kpis["people"] or 0)]
    if candidates:
        worst = min(candidates, key=lambda c: float(c.kpis["conversion_to_next"] or 0.0))
        later_stages = [c.stage for c in columns[columns.index(worst) + 1 :] if c.kpis.get("people")]
        people, went = int(worst.kpis["people"] or 0), int(worst.kpis["went_on"] or 0)
        worst.pain_points.append(
            _ruled(
                "largest_drop",
                {"share": 1 - went / people, "stage": worst.stage, "lost": people - went, "people": people},
                {"people": people, "went_on": went, "later_stages": later_stages},
            )
        )
    bounce = lanes["bounce"]
    entrances = sum(int(r["entrances"]) for r in bounce)
    overall = sum(int(r["bounces"]) for r in bounce) / entrances if entrances else 0.0
    threshold = max(overall * HIGH_BOUNCE_FACTOR, HIGH_BOUNCE_FLOOR)
    for row in sorted(bounce, key=lambda r: -float(r["bounce_rate"])):
        if float(row["bounce_rate"]) >= threshold and str(row["stage"]) in {c.stage for c in columns}:
            facts = {
                "rate": float(row["bounce_rate"]),
                "page": str(row["landing_page"]),
                "average": overall,
                "bounces": int(row["bounces"]),
                "entrances": int(row["entrances"]),
            }
            journey.column(str(row["stage"])).pain_points.append(
                _ruled(
                    "high_bounce",
                    facts,
                    {"page": row["landing_page"], "bounce_rate": row["bounce_rate"], "average": overall},
                )
            )
    # Slow: the stage people stay in longest, when it is far longer than the next longest.
    days = sorted(((float(c.kpis.get("median_days_in_stage") or 0.0), c.stage) for c in columns), reverse=True)
    if len(days) > 1 and days[0][0] >= 1 and days[0][0] >= LONG_STAGE_FACTOR * days[1][0]:
        (longest, stage), (runner_up, _) = days[0], days[1]
        journey.column(stage).pain_points.append(
            _ruled(
                "slow",
                {"days": longest, "stage": stage, "next_days": runner_up},
                {"median_days": longest, "next_longest_days": runner_up},
            )
        )
    _funnel_drop(journey, lanes)
    stages = {c.stage for c in columns}
    for row in lanes["support"]:
        _share_pain(
            journey,
            stages,
            row,
            int(row["contacted"]),
            int(row["people"]),
            SUPPORT_SHARE,
            "support",
            ("contacted", "contacts"),
        )
    for row in lanes["feelings"]:
        _share_pain(
            journey,
            stages,
            row,
            int(row["low_scores"]),
            int(row["answers"]),
            LOW_SCORE_SHARE,
            "low_scores",
            ("low_scores", "answers"),
        )


def _share_pain(
    journey: JourneyMap,
    stages: set[str],
    row: Mapping[str, Any],
    part: int,
    whole: int,
    threshold: float,
    rule: str,
    counts: Sequence[str],
) -> None:
    """A pain point when `part` of `whole` (in the row's stage) reaches the threshold share; `counts` are the row's
    numbers its sentence names."""
    share = part / whole if whole else 0.0
    if share >= threshold and str(row["stage"]) in stages:
        facts = {"share": share, "stage": str(row["stage"]), **{name: int(row[name]) for name in counts}}
        journey.column(str(row["stage"])).pain_points.append(_ruled(rule, facts, {**row, "share": share}))


def _funnel_drop(journey: JourneyMap, lanes: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """The largest step-to-step drop of the key funnel, in the stage of the step people fail to reach."""
    steps = [
        row for row in lanes.get("funnel", []) if row["step_number"] > 1 and row["conversion_from_previous"] is not None
    ]
    if not steps:
        return
    worst = min(steps, key=lambda row: float(row["conversion_from_previous"]))
    previous = next(row for row in lanes["funnel"] if row["step_number"] == worst["step_number"] - 1)
    stage_of = {str(row["event"]): str(row["stage"]) for row in lanes.get("step_stages", [])}
    stage = stage_of.get(str(worst["step"]))
    if stage is None or stage not in {c.stage for c in journey.stages} or not previous["people"]:
        return
    lost = int(previous["people"]) - int(worst["people"])
    if lost <= 0:  # every step kept its people: no drop to show
        return
    facts = {
        "share": 1 - float(worst["conversion_from_previous"]),
        "step_from": str(previous["step"]),
        "step_to": str(worst["step"]),
        "lost": lost,
        "people": int(previous["people"]),
    }
    evidence = {"from": previous["step"], "to": worst["step"], "lost": lost, "people": previous["people"]}
    journey.column(stage).pain_points.append(_ruled("funnel_drop", facts, evidence))


def _suggest_opportunities(journey: JourneyMap) -> None:
    for column in journey.stages:
        for pain in column.pain_points:
            if pain.rule not in SUGGESTIONS:
                continue
            facts = {
                "stage": column.stage,
                "page": pain.evidence.get("page", ""),
                "step_from": pain.evidence.get("from", ""),
                "step_to": pain.evidence.get("to", ""),
            }
            text, texts = in_languages(SUGGESTIONS, pain.rule, **facts)
            column.opportunities.append(Item(text, source=SUGGESTED, rule=pain.rule, texts=texts))


def _apply_notes(journey: JourneyMap, notes: Sequence[Mapping[str, Any]]) -> None:
    """Typed notes join their lane; a typed feeling replaces the data one (as-is) or sets the to-be curve."""
    for note in notes:
        stage = str(note["stage"])
        if stage not in {c.stage for c in journey.stages}:
            continue
        column = journey.column(stage)
        lane, text, value = str(note["lane"]), str(note.get("text") or ""), note.get("value")
        item = Item(text, source=MANUAL, value=None if value is None else float(value))
        if lane == "feeling":
            column.feeling = Item(f"{float(value or 0):+.1f}", source=MANUAL, value=float(value or 0))
        elif lane == "feeling_to_be":
            column.feeling_to_be = Item(f"{float(value or 0):+.1f}", source=MANUAL, value=float(value or 0))
        elif lane in ("thoughts", "pain_points", "opportunities", "actions", "touchpoints"):
            getattr(column, lane).append(item)
