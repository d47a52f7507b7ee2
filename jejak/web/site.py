"""The dashboard's pages, in menu order: one line each (the handlers live in their own modules)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response

from jejak.web.pages import Page, attribution, bounce, devices, flows, funnels, multi_channel, overview

PAGES: tuple[Page, ...] = (
    Page("overview", overview),
    Page("attribution", attribution, template="attribution.html"),
    Page("reports", multi_channel, template="reports.html"),
    Page("devices", devices, template="devices.html"),
    Page("funnels", funnels, template="funnels.html"),
    Page("flows", flows, template="flows.html"),
    Page("bounce", bounce, template="bounce.html"),
)

# Extra GET routes (path, view), behind the same login as the pages: e.g. a page's file exports.
EXTRA_ROUTES: tuple[tuple[str, Callable[[Request], Response]], ...] = ()
