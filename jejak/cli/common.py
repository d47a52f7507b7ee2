"""What every `jejak` command shares: error handling, opening a project and its build, printing rows."""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jejak.core.errors import JejakError
from jejak.service.reports import is_share_column

F = TypeVar("F", bound=Callable[..., Any])
# No markup and no emoji codes: what jejak prints is data (file names, campaigns, channels, customers' comments), and
# rich would swallow `[brand]`, turn `:fire:` into an emoji and fail on `[/x]`. Styles go in through `styled`.
console = Console(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)
FORMATS = click.Choice(["table", "csv", "json"])
# Room a text column keeps, at least, before number columns are let fold (`_rich_table`).
TEXT_COLUMN_MIN_WIDTH = 5


def handle_errors(func: F) -> F:
    """Turn jejak errors into a plain message and exit 1; anything else is a bug: traceback and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except JejakError as exc:
            err_console.print(styled(("error", "bold red"), f" ({exc.code}): {exc.message}"), highlight=False)
            sys.exit(1)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception:
            err_console.print(traceback.format_exc(), highlight=False)
            err_console.print(
                styled(("This is a bug in jejak.", "bold red"), " Please report it with the output above.")
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text with some parts styled: `styled(("error", "bold red"), ": ", message)`; the text is never read as markup."""
    return Text.assemble(*parts)


def project_at(project_dir: str | None) -> Any:
    from jejak.store.project import open_project

    return open_project(Path(project_dir) if project_dir else None)


def print_rows(
    rows: Sequence[dict[str, Any]], output_format: str, title: str = "", *, split_wide: bool = False
) -> None:
    """Print rows as a rich table, CSV or JSON.

    With `split_wide`, a table wider than the terminal is printed as several tables of whole columns, each
    repeating the first column (as pandas prints a wide frame), so that numbers are never folded inside a cell.
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
    blocks = _column_blocks(columns, rows) if split_wide else [columns]
    for number, block in enumerate(blocks):
        console.print(_rich_table(rows, block, title if number == 0 else ""))


def _rich_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str, *, fit: bool = True) -> Table:
    """The rows as a rich table; with `fit`, one too wide for the terminal keeps its numbers whole (see below)."""
    headings = [column.replace("_", " ") for column in columns]
    texts = [[cell_text(row.get(column)) for column in columns] for row in rows]
    numeric = [_is_numeric(rows[0].get(column)) if rows else False for column in columns]

    def table_of(widths: Sequence[int | None]) -> Table:
        table = Table(title=title or None, title_justify="left", show_lines=False)
        for heading, is_number, width in zip(headings, numeric, widths, strict=True):
            # Folded, not cut with an ellipsis: a narrow terminal then still shows all of a file name, path or
            # campaign. Headings wrap at spaces: a narrow column splits "first touch" between its words.
            table.add_column(heading, justify="right" if is_number else "left", overflow="fold", width=width)
        for cells in texts:
            table.add_row(*cells)
        return table

    natural = table_of([None] * len(columns))
    if not fit or _width_of(natural) <= console.width:
        return natural
    # Too wide: a number column gets the width of its widest number and its heading's longest word, and rich
    # narrows the text columns instead (`1,540` on two lines reads as two numbers, `quarantin` / `ed` as none).
    # Not when the text columns would keep too little room: rich would crop the table at the terminal's edge.
    fixed = [
        max([len(word) for word in heading.split()] + [len(line) for cells in texts for line in cells[n].splitlines()])
        if numeric[n]
        else None
        for n, heading in enumerate(headings)
    ]
    room = sum(width or TEXT_COLUMN_MIN_WIDTH for width in fixed) + 3 * len(columns) + 1
    return table_of(fixed) if room <= console.width else natural


def _width_of(table: Table) -> int:
    """The table's width unfolded (rich caps a measurement at the width it is given: measured as if unbounded)."""
    return console.measure(table, options=console.options.update_width(sys.maxsize)).maximum


def _is_numeric(value: Any) -> bool:
    return isinstance(value, int | float) or (isinstance(value, str) and value.endswith(" %"))


def _column_blocks(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    """The columns in blocks that each fit the terminal unfolded, every block led by the first column.

    One block (the whole table, folded as needed) when it fits anyway, or when a column is too wide to fit beside
    the first one even on its own: splitting would then fold it all the same.
    """

    def fits(block: Sequence[str]) -> bool:
        return _width_of(_rich_table(rows, block, "", fit=False)) <= console.width

    if len(columns) < 3 or fits(columns):
        return [list(columns)]
    key, *rest = columns
    blocks = [[key]]
    for column in rest:
        current = blocks[-1]
        if len(current) > 1 and not fits([*current, column]):
            blocks.append([key, column])
        else:
            current.append(column)
    if not all(fits(block) for block in blocks):
        return [list(columns)]
    return blocks


def cell_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def report_filters(channel: bool = True, conversion_type: bool = True) -> Callable[[F], F]:
    """The options every report takes: --from, --to, --html, --persona, --format, --project (and
    --conversion-type, --channel where they apply)."""

    def decorate(func: F) -> F:
        options = [
            click.option("--from", "start_date", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC)."),
            click.option("--to", "end_date", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC), included."),
            click.option(
                "--html",
                "html_file",
                type=click.Path(dir_okay=False),
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
        options.append(
            click.option(
                "--project", "project_dir", default=None, help="Project directory (default: $JEJAK_PROJECT or .)."
            )
        )
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def report_cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if is_share_column(key):
        return f"{value * 100:.1f} %"
    if "_seconds" in key:
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


def duration_text(seconds: float) -> str:
    """A duration the way people say it: 42 s, 3.5 min, 2.1 h, 4.0 d."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
