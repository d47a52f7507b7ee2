"""The dashboard's pages, in menu order: one line each (the handlers live in their own modules)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response

from jejak.store.project import Project
from jejak.web import data, map_page, people, personas_page
from jejak.web.pages import Page, attribution, bounce, devices, flows, funnels, multi_channel, overview, warm_pages

PAGES: tuple[Page, ...] = (
    Page("overview", overview, cached=True, warm=True),
    Page(
        "attribution",
        attribution,
        template="attribution.html",
        warm=True,
        warm_also=({"by": "campaign"}, {"by": "source_medium"}),
    ),
    Page(
        "reports",
        multi_channel,
        template="reports.html",
        cached=True,
        warm=True,
        warm_also=({"dimension": "source_medium"}, {"dimension": "campaign"}),
    ),
    Page("devices", devices, template="devices.html", cached=True, warm=True),
    Page("funnels", funnels, template="funnels.html", cached=True, warm=True),
    Page("flows", flows, template="flows.html", cached=True, warm=True),
    Page("bounce", bounce, template="bounce.html", cached=True, warm=True),
    Page("map", map_page.journey_map, template="journey_map.html", actions=map_page.ACTIONS, warm=True),
    Page(
        "personas",
        personas_page.personas,
        template="personas.html",
        actions=personas_page.ACTIONS,
        filters=False,
        warm=True,
    ),
    Page("people", people.people, template="people.html", filters=False),
    Page("data", data.data, template="data.html", actions=data.ACTIONS, filters=False),
)


def warm_site(project: Project, on_page: Callable[[str, float], None] | None = None) -> None:
    """Compute every slow page's default view into the last build's cache (`pages.warm_pages`)."""
    warm_pages(project, PAGES, on_page)


# Extra GET routes (path, view), behind the same login as the pages: e.g. a page's file exports.
EXTRA_ROUTES: tuple[tuple[str, Callable[[Request], Response]], ...] = (
    ("/map.pdf", map_page.map_pdf),
    ("/map.png", map_page.map_png),
    ("/map.css", map_page.map_css),
)
