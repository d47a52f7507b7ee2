"""Assisted conversions and top paths read tables kept next to the build; filtered, they equal a fresh computation."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis
import pytest
from conftest import build_demo_with_personas

from jejak.analytics.assisted import assisted_conversions
from jejak.analytics.funnels import Funnel, funnel_steps
from jejak.analytics.paths import top_conversion_paths
from jejak.journeys.dimensions import DIMENSIONS
from jejak.journeys.events import visit_starts
from jejak.journeys.filters import only_people
from jejak.maps.lanes import DayRollups, _top_per_stage, all_lanes, bounce_days, interaction_days
from jejak.maps.lanes import Scope as LaneScope
from jejak.segments.stages import FIVE_STAGES
from jejak.service import reports
from jejak.service.builds import open_build, persona_people
from jejak.service.maps import journey_maps
from jejak.service.reports import Scope
from jejak.store.derived import current_build
from jejak.store.project import Project

PERSONA = "Rina, the Instagram regular"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return build_demo_with_personas(tmp_path_factory.mktemp("kept"), events=12_000, seed=31, file_format="csv")


def _kept(project: Project) -> list[Path]:
    cache = current_build(project) / ".cache"
    names = ("conversion-touches-*.parquet", "journey-paths-*.parquet")
    return sorted(path for name in names for path in cache.glob(name)) if cache.exists() else []


def _rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: round(value, 9) if isinstance(value, float) else value for key, value in row.items()} for row in rows]


SCOPES = (
    Scope(),
    Scope(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)),
    Scope(persona=PERSONA),
    Scope(conversion_types=("Order Completed",), start=dt.date(2026, 3, 1)),
)


@pytest.mark.parametrize("scope", SCOPES, ids=["all", "february", "persona", "orders-from-march"])
def test_assisted_and_top_paths_from_the_kept_tables_equal_a_fresh_computation(project: Project, scope: Scope) -> None:
    with open_build(project) as built:
        chosen = scope.narrowed(built)
        touchpoints, conversions = built.read("touchpoints"), chosen.conversions(built.read("conversions"))
        in_window = built.read("journey_touches")
        lookback = project.settings.lookback_days
        conversions_in_scope = int(built.rows(conversions.aggregate(n=conversions.count()))[0]["n"])
        assert conversions_in_scope > 0, "a scope with no conversion tests nothing"
        for dimension in DIMENSIONS:
            kept = reports.assisted(built, scope, dimension=dimension)["assisted"]
            fresh = built.rows(
                assisted_conversions(
                    touchpoints, conversions, lookback_days=lookback, dimension=dimension, in_window=in_window
                )
            )
            assert _rounded(kept) == _rounded(fresh), dimension
            assert sum(row["last_interaction_conversions"] for row in kept) == conversions_in_scope
            kept_paths = reports.conversion_paths(built, scope, dimension=dimension, top_n=5)["paths"]
            fresh_paths = built.rows(
                top_conversion_paths(
                    touchpoints, conversions, lookback_days=lookback, dimension=dimension, n=5, in_window=in_window
                )
            )
            assert _rounded(kept_paths) == _rounded(fresh_paths), dimension
            assert sum(row["conversions"] for row in kept_paths) == conversions_in_scope


def test_the_tables_are_kept_once_per_build(project: Project) -> None:
    with open_build(project) as built:
        for dimension in DIMENSIONS:
            reports.assisted(built, Scope(), dimension=dimension)
            reports.conversion_paths(built, Scope(persona=PERSONA), dimension=dimension)
        kept = _kept(project)
        # One table of every conversion's touches; paths by each dimension but the channel (by channel they are the
        # build's journeys).
        assert len(kept) == 1 + len(DIMENSIONS) - 1, kept
        stamps = [path.stat().st_mtime_ns for path in kept]
        reports.assisted(built, Scope(start=dt.date(2026, 2, 1)), dimension="campaign")
        reports.conversion_paths(built, Scope(start=dt.date(2026, 2, 1)), dimension="campaign")
        assert _kept(project) == kept
        assert [path.stat().st_mtime_ns for path in kept] == stamps, "a kept table was computed again"


def test_a_persona_narrows_the_event_stream_on_the_integer_person_key_to_the_same_rows(project: Project) -> None:
    with open_build(project) as built:
        people = persona_people(built, PERSONA)
        assert "person_number" in people.columns
        events = built.read("events")
        by_number = only_people(events, people)
        by_id = only_people(events, people.select("person_id"))
        numbered = built.rows(by_number.select("event_id").order_by("event_id"))
        named = built.rows(by_id.select("event_id").order_by("event_id"))
        everyone = built.rows(events.aggregate(n=events.count()))[0]["n"]
        assert 0 < len(numbered) < everyone
        assert numbered == named


@pytest.mark.parametrize("persona", [None, PERSONA])
def test_the_map_funnel_over_dates_is_the_funnel_of_attempts_begun_in_them(
    project: Project, persona: str | None
) -> None:
    start, end = dt.date(2026, 2, 1), dt.date(2026, 2, 14)
    cache = current_build(project) / ".cache"
    before = set(cache.glob("map-lanes-*.json")) if cache.exists() else set()
    journey_maps(project, [persona], start, end)
    (written,) = set(cache.glob("map-lanes-*.json")) - before
    lanes = json.loads(written.read_text(encoding="utf-8"))
    settings = project.settings
    with open_build(project) as built:
        people = persona_people(built, persona) if persona else None
        fresh = built.rows(
            funnel_steps(
                only_people(built.read("events"), people),
                Funnel.of(
                    settings.map_funnel,
                    window_seconds=settings.funnel_window_days * 86_400,
                    start=start,
                    end=end,
                    zone=settings.timezone,
                ),
            )
        )
    assert fresh[0]["people"] > 0
    assert [(row["step"], row["people"]) for row in lanes["funnel"]] == [(row["step"], row["people"]) for row in fresh]


@pytest.mark.parametrize("persona", [None, PERSONA])
def test_the_map_lanes_from_day_rollups_equal_the_scans(project: Project, persona: str | None) -> None:
    settings = project.settings
    with open_build(project) as built:
        people = persona_people(built, persona) if persona else None
        events, sessions = built.read("events"), built.read("sessions")
        rollups = DayRollups(
            interaction_days(only_people(events, people), settings.timezone),
            bounce_days(only_people(sessions, people), events, settings.timezone),
        )
        for start, end in ((None, None), (dt.date(2026, 2, 1), dt.date(2026, 2, 14)), (dt.date(2026, 3, 3), None)):
            scope = LaneScope(people, start, end, settings.timezone)

            queries = all_lanes(
                events,
                built.read("person_stages"),
                sessions,
                built.read("feedback"),
                scope,
                list(FIVE_STAGES),
                min_entrances=2,
                funnel_steps=settings.map_funnel,
                rollups=rollups,
            )
            rolled = {name: sorted(built.rows(query), key=repr) for name, query in queries.items()}
            scans = _scanned_lanes(events, sessions, scope, settings.map_funnel, min_entrances=2)
            scanned = {name: sorted(built.rows(query), key=repr) for name, query in scans.items()}
            for name in ("actions", "channels", "pages", "step_stages", "bounce"):
                assert scanned[name], f"{name} is empty for {start}–{end}: the comparison tests nothing"
                assert _rounded(rolled[name]) == _rounded(scanned[name]), (name, start, end)


def _scanned_lanes(
    events: Any, sessions: Any, scope: LaneScope, funnel_steps: Sequence[str], *, min_entrances: int
) -> dict[str, Any]:
    """The interaction and bounce lanes counted straight from the events and sessions in the scope (the reference)."""
    staged = scope.keep(events, "timestamp").filter(lambda t: t.stage.notnull())
    lanes = {}
    counts = staged.group_by(["stage", "event"]).aggregate(n=staged.count())
    lanes["actions"] = _top_per_stage(counts.mutate(event=counts.event.fill_null("(not set)")), "event")
    for lane, by, rows in (
        ("channels", "channel", staged),
        ("pages", "page_path", staged.filter(staged.page_path.notnull())),
    ):
        valued = rows.mutate(_value=rows[by].fill_null("(not set)"))
        counted = valued.group_by(["stage", "_value"]).aggregate(n=valued.count()).rename({by: "_value"})
        lanes[lane] = _top_per_stage(counted, by)
    stepped = staged.filter(staged.event.isin(list(funnel_steps)))
    per_step = stepped.group_by(["event", "stage"]).aggregate(n=stepped.count())
    most = ibis.struct({"n": per_step.n, "stage": per_step.stage})
    lanes["step_stages"] = per_step.group_by("event").aggregate(stage=per_step.stage.argmax(most))
    # Entrances are visits that viewed a page or screen (a chat or a marketplace order lands on none).
    online = scope.keep(sessions, "started_at").filter(lambda t: t.visit & (t.page_views > 0))
    starts = events.filter(visit_starts(events) & events.stage.notnull()).select(
        _session_id=events.session_id, stage=events.stage
    )
    landed = online.join(starts, online.session_id == starts._session_id)
    pages = landed.group_by(["stage", "landing_page"]).aggregate(
        entrances=landed.count(), bounces=(landed.page_views == 1).cast("int64").sum()
    )
    pages = pages.filter(pages.entrances >= min_entrances)
    lanes["bounce"] = pages.mutate(bounce_rate=pages.bounces.cast("float64") / pages.entrances.cast("float64"))
    return lanes


# Each report command with its own options, the service call whose answer it must print, and the filters it takes.
COMMANDS: dict[str, tuple[tuple[str, ...], Any, tuple[str, ...]]] = {
    "paths": (
        ("paths", "--dimension", "campaign"),
        lambda built, scope: reports.conversion_paths(built, scope, dimension="campaign")["paths"],
        ("persona-and-days", "conversion-type"),
    ),
    "assisted": (
        ("assisted",),
        lambda built, scope: reports.assisted(built, scope)["assisted"],
        ("persona-and-days", "conversion-type"),
    ),
    "devices": (
        ("devices", "--by", "os"),
        lambda built, scope: reports.devices(built, scope, by="os"),
        ("persona-and-days", "conversion-type", "channel"),
    ),
    "bounce": (
        ("bounce", "--by", "channel"),
        lambda built, scope: reports.bounce_rates(built, scope, by="channel")["bounce"],
        ("persona-and-days", "channel"),  # bounce counts visits: no conversion type narrows it
    ),
    "timelag": (
        ("timelag", "--by-first-channel"),
        lambda built, scope: reports.histogram(built, scope, kind="timelag", by_first_channel=True)["histogram"],
        ("persona-and-days", "conversion-type", "channel"),
    ),
    "funnel": (
        ("funnel", "Product Viewed", "Order Completed", "--top", "3"),
        lambda built, scope: reports.funnel(
            built,
            scope,
            reports.FunnelQuery(("Product Viewed", "Order Completed"), None, None, (), None, 3, None, None),
        ),
        ("persona-and-days",),
    ),
    "flows": (
        ("flows", "--from-event", "Product Viewed", "--steps", "2"),
        lambda built, scope: reports.flows(built, scope, start_event="Product Viewed", end_event=None, steps=2),
        ("persona-and-days",),
    ),
}
# The demo's conversions run from 2 January to 28 March 2026, all of them orders.
FILTERS = {
    "persona-and-days": (
        ("--from", "2026-02-01", "--to", "2026-03-15", "--persona", PERSONA),
        Scope(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 15), persona=PERSONA),
    ),
    "conversion-type": (
        ("--conversion-type", "Subscription Started"),
        Scope(conversion_types=("Subscription Started",)),
    ),
    "channel": (("--channel", "Direct"), Scope(channel="Direct")),
}
CASES = [(command, kind) for command, (_, _, kinds) in COMMANDS.items() for kind in kinds]


@pytest.mark.parametrize(("command", "kind"), CASES, ids=[f"{command}-{kind}" for command, kind in CASES])
def test_each_report_command_prints_the_service_answer_for_its_filters(
    project: Project, command: str, kind: str
) -> None:
    """The terminal's number is the service's: --from, --to, --persona, --conversion-type and --channel reach it."""
    from click.testing import CliRunner

    from jejak.cli.main import cli

    arguments, answer, _ = COMMANDS[command]
    options, scope = FILTERS[kind]
    printed = CliRunner().invoke(
        cli, ["report", *arguments, *options, "--format", "json", "--project", str(project.root)]
    )
    assert printed.exit_code == 0, printed.output
    with open_build(project) as built:
        expected = json.loads(json.dumps(answer(built, scope), default=str))
        unfiltered = json.loads(json.dumps(answer(built, Scope()), default=str))
    assert json.loads(printed.stdout) == expected
    assert expected != unfiltered, "the filter changes nothing here: the test would not see it dropped"
