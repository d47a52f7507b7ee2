"""The dashboard in a real headless Chromium (Debian's, driven by Playwright) against the server on 127.0.0.1.

Each test logs in through the form, records every request the page makes and every console
error, and keeps a screenshot per page under test-artifacts/screenshots/.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jejak.maps.browser import chromium_path
from jejak.web.site import PAGES
from web.conftest import PASSWORD, USER, Dashboard


@dataclass
class Watched:
    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def hosts(self) -> set[str]:
        return {
            urllib.parse.urlsplit(url).hostname or "" for url in self.requests if not url.startswith(("data:", "blob:"))
        }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


def open_logged_in(browser: Any, dashboard: Dashboard, viewport: dict[str, int] | None = None) -> Watched:
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 900})
    watched = Watched(context.new_page())
    watched.page.on("request", lambda request: watched.requests.append(request.url))
    watched.page.on("console", lambda message: watched.errors.append(message.text) if message.type == "error" else None)
    watched.page.on("pageerror", lambda error: watched.errors.append(str(error)))
    watched.page.goto(f"{dashboard.url}/overview")
    watched.page.wait_for_url("**/login?next=/overview")
    watched.page.fill("input[name=name]", USER)
    watched.page.fill("input[name=password]", PASSWORD)
    watched.page.click("form.login button[type=submit]")
    watched.page.wait_for_url("**/overview")
    return watched


def settle(watched: Watched) -> None:
    """Wait until the page's figures are drawn (plotly adds its SVG) or there are none."""
    watched.page.wait_for_load_state("networkidle")
    figures = watched.page.locator("div.figure").count()
    if figures:
        watched.page.wait_for_function(
            "n => document.querySelectorAll('div.figure .main-svg').length >= n", arg=figures, timeout=30_000
        )


def test_every_page_renders_with_no_console_errors_and_no_other_hosts(
    browser: Any, dashboard: Dashboard, screenshots_dir: Path
) -> None:
    watched = open_logged_in(browser, dashboard)
    for page in PAGES:
        watched.page.goto(f"{dashboard.url}/{page.slug}")
        settle(watched)
        assert watched.page.locator("h1").first.inner_text().strip(), page.slug
        # Every table the JSON twin has is on the page.
        sections = watched.page.evaluate(
            "Array.from(document.querySelectorAll('[data-section]')).map(e => e.dataset.section)"
        )
        twin = watched.page.request.get(f"{dashboard.url}/{page.slug}.json").json()
        assert set(twin["sections"]) <= set(sections), page.slug
        watched.page.screenshot(path=str(screenshots_dir / f"{page.slug}.png"), full_page=True)
    assert watched.errors == []
    assert watched.hosts() == {"127.0.0.1"}, watched.hosts()


def test_a_view_still_computing_says_so_then_shows_its_tables(
    browser: Any, impatient_dashboard: Dashboard, screenshots_dir: Path
) -> None:
    """An app that never waits: the page says "computing", asks for its job, and reloads into the answer."""
    watched = open_logged_in(browser, impatient_dashboard)
    response = watched.page.goto(f"{impatient_dashboard.url}/attribution?lookback=12&resamples=10")
    assert response is not None and response.status == 202
    watched.page.wait_for_selector('[data-section="comparison"]', timeout=60_000)
    settle(watched)
    assert watched.page.locator("[data-job]").count() == 0
    assert any("/jobs/" in url for url in watched.requests), "the page never asked whether its view was ready"
    watched.page.screenshot(path=str(screenshots_dir / "attribution-after-computing.png"), full_page=True)
    assert watched.errors == []
    assert watched.hosts() == {"127.0.0.1"}, watched.hosts()


def test_the_daily_figure_counts_on_its_own_axes_from_zero(browser: Any, dashboard: Dashboard) -> None:
    # plotly.js 4 puts an overlaying axis's ticks where the first axis has its own, which labelled conversions -1.6,
    # 9.8 and 21.2 beside sessions' 0, 50 and 100.
    watched = open_logged_in(browser, dashboard)
    settle(watched)
    labels = {
        axis: watched.page.evaluate(
            "axis => Array.from(document.querySelectorAll(`div.figure[data-figure=by_day] g.${axis}tick text`))"
            ".map(t => t.textContent)",
            axis,
        )
        for axis in ("y", "y2")
    }
    for axis, texts in labels.items():
        counts = [int(text.replace(",", "").replace("\u2212", "-")) for text in texts]  # not a whole count: ValueError
        assert len(counts) >= 2 and min(counts) == 0, (axis, texts)
    assert watched.errors == []


def test_a_flow_s_nodes_stand_in_their_step_s_column(browser: Any, dashboard: Dashboard) -> None:
    # A path that ends at step 1 ends in step 1's column, not in the last one beside the paths that went on; backward
    # from a purchase, a path that starts at step -1 starts in that step's column.
    watched = open_logged_in(browser, dashboard)
    for query in ("", "?end_event=Order+Completed"):
        watched.page.goto(f"{dashboard.url}/flows{query}")
        settle(watched)
        columns = watched.page.evaluate(
            "Array.from(document.querySelectorAll('div.figure[data-figure=links] g.sankey-node'))"
            ".map(n => Math.round(new DOMMatrix(getComputedStyle(n).transform).e))"
        )
        twin = watched.page.request.get(f"{dashboard.url}/flows.json{query}").json()
        steps = [row["step"] for row in twin["sections"]["nodes"]]
        assert len(columns) == len(steps) and len(set(steps)) > 2 and (min(steps) < 0) == bool(query), query
        by_column = [columns.count(x) for x in sorted(set(columns))]
        assert by_column == [steps.count(step) for step in sorted(set(steps))], query
    assert watched.errors == []


@pytest.mark.parametrize(
    ("page", "section", "label"), [("bounce", "bounce", "landing_page"), ("reports", "paths", "path")]
)
def test_horizontal_bars_name_every_row(
    browser: Any, dashboard: Dashboard, page: str, section: str, label: str
) -> None:
    # At plotly's default height, eleven landing pages' grouped bars named every other page. Top paths draw no
    # Other row (it dwarfed the paths), and name it in the title.
    watched = open_logged_in(browser, dashboard)
    watched.page.goto(f"{dashboard.url}/{page}")
    settle(watched)
    named = watched.page.evaluate(
        "s => Array.from(document.querySelectorAll(`div.figure[data-figure=${s}] g.ytick text`)).map(t => t.textContent)",
        section,
    )
    rows = watched.page.request.get(f"{dashboard.url}/{page}.json").json()["sections"][section]
    drawn = [row[label] for row in rows if section != "paths" or not row[label].startswith("Other (")]
    assert len(rows) >= 8 and sorted(named) == sorted(drawn)
    assert watched.errors == []


def _headline_people(watched: Watched) -> str:
    return str(watched.page.locator("#section-headline tbody tr td").first.inner_text())


def test_changing_the_date_filter_changes_the_numbers(browser: Any, dashboard: Dashboard) -> None:
    watched = open_logged_in(browser, dashboard)
    settle(watched)
    everyone = _headline_people(watched)
    watched.page.fill("input[name=from]", "2026-02-01")
    watched.page.fill("input[name=to]", "2026-02-14")
    watched.page.click("form.filters button[type=submit]")
    watched.page.wait_for_url("**/overview?from=2026-02-01*")
    settle(watched)
    fortnight = _headline_people(watched)
    assert int(fortnight.replace(",", "")) < int(everyone.replace(",", ""))
    # The page and its JSON twin agree.
    twin = watched.page.request.get(f"{dashboard.url}/overview.json?from=2026-02-01&to=2026-02-14").json()
    assert int(fortnight.replace(",", "")) == twin["sections"]["headline"][0]["people"]
    assert watched.errors == []


def test_building_a_funnel_in_the_page(browser: Any, dashboard: Dashboard, screenshots_dir: Path) -> None:
    watched = open_logged_in(browser, dashboard)
    watched.page.goto(f"{dashboard.url}/funnels")
    settle(watched)
    watched.page.fill("textarea[name=steps]", "Product Viewed\nProduct Added\nOrder Completed")
    watched.page.select_option("select[name=breakdown]", "device_type")
    watched.page.click("form.filters button[type=submit]")
    watched.page.wait_for_url("**/funnels?*breakdown=device_type*")
    settle(watched)
    headings = watched.page.locator("#section-steps thead th").all_inner_texts()
    assert headings[0] == "breakdown", headings
    groups = set(watched.page.locator("#section-steps tbody tr td:first-child").all_inner_texts())
    assert {"mobile", "desktop"} <= groups, groups
    steps = watched.page.locator("#section-steps tbody tr").all_inner_texts()
    assert any("Order Completed" in row for row in steps)
    assert not any("Checkout Started" in row for row in steps)
    watched.page.screenshot(path=str(screenshots_dir / "funnel-built.png"), full_page=True)
    assert watched.errors == []


def test_switching_language_to_indonesian_and_back(browser: Any, dashboard: Dashboard) -> None:
    watched = open_logged_in(browser, dashboard)
    settle(watched)
    assert watched.page.locator("h1").inner_text() == "Overview"
    watched.page.click("a.lang")
    watched.page.wait_for_url("**lang=id*")
    assert watched.page.locator("h1").inner_text() == "Ringkasan"
    # The choice sticks (a cookie) when moving to another page.
    watched.page.click("nav.pages a[href^='/devices']")
    assert watched.page.locator("h1").inner_text() == "Perangkat"
    assert watched.page.locator("html").get_attribute("lang") == "id"
    watched.page.click("a.lang")
    assert watched.page.locator("h1").inner_text() == "Devices"
    assert watched.errors == []


def test_readable_on_a_phone(browser: Any, dashboard: Dashboard, screenshots_dir: Path) -> None:
    watched = open_logged_in(browser, dashboard, viewport={"width": 390, "height": 844})
    settle(watched)
    # Nothing but wide tables (which scroll in their own box) may push the page sideways.
    overflow = watched.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    watched.page.screenshot(path=str(screenshots_dir / "overview-phone.png"), full_page=True)
    assert watched.errors == []


def test_a_journey_map_note_typed_in_the_page_is_there_after_reload(
    browser: Any, dashboard: Dashboard, screenshots_dir: Path
) -> None:
    from jejak.maps.notes import delete_note, notes_for

    watched = open_logged_in(browser, dashboard)
    watched.page.goto(f"{dashboard.url}/map")
    settle(watched)
    text = "Ongkir ke Makassar mahal <b>sekali</b>"
    watched.page.select_option("#note-stage", "Decision")
    watched.page.select_option("#note-lane", "pain_points")
    watched.page.fill("#note-text", text)
    watched.page.click("#note-form button[type=submit]")
    watched.page.wait_for_load_state("networkidle")
    watched.page.reload()
    settle(watched)
    try:
        # Shown as typed (escaped, not bold) in the map itself and in the list of typed notes.
        assert watched.page.locator(".map-scroll", has_text=text).count() == 1
        assert watched.page.locator("table.notes td.text", has_text=text).count() == 1
        assert watched.page.locator(".map-scroll b", has_text="sekali").count() == 0
        watched.page.screenshot(path=str(screenshots_dir / "map-with-note.png"), full_page=True)
    finally:
        for note in notes_for(dashboard.project.sqlite_path, ""):
            if note["text"] == text:
                delete_note(dashboard.project.sqlite_path, int(note["note_id"]))
    assert watched.errors == []


def test_exporting_the_map_as_pdf_from_the_page(browser: Any, dashboard: Dashboard, tmp_path: Path) -> None:
    from pypdf import PdfReader

    watched = open_logged_in(browser, dashboard)
    watched.page.goto(f"{dashboard.url}/map")
    settle(watched)
    with watched.page.expect_download(timeout=120_000) as download:
        watched.page.click("a[href^='/map.pdf']")
    saved = tmp_path / "map.pdf"
    download.value.save_as(saved)
    pages = PdfReader(saved).pages
    assert len(pages) == 1
    assert float(pages[0].mediabox.width) > float(pages[0].mediabox.height)
    assert watched.errors == []


def test_dismissing_a_quarantined_row_asks_first(browser: Any, dashboard: Dashboard) -> None:
    from jejak.ingest.quarantine import list_quarantined

    before = list_quarantined(dashboard.project).total
    assert before > 0  # the demo's bad rows
    watched = open_logged_in(browser, dashboard)
    watched.page.goto(f"{dashboard.url}/data")
    settle(watched)
    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    watched.page.once("dialog", lambda dialog: answer(dialog, accept=False))
    watched.page.locator("form[action='/data/dismiss'] button").first.click()
    watched.page.wait_for_load_state("networkidle")
    assert len(asked) == 1 and "no event" in asked[0]
    assert list_quarantined(dashboard.project).total == before  # cancelled: nothing sent
    watched.page.once("dialog", lambda dialog: answer(dialog, accept=True))
    watched.page.locator("form[action='/data/dismiss'] button").first.click()
    watched.page.wait_for_selector("#dismiss-outcome")
    assert watched.page.locator("#dismiss-outcome").get_attribute("data-dismissed") == "1"
    assert list_quarantined(dashboard.project).total == before - 1
    assert watched.errors == []
