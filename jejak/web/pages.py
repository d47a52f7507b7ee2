"""The dashboard's pages: each one a handler that returns sections of rows, a template, and its POST actions.

A handler gets the request's project, scope (dates, persona) and query parameters, runs one
`service.reports` function on the last build, and says which figure (a `web.figures`
builder) draws each section. The app (`app.py`) turns the same result into HTML, JSON and CSV.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response

from jejak.attribution.compare import MODELS
from jejak.core.errors import SettingError
from jejak.core.settings import PATH_TRANSFORMS, RESAMPLES_MOST
from jejak.segments.personas import load_personas
from jejak.service import reports
from jejak.service.attribution import (
    ATTRIBUTE_BY,
    AttributionQuery,
    cached_attribution,
    currency_note,
    dimension_note,
    honest_label,
    markov_order_note,
    spend_note_text,
    unsteady_credit_note,
)
from jejak.service.builds import open_build
from jejak.service.cache import cached
from jejak.service.reports import DIMENSIONS, FunnelQuery, Scope
from jejak.store.project import Project

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class PageContext:
    """What a page handler knows about the request."""

    project: Project
    scope: Scope
    params: Mapping[str, str]
    lang: str

    def scope_json(self) -> dict[str, Any]:
        return {
            "from": self.scope.start.isoformat() if self.scope.start else None,
            "to": self.scope.end.isoformat() if self.scope.end else None,
            "persona": self.scope.persona,
        }

    def question(self) -> tuple[tuple[str, str], ...]:
        """The query parameters that make the page's answer: all but the language, in order."""
        return tuple(sorted((key, value) for key, value in self.params.items() if key != "lang"))

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        """A query parameter that must be one of `allowed` (the default when absent)."""
        value = self.params.get(name) or default
        if value not in allowed:
            raise SettingError(f"{name} must be one of {', '.join(allowed)} (not {value!r}).")
        return value

    def number(self, name: str, default: int, low: int, high: int) -> int:
        text = self.params.get(name) or ""
        if not text:
            return default
        try:
            value = int(text)
        except ValueError:
            raise SettingError(f"{name} must be a whole number from {low} to {high} (not {text!r}).") from None
        if not low <= value <= high:
            raise SettingError(f"{name} must be from {low} to {high} (not {value}).")
        return value


@dataclass(frozen=True)
class Section:
    """One table on a page, drawn by the figure builder named `figure` when there is one."""

    key: str
    rows: Rows
    figure: str | None = None


@dataclass(frozen=True)
class PageResult:
    sections: list[Section]
    extra: dict[str, Any] = field(default_factory=dict)  # form state and lists a page's template needs


Action = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Page:
    slug: str  # the URL path and the key of its title in i18n.WORDS
    handler: Callable[[PageContext], PageResult]
    template: str = "page.html"
    actions: Mapping[str, Action] = field(default_factory=dict)
    filters: bool = True  # whether the date and persona filters apply
    # Whether answers are kept per build (`service.cache`): pages whose result is JSON-able and
    # depends only on the build, the settings, SQLite state and the query string (not the language).
    cached: bool = False
    # Whether `jejak build` (and `jejak serve`, for a build made without it) computes the default view ahead:
    # pages whose first view takes seconds on a large build. Their answers, or the slow parts of them (a map's
    # lanes, persona assignments, attribution), are kept in the build's cache, so the first visit reads them.
    warm: bool = False
    # Other views of a warm page computed with its default: the ones a marketer clicks next, whose answers
    # (or the tables kept for them) are not shared with the default view.
    warm_also: tuple[Mapping[str, str], ...] = ()


def run_page(page: Page, ctx: PageContext) -> PageResult:
    """The page's result, from the build's cache when the page allows it and the question was asked before."""
    if not page.cached:
        return page.handler(ctx)
    question = ctx.question()  # the same key as a list: JSON writes tuples as lists

    def compute() -> dict[str, Any]:
        result = page.handler(ctx)
        return {"sections": [dataclasses.asdict(section) for section in result.sections], "extra": result.extra}

    answer = cached(ctx.project, f"page-{page.slug}", question, compute)
    return PageResult([Section(**section) for section in answer["sections"]], answer["extra"])


def warm_pages(project: Project, pages: Sequence[Page], on_page: Callable[[str, float], None] | None = None) -> None:
    """Compute the default view of every page marked `warm` into the build's cache, so a first visit reads it.

    With the setting `precompute_personas`, then each persona document's view of every warm page that
    takes the filters (a persona is a click away on every page, and narrows seconds of queries at 10M
    events). `on_page` hears what was computed (a page, or a persona's pages) and its seconds.
    """

    def warm(page: Page, params: Mapping[str, str]) -> None:
        run_page(page, PageContext(project=project, scope=parse_scope(params), params=params, lang="en"))

    for page in pages:
        if page.warm:
            began = time.perf_counter()
            for params in ({}, *page.warm_also):
                warm(page, params)
            if on_page is not None:
                on_page(f"/{page.slug}", time.perf_counter() - began)
    if not project.settings.precompute_personas:
        return
    for name in persona_names(project):
        began = time.perf_counter()
        for page in pages:
            if page.warm and page.filters:
                warm(page, {"persona": name})
        if on_page is not None:
            on_page(f"persona {name}", time.perf_counter() - began)


def _day(params: Mapping[str, str], name: str) -> dt.date | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SettingError(f"{name} must be a day as YYYY-MM-DD (not {text!r}).") from None


def parse_scope(params: Mapping[str, str]) -> Scope:
    """The date range and persona of a request's query string (`from`, `to`, `persona`)."""
    start, end = _day(params, "from"), _day(params, "to")
    if start and end and start > end:
        raise SettingError(f"from ({start}) is after to ({end}); swap them.")
    return Scope(start=start, end=end, persona=(params.get("persona") or "").strip() or None)


def persona_names(project: Project) -> list[str]:
    return [persona.name for persona in load_personas(project.sqlite_path)]


def _sections(found: Mapping[str, Rows], figures: Mapping[str, str] | None = None) -> list[Section]:
    figures = figures or {}
    return [Section(key, rows, figures.get(key)) for key, rows in found.items()]


def overview(ctx: PageContext) -> PageResult:
    with open_build(ctx.project) as built:
        found = reports.overview(built, ctx.scope)
    return PageResult(_sections(found, {"by_day": "daily_figure", "channels": "channels_figure"}))


def multi_channel(ctx: PageContext) -> PageResult:
    dimension = ctx.choice("dimension", DIMENSIONS, "channel")
    with open_build(ctx.project) as built:
        found = {
            "assisted": reports.assisted(built, ctx.scope, dimension=dimension)["assisted"],
            "paths": reports.conversion_paths(built, ctx.scope, dimension=dimension)["paths"],
            "timelag": reports.histogram(built, ctx.scope, kind="timelag")["histogram"],
            "pathlength": reports.histogram(built, ctx.scope, kind="pathlength")["histogram"],
        }
    figures = {
        "assisted": "assisted_figure",
        "paths": "paths_figure",
        "timelag": "time_lag_figure",
        "pathlength": "path_length_figure",
    }
    return PageResult(
        _sections(found, figures), {"form": {"dimension": dimension}, "choices": {"dimension": DIMENSIONS}}
    )


def devices(ctx: PageContext) -> PageResult:
    by = ctx.choice("by", ("device_type", "os"), "device_type")
    with open_build(ctx.project) as built:
        found = reports.devices(built, ctx.scope, by=by)
    return PageResult(_sections(found, {"devices": "devices_figure"}), {"form": {"by": by}})


def bounce(ctx: PageContext) -> PageResult:
    by = ctx.choice("by", ("page", "channel"), "page")
    with open_build(ctx.project) as built:
        found = reports.bounce_rates(built, ctx.scope, by=by)
    settings = ctx.project.settings
    # The numbers the page's explanation names (written in the page's language when it is drawn).
    definition = {
        "engaged_seconds": settings.bounce_engaged_seconds,
        "min_views": settings.bounce_engaged_min_views,
        "min_entrances": settings.bounce_min_entrances,
    }
    return PageResult(_sections(found, {"bounce": "bounce_figure"}), {"form": {"by": by}, "definition": definition})


DEFAULT_FUNNEL = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")


def funnels(ctx: PageContext) -> PageResult:
    steps = tuple(step.strip() for step in (ctx.params.get("steps") or "").splitlines() if step.strip())
    steps = steps or DEFAULT_FUNNEL
    if len(steps) > 20:
        raise SettingError(f"A funnel has at most 20 steps (this one has {len(steps)}).")
    breakdown = ctx.choice("breakdown", ("", "channel", "device_type", "persona"), "")
    query = FunnelQuery(
        steps=steps,
        order=ctx.choice("order", ("sequential", "strict", "any"), ctx.project.settings.funnel_order),
        window_days=ctx.number("window_days", ctx.project.settings.funnel_window_days, 1, 365),
        breakdown=breakdown or None,
        period=ctx.choice("trend", ("", "day", "week", "month"), "") or None,
    )
    with open_build(ctx.project) as built:
        found = reports.funnel(built, ctx.scope, query)
        names = reports.event_names(built)
    form = {
        "steps": "\n".join(steps),
        "order": query.order,
        "window_days": query.window_days,
        "breakdown": breakdown,
        "trend": query.period or "",
    }
    figures = {"steps": "funnel_figure", "trend": "funnel_trend_figure"}
    return PageResult(_sections(found, figures), {"form": form, "events": names})


def flows(ctx: PageContext) -> PageResult:
    start_event = (ctx.params.get("start_event") or "").strip()
    end_event = (ctx.params.get("end_event") or "").strip()
    steps = ctx.number("steps", 5, 1, 20)
    top_n = ctx.number("top", 5, 1, 20)
    with open_build(ctx.project) as built:
        if not start_event and not end_event:
            start_event = reports.usual_first_event(built) or ""
        names = reports.event_names(built)
        found = reports.flows(
            built,
            ctx.scope,
            start_event=start_event or None,
            end_event=None if start_event else end_event,
            steps=steps,
            top_n=top_n,
            node=ctx.choice("node", ("event", "page"), "event"),
            within=ctx.choice("per", ("session", "person"), "session"),
        )
    form = {"start_event": start_event, "end_event": "" if start_event else end_event, "steps": steps, "top": top_n}
    return PageResult(_sections(found, {"links": "flows_figure"}), {"form": form, "events": names})


def _of_model(shown: str, model: str) -> bool:
    """Whether a comparison row named `shown` is the model `model` (Markov's rows carry its order: markov_2)."""
    return shown == model or (model == "markov" and shown.startswith("markov_"))


def attribution(ctx: PageContext) -> PageResult:
    """Every model side by side with intervals (or one model), with spend and ROAS when spend was imported."""
    settings = ctx.project.settings
    model = ctx.choice("model", ("", *MODELS), "")
    usual = AttributionQuery.defaults(settings)
    # Every model, even when one is picked: one model's rows are the every-model run's, read from its kept
    # answer (each resample's journeys depend only on its number, so a model gets the same intervals alone as
    # beside the others, and its change against last touch comes with it).
    query = AttributionQuery(
        by=ctx.choice("by", ATTRIBUTE_BY, usual.by),
        order=ctx.choice("order", ("1", "2", "3", "4", "auto"), str(usual.order)),
        resamples=ctx.number("resamples", int(usual.resamples or 0), 0, RESAMPLES_MOST),
        transform=ctx.choice("transform", PATH_TRANSFORMS, str(usual.transform)),
        lookback_days=ctx.number("lookback", int(usual.lookback_days or 1), 1, 365),
    )
    with open_build(ctx.project) as built:
        run = cached_attribution(built, ctx.scope, query)
        currencies = currency_note(built, ctx.lang)
    if model:
        run = dataclasses.replace(run, rows=[row for row in run.rows if _of_model(str(row["model"]), model)])
    sections = [Section("comparison", run.rows, "attribution_figure")]
    if run.spend:
        keep = (query.by, "model", "spend", "cost_per_conversion", "roas")
        sections.append(Section("roas", [{key: row.get(key) for key in keep} for row in run.rows]))
    notes = [
        note
        for note in (
            unsteady_credit_note(run.rows, query.by, ctx.lang),
            currencies,
            *(spend_note_text(note, ctx.lang) for note in run.spend_notes),
            dimension_note(query.by, ctx.lang),
            honest_label(ctx.lang),
        )
        if note
    ]
    if run.order_choice is not None and model in ("", "markov"):
        choice = run.order_choice
        notes.insert(0, markov_order_note(choice["order"], choice["log_likelihood"], ctx.lang))
    form = {
        "model": model,
        "by": query.by,
        "order": query.order,
        "resamples": query.resamples,
        "transform": query.transform,
        "lookback": query.lookback_days,
    }
    extra = {
        "form": form,
        "notes": notes,
        "totals": {"conversions": run.conversions, "unique_paths": run.unique_paths},
        "choices": {"model": MODELS, "by": ATTRIBUTE_BY, "transform": PATH_TRANSFORMS},
    }
    return PageResult(sections, extra)
