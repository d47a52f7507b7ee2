"""What every `jejak` command shares: error handling, opening a project and its build, printing rows."""

from __future__ import annotations

import datetime as dt
import errno
import functools
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jejak.core.errors import InputFileError, JejakError, OutputFileError
from jejak.core.typed import shown
from jejak.service.language import duration_text, other_row_text, percent_text
from jejak.service.reports import Scope, is_duration_column, is_share_column

F = TypeVar("F", bound=Callable[..., Any])
# No markup and no emoji codes: what jejak prints is data (file names, campaigns, channels, customers' comments), and
# rich would swallow `[brand]`, turn `:fire:` into an emoji and fail on `[/x]`. Styles go in through `styled`.
console = Console(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)
FORMATS = click.Choice(["table", "csv", "json"])
# Every command that works on a project takes it so. Eager: read before any other option, so an output file's
# check (`OutputFile`) knows the project, and where its settings keep its key.
PROJECT_OPTION = click.option(
    "--project", "project_dir", default=None, is_eager=True, help="Project directory (default: $JEJAK_PROJECT or .)."
)


class OutputFile(click.ParamType[str, Any]):
    """A file a command will write: checked before any work, its folder made when missing (the user named it), so
    a typo'd or read-only place is a message up front, not a traceback after minutes of work. With `stdout`, `-`
    stands for standard output, as in most Unix tools."""

    name = "file"

    def __init__(self, stdout: bool = False) -> None:
        self.stdout = stdout

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if text == "-" and self.stdout:
            return text
        path = Path(text)
        if path.is_dir():
            self.fail(f"{text} is a folder; name a file in it.", param, ctx)
        from jejak.store.project import project_part

        project_dir = ctx.params.get("project_dir") if ctx is not None else None
        part = project_part(path, Path(project_dir) if project_dir else None)
        if part is not None:
            # `-o jejak.sqlite` wrote a CSV over the project's state (its imports log, personas and users).
            self.fail(
                f"{text} is {part[1]} of the jejak project in {part[0]}: writing there would destroy it. Name "
                "another file (the project's own folder is fine, outside data/).",
                param,
                ctx,
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.fail(
                f"cannot make the folder {path.parent} ({exc.strerror}). Name a file in a folder you can write.",
                param,
                ctx,
            )
        if not path.parent.is_dir():
            self.fail(f"{path.parent} is not a folder. Name a file in a folder.", param, ctx)
        writable = os.access(path, os.W_OK) if path.exists() else os.access(path.parent, os.W_OK | os.X_OK)
        if not writable:
            self.fail(f"cannot write {text} (permission denied). Name a file in a folder you can write.", param, ctx)
        return text


OUTPUT_FILE = OutputFile()
OUTPUT_FILE_OR_STDOUT = OutputFile(stdout=True)
# A cell that is a number: digits with thousands commas, a decimal point, a sign, maybe a percent.
NUMBER_TEXT = re.compile(r"[-+]?\d[\d,]*(\.\d+)?( ?%)?")
# A line made of numbers, as a cell with a share, an interval or a time holds them: `386.0 (4 %)`,
# `[345.9–429.0]`, `2026-03-01 08:00:00+07:00`.
NUMBER_LINE = re.compile(r"(?=.*\d)[-+–\d,.:%()\[\] ]+")
# Room a text column keeps before a table is split into blocks (it folds below its widest line).
TEXT_COLUMN_MIN_WIDTH = 10


def handle_errors(func: F) -> F:
    """Turn jejak errors into a plain message and exit 1; anything else is a bug: traceback and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except JejakError as exc:
            print_error(exc)
            sys.exit(1)
        except BrokenPipeError:
            # The reader went away (`jejak export paths -o - | head`): what it read was all it wanted. As Python's
            # documentation advises, point stdout at devnull so the exit's flush does not fail again, and exit 1.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
                # pathlib's exists() and is_file() raise this one, where every other "no such file" is a False: a
                # name given on the command line (a file, --project, --paths) may be anything, such as an address
                # without its https://, which is then no file name this system can have.
                print_error(InputFileError(_too_long_message(exc)))
                sys.exit(1)
            if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
                # The machine's, not jejak's: a full disk or a read-only one where a file is being written.
                where = f" ({exc.filename})" if exc.filename else ""
                print_error(
                    OutputFileError(f"Could not write{where}: {exc.strerror}. Free some space, or write elsewhere.")
                )
                sys.exit(1)
            err_console.print(traceback.format_exc(), highlight=False)
            err_console.print(
                styled(("This is a bug in jejak.", "bold red"), " Please report it with the output above.")
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


# A file cannot be written for want of room or of a writable disk.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def _too_long_message(exc: OSError) -> str:
    return (
        f"{shown(str(exc.filename or ''))} is no file or folder name this system can have: it, or a part of it "
        "between slashes, is too long. Check the name given; a web address to import starts with https://."
    )


def print_error(exc: JejakError) -> None:
    """A handled failure on stderr: `error (code): message`."""
    err_console.print(styled(("error", "bold red"), f" ({exc.code}): {exc.message}"), highlight=False)


def print_warning(text: str) -> None:
    """Something the user should know and the command went on past, on stderr: `warning: text`."""
    err_console.print(styled(("warning", "yellow"), f": {text}"))


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text with some parts styled: `styled(("error", "bold red"), ": ", message)`; the text is never read as markup."""
    return Text.assemble(*parts)


def project_at(project_dir: str | None) -> Any:
    from jejak.store.project import open_project

    return open_project(Path(project_dir) if project_dir else None)


def print_rows(rows: Sequence[dict[str, Any]], output_format: str, title: str = "") -> None:
    """Print rows as a rich table, CSV or JSON.

    A table wider than the terminal keeps its numbers whole and folds its text columns; when even that does not
    fit, it is printed as several tables of whole columns, each led by the first column (as pandas prints a wide
    frame). Only a table that cannot be split so (a column too wide beside the first one) is folded throughout.
    """
    if output_format == "json":
        click.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
        return
    # Every column any row has, in first-seen order (pivoted rows may lack some cells).
    columns = list(dict.fromkeys(column for row in rows for column in row))
    if output_format == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return
    if not columns:
        # No row, so no column: a table of none draws nothing (and rich cannot widen it to its title). Said instead.
        console.print(f"{title}: no rows." if title else "No rows.", soft_wrap=True)
        return
    grid = _Grid.of(rows, columns)
    for number, block in enumerate(grid.blocks()):
        console.print(grid.table(block, title if number == 0 else ""))


@dataclass(frozen=True)
class _Grid:
    """A table's cells as printed, and the width each column needs to keep what must stay whole."""

    headings: list[str]
    cells: list[list[str]]  # rows × columns
    numbers: list[bool]  # every cell a number: right-aligned
    whole: list[bool]  # every cell's lines made of numbers (`386.0 (4 %)`, `[345.9–429.0]`): never folded
    needed: list[int]  # a whole column's widest line or heading word; a text column's room before it folds

    @classmethod
    def of(cls, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> _Grid:
        cells = [[cell_text(row.get(column)) for column in columns] for row in rows]
        headings = [column.replace("_", " ") for column in columns]
        numbers, whole, needed = [], [], []
        for n, heading in enumerate(headings):
            column = [row[n] for row in cells if row[n]]
            lines = [line for cell in column for line in cell.splitlines()]
            numbers.append(bool(column) and all(NUMBER_TEXT.fullmatch(cell) for cell in column))
            whole.append(bool(lines) and all(NUMBER_LINE.fullmatch(line) for line in lines))
            widest = max([len(word) for word in heading.split()] + [len(line) for line in lines])
            needed.append(widest if whole[-1] else min(widest, TEXT_COLUMN_MIN_WIDTH))
        return cls(headings, cells, numbers, whole, needed)

    def table(self, picks: Sequence[int], title: str = "") -> Table:
        """The picked columns as a rich table; one too wide for the terminal keeps its whole columns' widths."""
        natural = self._table(picks, title, fixed=False)
        if _width_of(natural) <= console.width or not self.fits(picks):
            return natural
        return self._table(picks, title, fixed=True)

    def _table(self, picks: Sequence[int], title: str, *, fixed: bool) -> Table:
        table = Table(title=title or None, title_justify="left", show_lines=False)
        for n in picks:
            # Folded, not cut with an ellipsis: a narrow terminal then still shows all of a file name, path or
            # campaign. Headings wrap at spaces: a narrow column splits "first touch" between its words. A whole
            # column keeps its width, so that rich narrows the text columns instead (`1,540` on two lines reads
            # as two numbers, `quarantin` / `ed` as none).
            width = self.needed[n] if fixed and self.whole[n] else None
            justify: Literal["left", "right"] = "right" if self.numbers[n] else "left"
            table.add_column(self.headings[n], justify=justify, overflow="fold", width=width)
        for row in self.cells:
            table.add_row(*(row[n] for n in picks))
        if title and not fixed:
            # A title wraps at its table's width: a narrow table ("Where people are now", two columns) is widened
            # to its title, as far as the terminal goes, rather than breaking the title over lines.
            table.min_width = min(len(title), console.width)
        return table

    def fits(self, picks: Sequence[int]) -> bool:
        """Whether the columns fit the terminal with their whole columns whole (borders and padding: 3 each)."""
        return sum(self.needed[n] for n in picks) + 3 * len(picks) + 1 <= console.width

    def blocks(self) -> list[list[int]]:
        """The columns in blocks that each fit, every block led by the first column; one block when the table
        fits as it is, or when a column does not fit beside the first one even alone."""
        everything = list(range(len(self.headings)))
        if len(everything) < 3 or self.fits(everything):
            return [everything]
        key, *rest = everything
        blocks = [[key]]
        for column in rest:
            if len(blocks[-1]) > 1 and not self.fits([*blocks[-1], column]):
                blocks.append([key])
            blocks[-1].append(column)
        return blocks if all(self.fits(block) for block in blocks) else [everything]


def _width_of(table: Table) -> int:
    """The table's width unfolded (rich caps a measurement at the width it is given: measured as if unbounded)."""
    return console.measure(table, options=console.options.update_width(sys.maxsize)).maximum


def cell_text(value: Any) -> str:
    """A value as a table shows it: thousands separated, fractions below 1 with two decimals, zero as 0."""
    if isinstance(value, float):
        if value == 0:
            return "0"
        return f"{value:,.2f}" if abs(value) < 1 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str) and (other := other_row_text(value)) is not None:
        return other  # its count of rows with thousands separated, as every other count
    return "" if value is None else str(value)


@dataclass(frozen=True)
class ReportRequest:
    """What every report command is given besides its own options (`report_filters`): which project, what of it the
    report looks at, and how to show it."""

    project_dir: str | None
    scope: Scope
    output_format: str  # table, csv or json
    html_file: str | None  # also draw it into this page (--html)

    def project(self) -> Any:
        return project_at(self.project_dir)

    def draw(self, sections: Sequence[tuple[str, str, Sequence[dict[str, Any]]]], title: str) -> None:
        draw(self.html_file, sections, title)


def report_filters(
    channel: bool = True, conversion_type: bool = True
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options every report takes: --from, --to, --html, --persona, --format, --project (and
    --conversion-type, --channel where they apply), given to the command as one `ReportRequest`, its first
    argument, before the command's own options."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def given(
            *,
            project_dir: str | None,
            start_date: dt.datetime | None,
            end_date: dt.datetime | None,
            html_file: str | None,
            persona: str | None,
            output_format: str,
            conversion_types: tuple[str, ...] = (),
            channel: str | None = None,
            **own: Any,
        ) -> None:
            days = [moment.date() if moment else None for moment in (start_date, end_date)]
            scope = Scope(days[0], days[1], tuple(conversion_types), channel, persona)
            func(ReportRequest(project_dir, scope, output_format, html_file), **own)

        command: Callable[..., None] = given
        options = [
            click.option(
                "--from",
                "start_date",
                type=click.DateTime(["%Y-%m-%d"]),
                help="First day (the timezone setting's days).",
            ),
            click.option("--to", "end_date", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included."),
            click.option(
                "--html",
                "html_file",
                type=OUTPUT_FILE,
                default=None,
                help="Also draw the report into this self-contained HTML file (works offline).",
            ),
        ]
        if conversion_type:
            options.append(
                click.option(
                    "--conversion-type", "conversion_types", multiple=True, help="Only these conversion events."
                )
            )
        if channel:
            options.append(click.option("--channel", default=None, help="Only journeys or sessions of this channel."))
        options.append(click.option("--persona", default=None, help="Only the people this persona's rules take."))
        options.append(click.option("--format", "output_format", type=FORMATS, default="table"))
        options.append(PROJECT_OPTION)
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def report_cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if is_share_column(key):
        return percent_text(value)
    if is_duration_column(key):
        return duration_text(float(value))
    if key.startswith(("median_", "mean_")):
        return f"{value:,.1f}"
    if key == "ratio":
        return f"{value:,.2f}"
    return value


def draw(html_file: str | None, sections: Sequence[tuple[str, str, Sequence[dict[str, Any]]]], title: str) -> None:
    """Draw report sections (heading, name of a builder in jejak.web.figures, rows) into one offline HTML page."""
    if not html_file:
        return
    # Imported here: plotly and the figure builders are not needed to print a table.
    from jejak.web import figures

    pictures = [(heading, getattr(figures, builder)(rows)) for heading, builder, rows in sections]
    figures.write_html(pictures, Path(html_file), title)
    # On stderr, so that --format json on stdout stays one JSON document.
    err_console.print(f"Drawn: {html_file}")


# Shorter headings for the widest report columns, in tables only (CSV and JSON keep the column names).
TABLE_HEADINGS = {
    "step_number": "#",
    "conversion_from_start": "from start",
    "conversion_from_previous": "from previous",
    "median_seconds_from_previous": "median time from previous",
}


def show_rows(rows: Sequence[dict[str, Any]], output_format: str, title: str) -> None:
    """Print report rows; in a table, shares as percents, durations in words, short headings."""
    if output_format == "table":
        rows = [{TABLE_HEADINGS.get(key, key): report_cell(key, value) for key, value in row.items()} for row in rows]
    print_rows(rows, output_format, title)


def show_sections(sections: dict[str, tuple[str, Sequence[dict[str, Any]]]], output_format: str) -> None:
    """Print several tables of one report: JSON as one object by name, CSV with a `# name` line before each."""
    if output_format == "json":
        click.echo(
            json.dumps({name: rows for name, (_, rows) in sections.items()}, default=str, ensure_ascii=False, indent=1)
        )
        return
    for name, (title, rows) in sections.items():
        if output_format == "csv":
            click.echo(f"# {name}")
            print_rows(rows, "csv")
        else:
            show_rows(rows, "table", title)


def time_format_advice(hint: Any, check: bool, of_one_file: bool = False, replaces: bool = False) -> str:
    """What to set so that the times an import could not read are read, and how to bring their rows in then.

    `of_one_file`: said of one import's file, whose own `--timestamp-format` reads them when the file is imported
    again with `--replace`. A re-try from the quarantine cannot bring in a row whose e-mail or phone it keeps
    masked (`ingest.identifiers.MASK_PHONE`), and an orders file's rows all have one; the file has them whole.
    `replaces`: the file's import replaces what it stored before (ad spend), so it is run again as it was."""
    setting = f'timestamp_formats = ["{hint.time_format}"]'
    order = ""
    if hint.day_first_assumed:
        from jejak.ingest.time_hints import swapped_day_month

        order = f' (day first, as Indonesia writes dates; month first is "{swapped_day_month(hint.time_format)}")'
    if of_one_file:
        option = f'--timestamp-format "{hint.time_format}"'
        shown = f'{"dates" if replaces else "times"} such as "{hint.example}" are read with {option}{order}'
        unread = _unread_times(hint, "correct them in the file")
        if check:
            return f"{shown}: add it{unread}"
        if replaces:
            return f"{shown}: import the file again with it (it replaces the rows this import stored){unread}"
        return (
            f"{shown}: import the file again with it and --replace (or read them in every file with {setting} "
            f"under [settings] in jejak.toml){unread}"
        )
    then = "then import again" if check else "then re-try the rows: jejak quarantine retry --reason bad_timestamp"
    unread = _unread_times(hint, "their rows stay quarantined: jejak quarantine retry --fix ROW_ID 'TEXT'")
    return (
        f'times such as "{hint.example}" are read with {setting}{order} under [settings] in jejak.toml; {then}{unread}'
    )


def ask(question: str) -> None:
    """Ask `question` (y/N) and stop the command unless the answer is yes. An answer piped in (`echo y | jejak …`) is
    not echoed by the terminal, so the line is ended here: what the command prints next starts a line of its own."""
    click.confirm(question, abort=True)
    if not sys.stdin.isatty():
        click.echo()


def waiting_refunds_line(retried: Any) -> str:
    """What re-trying the refunds that waited for their order did (`late_orders.retry_refunds_of_new_orders`)."""
    refunds = f"{retried.rows_retried:,} refunds" if retried.rows_retried != 1 else "1 refund"
    again = f", {retried.rows_quarantined:,} quarantined again" if retried.rows_quarantined else ""
    return (
        f"{refunds} quarantined until their order was imported re-tried: {retried.rows_stored:,} given the "
        f"customer of their order{again}"
    )


def _unread_times(hint: Any, then: str) -> str:
    """What the offered format does not read of the times looked at (a date that does not exist, another shape),
    said after the advice, or nothing when it reads them all."""
    if not hint.unread:
        return ""
    shown = ", ".join(f'"{text}"' for text in hint.unread[:3])
    more = f" and {len(hint.unread) - 3} more" if len(hint.unread) > 3 else ""
    return f"; it does not read {shown}{more} (of the {hint.times_looked_at} times looked at): {then}"
