"""`jejak quarantine …`: the rows an import could not store, and re-trying them after a fix (as the Data page does).

The rows are listed newest first, each under its id; `show` prints one row's whole text, `retry` sends rows
back through the importer with jejak.toml as it is now (`ingest.quarantine.retry_quarantined`), and `dismiss` takes
rows that are no events out (`ingest.quarantine.dismiss_quarantined`), and `restore` puts them back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.padding import Padding
from rich.text import Text

from jejak.cli.common import (
    FORMATS,
    PROJECT_OPTION,
    ask,
    console,
    handle_errors,
    print_rows,
    project_at,
    styled,
    time_format_advice,
    waiting_refunds_line,
)
from jejak.core.typed import TYPED_WHOLE_MOST

# Characters of a row's raw text in the terminal's list (`show` prints all of it; CSV and JSON carry all of it).
RAW_SHOWN_CHARS = 160


@click.group()
def quarantine() -> None:
    """Rows an import could not store: list them, show one, re-try them after a fix."""


@quarantine.command(name="list")
@click.option("--reason", default=None, help="Only rows of this reason (e.g. bad_timestamp).")
@click.option(
    "--limit", type=click.IntRange(0, TYPED_WHOLE_MOST), default=20, show_default=True, help="Rows to show; 0: all."
)
@click.option("--dismissed", is_flag=True, help="The rows dismissed from the quarantine instead (to restore one).")
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def list_rows(reason: str | None, limit: int, dismissed: bool, output_format: str, project_dir: str | None) -> None:
    """Quarantined rows per reason, then the rows, newest first, each with its id, file, line and reason.

    \b
    Example: jejak quarantine list --reason bad_timestamp
    Example: jejak quarantine list --limit 0 --format csv > bad-rows.csv
    Example: jejak quarantine list --dismissed
    """
    from jejak.ingest.quarantine import list_quarantined
    from jejak.service.data import quarantine_summary, quarantined_time_hint

    project = project_at(project_dir)
    whole = output_format != "table"
    listing = list_quarantined(
        project,
        reason=reason,
        limit=limit or None,
        raw_chars=None if whole else RAW_SHOWN_CHARS,
        dismissed=dismissed,
    )
    rows = [row.as_dict() for row in listing.rows]
    if whole:
        print_rows([{key: value for key, value in row.items() if key != "raw_is_cut"} for row in rows], output_format)
        return
    if dismissed:
        if not rows:
            console.print("No row has been dismissed" + (f" with the reason {reason!r}." if reason else "."))
            return
        _print_listed(rows, listing.total)
        console.print("\nPut rows back in the quarantine: jejak quarantine restore ROW_ID… (or --reason REASON).")
        return
    counts = quarantine_summary(project)
    if not counts:
        console.print("The quarantine is empty: every row imported so far was stored.")
        return
    print_rows(counts, "table", "Quarantined rows per reason")
    if not rows:
        console.print(f"No row has the reason {reason!r}.")
        return
    _print_listed(rows, listing.total)
    if reason in (None, "bad_timestamp"):  # the format that reads the unread times, when they share one shape
        hint = quarantined_time_hint(project)
        if hint is not None:
            console.print(f"\nbad_timestamp: {time_format_advice(hint, check=False)}")
    console.print(
        "\nFix jejak.toml (a column map, timestamp_formats, timezone) and re-try a reason: "
        "jejak quarantine retry --reason REASON. Fix one row's text: jejak quarantine retry --fix ROW_ID 'TEXT'."
    )


@quarantine.command()
@click.argument("row_id")
@PROJECT_OPTION
@handle_errors
def show(row_id: str, project_dir: str | None) -> None:
    """One quarantined row: its file, line, reason, message and whole text (what --fix replaces).

    Example: jejak quarantine show 3f2a…:12
    """
    from jejak.ingest.quarantine import quarantined_row
    from jejak.service.language import moment_text

    project = project_at(project_dir)
    row = quarantined_row(project, row_id)
    for label, value in (
        ("file", f"{row.source_file}  line {row.source_line}"),
        ("reason", row.reason),
        ("message", row.message),
        ("when", moment_text(row.quarantined_at, project.settings.timezone) or ""),  # the business's clock
    ):
        console.print(styled((f"{label:<9}", "bold"), value))
    console.print(styled(("text", "bold")))
    # As it is, not wrapped or cut: this is the text a fix starts from.
    click.echo(row.raw)


@quarantine.command()
@click.argument("row_ids", nargs=-1)
@click.option("--reason", default=None, help="Re-try every row of this reason.")
@click.option(
    "--fix",
    "fixes",
    nargs=2,
    multiple=True,
    metavar="ROW_ID TEXT",
    help="Re-try a row with this text instead of its own (a JSON object of its columns, or the file's line). "
    "TEXT may be @FILE to read it from a file.",
)
@PROJECT_OPTION
@handle_errors
def retry(
    row_ids: tuple[str, ...], reason: str | None, fixes: tuple[tuple[str, str], ...], project_dir: str | None
) -> None:
    """Re-try quarantined rows through the importer, with jejak.toml as it is now.

    Rows that import leave the quarantine; rows that fail again come back with their new reason; rows that cannot
    be re-tried as they are (a masked e-mail, a line that needs its text fixed) stay, and the reason is said.

    \b
    Example: jejak quarantine retry --reason bad_timestamp   (after adding the format to timestamp_formats)
    Example: jejak quarantine retry 3f2a…:12 --fix 3f2a…:13 '{"timestamp": "2026-03-01 09:00", "user_id": "ana"}'
    """
    from jejak.core.errors import SettingError
    from jejak.ingest.late_orders import retry_with_waiting_refunds
    from jejak.ingest.quarantine import LEFT_WHY

    if not (row_ids or reason or fixes):
        raise SettingError(
            "Name the rows to re-try: their ids (see `jejak quarantine list`), --reason REASON, or --fix ROW_ID TEXT."
        )
    fixed = {row_id: _fix_text(text) for row_id, text in fixes}
    done, refunds = retry_with_waiting_refunds(project_at(project_dir), row_ids=row_ids, reason=reason, fixed=fixed)
    again = ", ".join(f"{why} {count}" for why, count in done.quarantined_by_reason.items())
    console.print(
        f"{_rows(done.rows_chosen)} chosen, {done.rows_retried} re-tried: {done.rows_stored} stored, "
        f"{done.duplicates_skipped} already in the lake, "
        + (f"{done.rows_erased} of people erased before (not stored), " if done.rows_erased else "")
        + f"{done.rows_quarantined} quarantined again"
        + (f" ({again})" if again else "")
        + "."
    )
    for why, count in done.left_by_why.items():
        console.print(
            styled(
                (f"{_rows(count)} left as {'it was' if count == 1 else 'they were'}", "yellow"),
                f": {LEFT_WHY.get(why, why)}.",
            )
        )
    if refunds is not None:  # orders stored that refunds were waiting for
        console.print(waiting_refunds_line(refunds) + ".")
    if done.rows_stored:
        console.print("Run jejak build to include the stored rows in people, journeys and reports.")


@quarantine.command()
@click.argument("row_ids", nargs=-1)
@click.option("--reason", default=None, help="Dismiss every row of this reason.")
@click.option("--yes", is_flag=True, help="Do not ask first.")
@PROJECT_OPTION
@handle_errors
def dismiss(row_ids: tuple[str, ...], reason: str | None, yes: bool, project_dir: str | None) -> None:
    """Take rows that are no events out of the quarantine: a report's line of column descriptions, a footer, notes.

    Such a row can never be stored, and in the quarantine it stands among the rows that need a fix. Each dismissed
    row is kept as it was under the quarantine's dismissed/ folder, and the imports log says how many.

    Example: jejak quarantine dismiss 3f2a…:0     (TikTok Shop's line of column descriptions under its header)
    """
    from jejak.ingest.quarantine import dismiss_quarantined, selected_rows

    project = project_at(project_dir)
    if not yes and (row_ids or reason):  # naming none, `dismiss_quarantined` says what to name
        chosen = selected_rows(project, row_ids, reason)
        shown = "; ".join(f"{row.source_file} line {row.source_line} ({row.reason})" for row in chosen[:5])
        more = f" and {len(chosen) - 5:,} more" if len(chosen) > 5 else ""
        ask(f"Dismiss {_rows(len(chosen))}: {shown}{more}?")
    done = dismiss_quarantined(project, row_ids=row_ids, reason=reason)
    console.print(f"{_rows(done)} dismissed: kept under the quarantine's dismissed/ folder, and out of its counts.")


@quarantine.command()
@click.argument("row_ids", nargs=-1)
@click.option("--reason", default=None, help="Restore every dismissed row of this reason.")
@PROJECT_OPTION
@handle_errors
def restore(row_ids: tuple[str, ...], reason: str | None, project_dir: str | None) -> None:
    """Put dismissed rows back in the quarantine, as they were: the undo of dismiss.

    Example: jejak quarantine list --dismissed && jejak quarantine restore 3f2a…:0
    """
    from jejak.ingest.quarantine import restore_dismissed

    done = restore_dismissed(project_at(project_dir), row_ids=row_ids, reason=reason)
    console.print(f"{_rows(done)} restored to the quarantine: jejak quarantine list shows them.")


def _print_listed(rows: list[dict[str, Any]], total: int) -> None:
    """Each row under its id, file, line and reason, its message and its (cut) text; then how many are not shown."""
    for row in rows:
        console.print()
        console.print(
            styled((row["row_id"], "bold"), f"  {row['file']} line {row['line']}  ", (row["reason"], "yellow"))
        )
        # Indented as a block, so that a long message or text wraps under itself.
        console.print(Padding(Text(str(row["message"])), (0, 0, 0, 2)))
        raw = Text(f"{row['raw']}{' …' if row['raw_is_cut'] else ''}", style="dim", overflow="fold")
        console.print(Padding(raw, (0, 0, 0, 2)))
    if total > len(rows):
        console.print(f"\n{len(rows)} of {total:,} rows shown; --limit 0 shows all.")


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _fix_text(text: str) -> str:
    """A fix's text, or the text of the file `@FILE` names."""
    if text.startswith("@"):
        from jejak.core.errors import InputFileError

        path = Path(text[1:])
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"--fix {text}: cannot read {path} as UTF-8 text: {exc}.") from None
    return text
