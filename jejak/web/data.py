"""The Data page (`/data`): imports, the quarantine with its reasons (and re-try after a fix), every setting in effect.

- Imports: the SQLite imports log, newest first, with rows read, stored, quarantined and skipped as
  duplicates (a re-try from the quarantine is logged with the format `quarantine`).
- Quarantine: rows per reason, then the rows themselves, newest first, 100 a page (`reason`,
  `page`); the raw text is shown escaped, cut for the list. `edit=<row id>` opens one row's whole
  text in a form.
- POST `/data/retry` re-tries rows through the importer (`ingest.quarantine.retry_quarantined`,
  with jejak.toml as it is now): one row with fixed text (`row` and `raw`), one row as it is
  (`row`), or every row of a reason (`reason`); then the refunds that waited for an order it stored
  (`ingest.late_orders`). It answers with a redirect to the page, whose query string carries the counts
  (`stored`, `duplicates`, `again`, `left`, `why`, and `refunds`, `refunds_again`).
- POST `/data/dismiss` takes one row that is no event (`row`: a report's line of column descriptions) out of the
  quarantine (`ingest.quarantine.dismiss_quarantined`: kept under its dismissed/ folder), then redirects with
  `dismissed`.
- Dismissed rows: the rows dismissed so far, newest first, 100 at most; POST `/data/restore` puts one (`row`) back in
  the quarantine as it was (`ingest.quarantine.restore_dismissed`: a row dismissed by mistake), then redirects with
  `restored`.
- Settings: every setting with its value, default, unit and where the value came from; never the key.
"""

from __future__ import annotations

import contextlib
import json
import math
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from jejak.core.errors import NotFoundError, SettingError
from jejak.core.jsontext import loads
from jejak.core.typed import whole_number
from jejak.ingest.importer import FORMATS_BY_SUFFIX
from jejak.ingest.late_orders import retry_with_waiting_refunds
from jejak.ingest.quarantine import (
    LEFT_WHY,
    READER_REASONS,
    QuarantinedRow,
    dismiss_quarantined,
    list_quarantined,
    quarantined_row,
    restore_dismissed,
)
from jejak.service.data import imports_log, quarantine_summary, quarantined_time_hint, settings_in_effect
from jejak.store.project import open_project
from jejak.web.pages import PageContext, PageResult, Section

ROWS_PER_PAGE = 100
RAW_SHOWN = 400  # characters of a row's raw text in the list (the edit form has all of it)
LONGEST_FIX = 1_000_000  # characters of fixed text a form may send
# A re-try's counts; `refunds` and `refunds_again`: the refunds that waited for an order it stored, re-tried after it.
OUTCOMES = ("stored", "duplicates", "again", "left", "refunds", "refunds_again")


def _outcome(params: Mapping[str, str]) -> dict[str, Any] | None:
    """The counts a re-try's redirect carries, checked (only numbers and known reasons are shown)."""
    if "stored" not in params:
        return None
    counts = {}
    for name in OUTCOMES:
        counts[name] = _count(params.get(name))
    why = [code for code in str(params.get("why") or "").split(",") if code in LEFT_WHY]
    return {**counts, "why": why}


def _count(text: object) -> int:
    """A count a redirect's query string carries: a number shown as it is, anything else as 0."""
    return whole_number(str(text or "")) or 0


def _editable(row: QuarantinedRow) -> dict[str, Any]:
    """A row for the edit form: a row's columns (a JSON object) one per line, easier to fix. A JSON Lines row is kept
    as its line; a row of any other file (CSV, Parquet, a workbook, a WhatsApp chat) as a JSON object."""
    shown = row.as_dict()
    record = None
    suffix = Path(row.source_file.removesuffix(".gz")).suffix.lower()
    if FORMATS_BY_SUFFIX.get(suffix) != "jsonl" and row.reason not in READER_REASONS:
        with contextlib.suppress(ValueError):
            record = loads(row.raw)
    if isinstance(record, dict):
        shown["raw"] = json.dumps(record, indent=1, ensure_ascii=False)
    return shown


def data(ctx: PageContext) -> PageResult:
    # jejak.toml as it is now: what a re-try and the next `jejak build` use.
    project = open_project(ctx.project.root)
    counts = quarantine_summary(project)
    reason = (ctx.params.get("reason") or "").strip()
    if reason and reason not in {row["reason"] for row in counts}:
        reason = ""
    page = ctx.number("page", 1, 1, 1_000_000)
    listing = list_quarantined(
        project, reason=reason or None, offset=(page - 1) * ROWS_PER_PAGE, limit=ROWS_PER_PAGE, raw_chars=RAW_SHOWN
    )
    editing = None
    if ctx.params.get("edit"):
        try:
            editing = _editable(quarantined_row(project, str(ctx.params["edit"])))
        except NotFoundError:
            editing = {"gone": True}
    dismissed = list_quarantined(project, dismissed=True, limit=ROWS_PER_PAGE, raw_chars=RAW_SHOWN)
    sections = [
        Section("imports", imports_log(project)),
        Section("quarantine", counts),
        Section("quarantined_rows", [row.as_dict() for row in listing.rows]),
        Section("dismissed_rows", [row.as_dict() for row in dismissed.rows]),
        Section("settings_in_effect", settings_in_effect(project)),
    ]
    extra = {
        "reason": reason,
        "page_number": page,
        "pages": max(1, math.ceil(listing.total / ROWS_PER_PAGE)),
        "quarantined_total": listing.total,
        "editing": editing,
        "outcome": _outcome(ctx.params),
        "dismissed": _count(ctx.params.get("dismissed")),
        "dismissed_total": dismissed.total,
        "restored": _count(ctx.params.get("restored")),
        "reader_reasons": READER_REASONS,
        "time_hint": quarantined_time_hint(project),
    }
    return PageResult(sections, extra)


async def retry(request: Request) -> Response:
    """Re-try quarantined rows (see the module docstring), then show the page with what happened."""
    form = await request.app.state.checked_form(request)
    row = str(form.get("row") or "").strip()
    reason = str(form.get("reason") or "").strip()
    raw = form.get("raw")
    project = open_project(request.app.state.project.root)
    if row and raw is not None:
        if len(str(raw)) > LONGEST_FIX:
            raise SettingError(f"The fixed text is longer than {LONGEST_FIX:,} characters.")
        options: dict[str, Any] = {"fixed": {row: str(raw)}}
    elif row:
        options = {"row_ids": [row]}
    elif reason:
        options = {"reason": reason}
    else:
        raise SettingError("Choose a quarantined row, or a reason, to re-try.")
    done, refunds = await run_in_threadpool(lambda: retry_with_waiting_refunds(project, **options))
    query = {
        "stored": done.rows_stored,
        "duplicates": done.duplicates_skipped,
        "again": done.rows_quarantined,
        "left": done.rows_left,
        "why": ",".join(done.left_by_why),
    }
    if refunds is not None:
        query.update(refunds=refunds.rows_stored, refunds_again=refunds.rows_quarantined)
    if reason and not row:
        query["reason"] = reason
    return RedirectResponse("/data?" + urllib.parse.urlencode(query), status_code=303)


async def _move_one_row(request: Request, move: Callable[..., int], done_name: str, missing: str) -> Response:
    """Move the form's one `row` (`move`: dismiss or restore), then show the page with how many moved."""
    form = await request.app.state.checked_form(request)
    row = str(form.get("row") or "").strip()
    if not row:
        raise SettingError(missing)
    project = open_project(request.app.state.project.root)
    done = await run_in_threadpool(lambda: move(project, row_ids=[row]))
    return RedirectResponse("/data?" + urllib.parse.urlencode({done_name: done}), status_code=303)


async def dismiss(request: Request) -> Response:
    """Dismiss one quarantined row as no event (see the module docstring), then show the page with how many."""
    return await _move_one_row(request, dismiss_quarantined, "dismissed", "Choose a quarantined row to dismiss.")


async def restore(request: Request) -> Response:
    """Put one dismissed row back in the quarantine (see the module docstring), then show the page with how many."""
    return await _move_one_row(request, restore_dismissed, "restored", "Choose a dismissed row to restore.")


ACTIONS = {"retry": retry, "dismiss": dismiss, "restore": restore}
