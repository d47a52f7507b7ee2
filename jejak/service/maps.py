"""The customer journey map of a persona (or everyone) on the last build: what `jejak map` and the dashboard draw.

The lanes (`maps.lanes`) run on the build's connection for the people a persona's rules take
and the dates, and `maps.journey_map.assemble` adds the notes people typed (`maps.notes`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jejak.analytics.funnels import Funnel
from jejak.journeys.filters import only_people
from jejak.maps.browser import render
from jejak.maps.journey_map import JourneyMap, assemble
from jejak.maps.lanes import DayRollups, Scope, all_lanes, bounce_days, interaction_days
from jejak.maps.notes import EVERYONE, notes_for
from jejak.maps.render import to_html
from jejak.segments.personas import find_persona
from jejak.segments.stages import model_stages
from jejak.service.builds import open_build, persona_people
from jejak.service.cache import cached
from jejak.service.reports import Scope as ReportScope
from jejak.service.reports import best_attempts
from jejak.store.project import Project

# Part of the lanes' cache key: a build's lanes kept by an older jejak (whose funnel lane counted only the steps
# inside the dates; 4: without the `reached` lane) are not read as today's.
LANES_VERSION = 4


def map_stages(project: Project) -> list[str]:
    """The stages of the project's stage model, in order: the columns of every map."""
    settings = project.settings
    return list(model_stages(settings.stage_model, settings.stages))


def journey_map_of(project: Project, persona: str | None, start: dt.date | None, end: dt.date | None) -> JourneyMap:
    """Run the lanes on the current build and assemble the map with the persona's notes."""
    return journey_maps(project, [persona], start, end)[0]


def journey_maps(
    project: Project, personas: Sequence[str | None], start: dt.date | None, end: dt.date | None
) -> list[JourneyMap]:
    """The maps of several personas (None: everyone) on one connection, assigning people to personas once."""
    settings = project.settings
    names = map_stages(project)
    for persona in personas:
        if persona:
            find_persona(project.sqlite_path, persona)  # a clear error before any work
    maps = []
    with open_build(project) as built:
        for persona in personas:

            def run_lanes(persona: str | None = persona) -> dict[str, Any]:
                people = persona_people(built, persona) if persona else None
                events_of = only_people(built.read("events"), people)
                steps = settings.map_funnel
                # The funnel's attempts are kept per persona like the funnels page's, so other dates read them.
                kept_attempts = (
                    best_attempts(
                        built,
                        ReportScope(start=start, end=end, persona=persona),
                        Funnel.of(
                            steps,
                            window_seconds=settings.funnel_window_days * 86_400,
                            start=start,
                            end=end,
                            zone=settings.timezone,
                        ),
                        events_of,
                    )
                    if len(steps) >= 2
                    else None
                )
                # Day-by-day counts of the people's interactions and landings, kept per persona: other dates
                # sum their days instead of scanning the events and sessions again.
                state = ("personas",) if persona else ()
                rollups = DayRollups(
                    built.kept(
                        "map-interaction-days",
                        [persona],
                        lambda: interaction_days(events_of, settings.timezone),
                        state,
                    ),
                    built.kept(
                        "map-bounce-days",
                        [persona],
                        lambda: bounce_days(
                            only_people(built.read("sessions"), people), built.read("events"), settings.timezone
                        ),
                        state,
                    ),
                )
                queries = all_lanes(
                    built.read("events"),
                    built.read("person_stages"),
                    built.read("sessions"),
                    built.read("feedback"),
                    Scope(people, start, end, settings.timezone),
                    names,
                    min_entrances=settings.bounce_min_entrances,
                    funnel_steps=steps,
                    funnel_window_days=settings.funnel_window_days,
                    funnel_attempts=kept_attempts,
                    rollups=rollups,
                )
                return {name: built.rows(query) for name, query in queries.items()}

            # The lanes are the slow part (seconds at 10M events) and depend only on the build, the
            # settings and the persona documents; typed notes are read fresh every time.
            lanes = cached(project, "map-lanes", [LANES_VERSION, persona, start, end], run_lanes, state=("personas",))
            notes = notes_for(project.sqlite_path, persona or EVERYONE)
            maps.append(assemble(persona or "", names, lanes, notes, start=start, end=end))
    return maps


def print_map(journey: JourneyMap, lang: str, *, pdf: Path | None = None, png: Path | None = None) -> None:
    """The map as a one-page landscape PDF and/or a PNG, drawn by headless Chromium from its HTML page."""
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "map.html"
        page.write_text(to_html(journey, lang), encoding="utf-8")
        render(page, pdf=pdf, png=png)
