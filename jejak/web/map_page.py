"""The Journey map page (`/map`): a persona's map as on the wall, notes and feelings typed in the page, PDF and PNG.

The map is the one `jejak map` draws (`service.maps.journey_map_of`, drawn by
`maps.render.map_grid`, which escapes every text). The forms add a note to a lane of a
stage, set a stage's feeling (as is or to be) and delete a typed note: all kept in SQLite by
`maps.notes`, shown as manual after the redirect. `/map.pdf` and `/map.png` print the same
map through headless Chromium (`maps.browser`).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from jejak.core.errors import SettingError
from jejak.core.typed import whole_number
from jejak.maps.journey_map import LANES, JourneyMap
from jejak.maps.notes import EVERYONE, FEELING_LANES, TEXT_LANES, add_note, delete_note, notes_for
from jejak.maps.render import MAP_STYLE, labels, map_dates, map_grid, map_title
from jejak.maps.sentences import stage_label
from jejak.segments.personas import find_persona
from jejak.service.maps import journey_map_of, map_stages, print_map
from jejak.web.i18n import LANGUAGES
from jejak.web.pages import PageContext, PageResult, Section, parse_scope

KINDS = {"pdf": "application/pdf", "png": "image/png"}
SCOPE_FIELDS = ("from", "to", "persona")
MAX_NOTE = 2000


def map_rows(journey: JourneyMap) -> list[dict[str, Any]]:
    """Everything on the map as rows (stage, lane, text, source, value): the page's table and CSV."""
    rows: list[dict[str, Any]] = []
    for column in journey.stages:
        for lane in LANES:
            if lane == "kpis":
                rows += [
                    {"stage": column.stage, "lane": lane, "text": name, "source": "data", "value": value}
                    for name, value in column.kpis.items()
                ]
            elif lane == "feelings":
                for name in FEELING_LANES:
                    item = getattr(column, name)
                    if item is not None:
                        rows.append(
                            {
                                "stage": column.stage,
                                "lane": name,
                                "text": item.text,
                                "source": item.source,
                                "value": item.value,
                            }
                        )
            else:
                rows += [
                    {"stage": column.stage, "lane": lane, "text": item.text, "source": item.source, "value": item.value}
                    for item in getattr(column, lane)
                ]
    return rows


def journey_map(ctx: PageContext) -> PageResult:
    journey = journey_map_of(ctx.project, ctx.scope.persona, ctx.scope.start, ctx.scope.end)
    words = labels(ctx.lang)
    notes = notes_for(ctx.project.sqlite_path, ctx.scope.persona or EVERYONE)
    extra = {
        "journey": dataclasses.asdict(journey),
        "notes": notes,
        "title": map_title(journey, ctx.lang),
        "dates": map_dates(journey, ctx.lang),
        "stage_labels": {column.stage: stage_label(column.stage, ctx.lang) for column in journey.stages},
        "text_lanes": [{"lane": lane, "label": words[lane]} for lane in TEXT_LANES],
        "lane_labels": {
            **{lane: words[lane] for lane in TEXT_LANES},
            "feeling": f"{words['feelings']} ({words['as_is']})",
            "feeling_to_be": f"{words['feelings']} ({words['to_be']})",
        },
        "map_html": map_grid(journey, ctx.lang),  # every text in it escaped by maps.render
    }
    return PageResult([Section("map", map_rows(journey))], extra)


# --- the forms ------------------------------------------------------------------------------------


def _back(form: FormData, anchor: str = "") -> RedirectResponse:
    """Back to the map with the filters the form was sent from (a reload then shows the change)."""
    kept = {name: str(form.get(name) or "") for name in SCOPE_FIELDS if form.get(name)}
    query = f"?{urllib.parse.urlencode(kept)}" if kept else ""
    return RedirectResponse(f"/map{query}{anchor}", status_code=303)


def _persona_and_stage(request: Request, form: FormData) -> tuple[str, str]:
    """The form's persona ("" for everyone; it must exist) and stage (one of the map's columns)."""
    project = request.app.state.project
    persona = str(form.get("persona") or "").strip()
    if persona:
        find_persona(project.sqlite_path, persona)
    stage = str(form.get("stage") or "")
    stages = map_stages(project)
    if stage not in stages:
        raise SettingError(f"The map's stages are {', '.join(stages)}; there is no stage {stage!r}.")
    return persona, stage


async def add_map_note(request: Request) -> Response:
    """A typed note in a text lane (thoughts, pain points, opportunities, actions, touchpoints) of a stage."""
    form = await request.app.state.checked_form(request)
    persona, stage = _persona_and_stage(request, form)
    lane = str(form.get("lane") or "")
    if lane not in TEXT_LANES:
        raise SettingError(f"A note goes in one of {', '.join(TEXT_LANES)}, not {lane!r}.")
    text = str(form.get("text") or "")
    if len(text) > MAX_NOTE:
        raise SettingError(f"A note is at most {MAX_NOTE:,} characters (this one has {len(text):,}).")
    add_note(request.app.state.project.sqlite_path, persona=persona, stage=stage, lane=lane, text=text)
    return _back(form, "#map-notes")


async def set_map_feeling(request: Request) -> Response:
    """A stage's feeling from −2 to +2, as is (replacing the data's) or to be; it replaces the one typed before."""
    form = await request.app.state.checked_form(request)
    persona, stage = _persona_and_stage(request, form)
    lane = str(form.get("lane") or "feeling")
    if lane not in FEELING_LANES:
        raise SettingError(f"A feeling is one of {', '.join(FEELING_LANES)}, not {lane!r}.")
    text = str(form.get("value") or "").strip()
    try:
        value = float(text.replace("−", "-").replace(",", "."))
    except ValueError:
        raise SettingError(f"A feeling is a number from -2 to +2, not {text!r}.") from None
    sqlite_path = request.app.state.project.sqlite_path
    earlier = [
        note["note_id"] for note in notes_for(sqlite_path, persona) if note["stage"] == stage and note["lane"] == lane
    ]
    add_note(sqlite_path, persona=persona, stage=stage, lane=lane, value=value)
    for note_id in earlier:
        delete_note(sqlite_path, int(note_id))
    return _back(form, "#map-feelings")


async def delete_map_note(request: Request) -> Response:
    """Delete one typed note or feeling (the data's feeling shows again)."""
    form = await request.app.state.checked_form(request)
    text = str(form.get("note_id") or "")
    note_id = whole_number(text)
    if note_id is None:
        raise SettingError(f"note_id must be a note's number, not {text!r}.")
    delete_note(request.app.state.project.sqlite_path, note_id)
    return _back(form, "#map-notes")


ACTIONS = {"note": add_map_note, "feeling": set_map_feeling, "delete": delete_map_note}


# --- PDF and PNG ----------------------------------------------------------------------------------


def request_lang(request: Request) -> str:
    """The page language of a request: `lang` in the query, else the remembered one, else English."""
    from jejak.web.app import LANG_COOKIE  # the app imports this module through site.py

    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "en"
    return chosen if chosen in LANGUAGES else "en"


def _printed(request: Request, kind: str) -> Response:
    scope = parse_scope(request.query_params)
    journey = journey_map_of(request.app.state.project, scope.persona, scope.start, scope.end)
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / f"map.{kind}"
        print_map(
            journey, request_lang(request), pdf=target if kind == "pdf" else None, png=target if kind == "png" else None
        )
        body = target.read_bytes()
    name = re.sub(r"[^a-z0-9]+", "-", (scope.persona or "everyone").lower()).strip("-") or "persona"
    return Response(
        body,
        media_type=KINDS[kind],
        headers={"Content-Disposition": f'attachment; filename="journey-map-{name}.{kind}"'},
    )


def map_pdf(request: Request) -> Response:
    """The map on one landscape A3 page, with the page's filters and language."""
    return _printed(request, "pdf")


def map_css(request: Request) -> Response:
    """The wall map's own style rules (`maps.render.MAP_STYLE`), for the page that shows the map."""
    return Response(MAP_STYLE, media_type="text/css")


def map_png(request: Request) -> Response:
    """The map as a picture, with the page's filters and language."""
    return _printed(request, "png")
