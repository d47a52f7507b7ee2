"""The Personas page (`/personas`): persona documents with their people, a form to write them, discovery.

- Every persona document (`segments.personas`) with how many people its rules take on the last
  build (`service.personas.people_per_persona`, the assignment every report's `--persona` uses).
- One form creates or edits a persona: text fields, lists one item per line, demographics
  `key: value` per line, rules one per line in the `feature op value` syntax of the YAML and
  `jejak persona add --rule`. A wrong field or rule (also a feature or trait the build lacks) shows
  its message above the form, which keeps what was typed, and nothing is saved.
- `?discover=1` (a button; k-means takes seconds, so never on a plain load) shows the groups
  `jejak persona discover` finds, each with an "adopt as persona" form that saves its draft
  (origin `discovered`).
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from jejak.core.errors import SettingError, TableNotBuiltError
from jejak.maps.notes import move_notes
from jejak.segments.cluster_words import group_words
from jejak.segments.discovery import Cluster
from jejak.segments.personas import (
    LIST_FIELDS,
    NO_PERSONA,
    Persona,
    delete_persona,
    find_persona,
    load_personas,
    persona_from_document,
    save_persona,
)
from jejak.service.personas import (
    adopt_draft,
    check_rules,
    discover_clusters,
    draft_document,
    people_per_persona,
    rule_line,
)
from jejak.web.map_page import request_lang
from jejak.web.pages import PageContext, PageResult, Section, parse_scope, persona_names

FORM_FIELDS = ("name", "priority", "photo", "description", "demographics", *LIST_FIELDS, "rules")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def form_of(persona: Persona | None) -> dict[str, str]:
    """A persona as the form's text fields (an empty form for None)."""
    if persona is None:
        return {name: "" for name in FORM_FIELDS} | {"priority": "100", "original_name": ""}
    return {
        "original_name": persona.name,
        "name": persona.name,
        "priority": str(persona.priority),
        "photo": persona.photo,
        "description": persona.description,
        "demographics": "\n".join(f"{key}: {value}" for key, value in persona.demographics.items()),
        **{name: "\n".join(getattr(persona, name)) for name in LIST_FIELDS},
        "rules": "\n".join(rule_line(rule) for rule in persona.rules),
    }


def document_of(fields: Mapping[str, str], origin: str) -> dict[str, Any]:
    """The form's text fields as a persona document (read by `persona_from_document`, which checks it)."""
    priority = fields.get("priority", "").strip() or "100"
    try:
        number = int(priority)
    except ValueError:
        raise SettingError(f"The priority is a whole number (lower goes first), not {priority!r}.") from None
    demographics: dict[str, str] = {}
    for line in _lines(fields.get("demographics", "")):
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise SettingError(f"Demographics are one `key: value` per line (age: 25-34); {line!r} is not.")
        demographics[key.strip()] = value.strip()
    return {
        "name": fields.get("name", ""),
        "priority": number,
        "photo": fields.get("photo", "").strip() or None,
        "description": fields.get("description", "").strip(),
        "demographics": demographics,
        **{name: _lines(fields.get(name, "")) for name in LIST_FIELDS},
        "rules": _lines(fields.get("rules", "")),
        "origin": origin,
    }


def _counts(ctx: PageContext) -> tuple[dict[str, int] | None, str]:
    """People per persona, or None and why not (no build yet, or a stored rule the build cannot run)."""
    try:
        return people_per_persona(ctx.project), ""
    except TableNotBuiltError:
        return None, ""
    except SettingError as exc:
        return None, exc.message


def personas_view(ctx: PageContext, form: Mapping[str, str] | None = None, error: str = "") -> PageResult:
    """The page's data: `form` and `error` are a refused form's (shown again as typed)."""
    sqlite_path = ctx.project.sqlite_path
    personas = load_personas(sqlite_path)
    counts, counts_error = _counts(ctx)
    editing = (ctx.params.get("edit") or "").strip()
    if form is None:
        form = form_of(find_persona(sqlite_path, editing) if editing else None)
    rows = [
        {
            "name": persona.name,
            "priority": persona.priority,
            "origin": persona.origin,
            "people": counts.get(persona.name, 0) if counts is not None else None,
            "rules": " and ".join(rule_line(rule) for rule in persona.rules),
            "description": persona.description,
        }
        for persona in personas
    ]
    sections = [Section("personas", rows)]
    extra: dict[str, Any] = {
        "documents": [
            persona.as_document() | {"rule_lines": [rule_line(r) for r in persona.rules]} for persona in personas
        ],
        "no_persona": counts.get(NO_PERSONA, 0) if counts is not None else None,
        "built": counts is not None or bool(counts_error),
        "counts_error": counts_error,
        "form": dict(form),
        "error": error,
        "drafts": [],
    }
    if ctx.params.get("discover") == "1":
        wanted = ctx.number("clusters", 0, 0, 20)
        if wanted == 1:
            raise SettingError("Ask for at least 2 groups, or leave the number empty to let the silhouette choose.")
        found = discover_clusters(ctx.project, clusters=wanted or None)
        sections.append(
            Section(
                "clusters",
                [
                    {
                        "number": cluster.number,
                        "name": cluster.draft.name,
                        "people": cluster.size,
                        "share": cluster.share,
                        "traits": "; ".join(cluster.traits),
                        "description": cluster.draft.description,
                        **_suggested_columns(cluster),
                    }
                    for cluster in found.clusters
                ],
            )
        )
        extra["drafts"] = [_draft_card(c, ctx.lang) for c in found.clusters]
        extra["silhouette_by_k"] = {str(k): score for k, score in found.silhouette_by_k.items()}
    return PageResult(sections, extra)


def _draft_card(cluster: Cluster, lang: str) -> dict[str, Any]:
    """A group's card, its traits and its draft's description in the page's language (the JSON twin's are English,
    as the CLI writes them): adopting it saves the description the card shows."""
    traits, described = group_words(cluster.draft.evidence, cluster.size, cluster.share, lang)
    document = {**draft_document(cluster), "description": described}
    return {
        "number": cluster.number,
        "people": cluster.size,
        "share": cluster.share,
        "traits": traits,
        "document": document,
        **_suggested_columns(cluster),
    }


def _suggested_columns(cluster: Cluster) -> dict[str, Any]:
    """The rules suggested for a group, one line each as a persona's form takes them, and how well they take it."""
    suggested = cluster.draft.suggested
    return {
        "rules": "\n".join(rule_line(rule) for rule in suggested.rules),
        "rules_people": suggested.people,
        "rules_recall": suggested.recall,
        "rules_precision": suggested.precision,
    }


def personas(ctx: PageContext) -> PageResult:
    return personas_view(ctx)


# --- the forms ------------------------------------------------------------------------------------


async def _again(request: Request, fields: Mapping[str, str], error: str) -> HTMLResponse:
    """The page again with the refused form as typed and its error above it (400; nothing was saved)."""
    from jejak.web.site import PAGES  # the site lists this module's page

    page = next(page for page in PAGES if page.slug == "personas")
    project = request.app.state.project
    context = PageContext(project, parse_scope({}), {}, request_lang(request))
    response: HTMLResponse = request.app.state.render(
        request,
        page.template,
        status_code=400,
        page=page,
        result=await run_in_threadpool(personas_view, context, fields, error),
        figures={},
        personas=persona_names(project),
        query_string="",
    )
    return response


def _fields(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "") for name in (*FORM_FIELDS, "original_name")}


async def save(request: Request) -> Response:
    """Create a persona, or edit the one named `original_name` (renaming it when the name changed)."""
    form = await request.app.state.checked_form(request)
    fields = _fields(form)
    project = request.app.state.project
    original = fields["original_name"].strip()
    try:
        existing = {persona.name: persona for persona in load_personas(project.sqlite_path)}
        original = original if original in existing else ""  # deleted meanwhile: saved as a new one
        origin = existing[original].origin if original else "manual"
        persona = persona_from_document(document_of(fields, origin), "the persona")
        if persona.name in existing and persona.name != original:
            raise SettingError(f"There is already a persona {persona.name!r}: choose another name, or edit that one.")
        with contextlib.suppress(TableNotBuiltError):  # no build yet: rules are checked once there is one
            await run_in_threadpool(check_rules, project, [persona])
    except SettingError as exc:
        return await _again(request, fields, exc.message)
    save_persona(project.sqlite_path, persona)
    if original and original != persona.name:
        delete_persona(project.sqlite_path, original)
        move_notes(project.sqlite_path, original, persona.name)  # its journey map keeps what people typed
    return RedirectResponse("/personas#section-personas", status_code=303)


async def delete(request: Request) -> Response:
    """Delete a persona document (the people it took fall to the next persona whose rules hold)."""
    form = await request.app.state.checked_form(request)
    delete_persona(request.app.state.project.sqlite_path, str(form.get("name") or ""))
    return RedirectResponse("/personas", status_code=303)


async def adopt(request: Request) -> Response:
    """Save a discovered group's draft as a persona (origin `discovered`), then open it in the form to add rules."""
    form = await request.app.state.checked_form(request)
    fields = _fields(form)
    project = request.app.state.project
    try:
        document = document_of(fields, "discovered")
        name = str(document["name"]).strip()
        if any(persona.name == name for persona in load_personas(project.sqlite_path)):
            raise SettingError(f"There is already a persona {name!r}: rename or delete it before adopting this draft.")
        persona = adopt_draft(project, document)
    except SettingError as exc:
        return await _again(request, fields | {"original_name": ""}, exc.message)
    return RedirectResponse(f"/personas?{urllib.parse.urlencode({'edit': persona.name})}#persona-form", status_code=303)


ACTIONS = {"save": save, "delete": delete, "adopt": adopt}
