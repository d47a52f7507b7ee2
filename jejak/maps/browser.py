"""PDF and PNG of a journey map through headless Chromium (Playwright driving the system's `chromium`).

A map goes on one landscape A3 page, scaled down when it is taller than the page, as a
CX team would print it for the wall. Chromium is Debian's (`make install-dev` installs
it when missing); Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from jejak.core.errors import BrowserError

# A3 landscape at CSS's 96 pixels per inch, less 10 mm margins on each side.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM, MARGIN_MM = 420, 297, 10
PX_PER_MM = 96 / 25.4
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str:
    """The Chromium to drive: $JEJAK_CHROMIUM, else the first one on PATH, else a clear error."""
    chosen = os.environ.get("JEJAK_CHROMIUM")
    if chosen:
        if not Path(chosen).is_file():
            raise BrowserError(
                f"JEJAK_CHROMIUM names {chosen!r}, which is not a file. Point it at Chromium, or unset it to use "
                "the one on PATH (Debian: `apt-get install chromium`)."
            )
        return chosen
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError(
        "PDF and PNG need Chromium, and none was found. Install it (Debian: `apt-get install chromium`, "
        "or `make install-dev`), or set JEJAK_CHROMIUM to its path. The HTML map (--html) needs no browser."
    )


def render(html_path: Path, *, pdf: Path | None = None, png: Path | None = None) -> None:
    """Open a map page in headless Chromium and save it as a one-page landscape PDF and/or a full-page PNG."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    printable_width = round((PAGE_WIDTH_MM - 2 * MARGIN_MM) * PX_PER_MM)
    printable_height = round((PAGE_HEIGHT_MM - 2 * MARGIN_MM) * PX_PER_MM)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except PlaywrightError as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserError(f"Chromium ({executable}) did not start: {first_line}") from exc
        try:
            page = browser.new_page(viewport={"width": printable_width, "height": printable_height})
            page.goto(html_path.resolve().as_uri())
            if png is not None:
                page.screenshot(path=str(png), full_page=True, type="png")  # named by type: --png may have no .png
            if pdf is not None:
                height = int(page.evaluate("document.documentElement.scrollHeight"))
                scale = max(0.1, min(1.0, printable_height / max(height, 1)))
                margin = f"{MARGIN_MM}mm"
                page.pdf(
                    path=str(pdf),
                    width=f"{PAGE_WIDTH_MM}mm",
                    height=f"{PAGE_HEIGHT_MM}mm",
                    margin={"top": margin, "right": margin, "bottom": margin, "left": margin},
                    print_background=True,
                    scale=scale,
                    page_ranges="1",
                )
        finally:
            browser.close()
