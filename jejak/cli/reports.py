"""`jejak report …`: one command per journey report, printed as a table, CSV or JSON, drawn with --html."""

from __future__ import annotations

import json
from typing import Any

import click

from jejak.cli.common import (
    FORMATS,
    PROJECT_OPTION,
    ReportRequest,
    cell_text,
    console,
    handle_errors,
    print_rows,
    project_at,
    report_cell,
    report_filters,
    show_rows,
    show_sections,
)
from jejak.service import reports as service
from jejak.service.builds import open_build
from jejak.service.language import percent_text
from jejak.service.reports import DIMENSIONS, FunnelQuery


@click.group()
def report() -> None:
    """Reports on the current build."""


def summary_rows(project: Any) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Execute the summary tables of the current build; and, when it has no conversion, what counts as one."""
    with open_build(project) as built:
        return service.summary(built), service.no_conversions_note(built)


def print_summary(project: Any, output_format: str = "table") -> None:
    rows, no_conversions = summary_rows(project)
    if output_format == "json":
        click.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=1))
        return
    if output_format == "csv":
        for name, section in rows.items():
            click.echo(f"# {name}")
            print_rows(section, "csv")
        return
    head = rows["headline"][0]
    labels = {
        "people": "people",
        "sessions": "sessions",
        "events": "events",
        "conversions": "conversions",
        "revenue": "revenue",
        "non_converting_journeys": "journeys without a conversion",
        "journey_conversion_rate": "journeys converting",
    }
    currencies = [row["currency"] for row in rows["currencies"]]
    if currencies:  # what the revenue is counted in; more than one is added as it is, and said below
        labels["revenue"] = f"revenue ({' + '.join(currencies)})"
    shown = {label: head[key] for key, label in labels.items()}
    rate = head["journey_conversion_rate"]
    shown["journeys converting"] = "" if rate is None else percent_text(rate)
    print_rows([{"measure": k, "value": cell_text(v)} for k, v in shown.items()], "table", "Summary")
    if len(currencies) > 1:
        print_rows(rows["currencies"], "table", "Revenue by currency")
        console.print(service.mixed_currencies_note(currencies))
    if no_conversions:
        console.print(no_conversions)
    if rows["refunds"]:
        refunds = [
            {"refunds": service.REFUND_OUTCOME_TEXTS[row["outcome"]], "count": row["refunds"]}
            | {k: v for k, v in row.items() if k not in ("outcome", "refunds")}
            for row in rows["refunds"]
        ]
        print_rows(refunds, "table", "Refunds (conversions, paths and attribution count revenue net of them)")
        console.print("Each refund and its order: jejak export refunds")
    # Shares as percents (a whole share printed as "1", half as "0.50"), as in every report's table.
    if rows["channels"]:
        show_rows(rows["channels"], "table", "Conversions and revenue by channel (of the converting session)")
    paths = rows["top_paths"]
    total_conversions = sum(r["conversions"] for r in paths)
    total_revenue = sum(r["revenue"] for r in paths)
    print_rows(
        [*paths, {"path": "Total", "conversions": total_conversions, "revenue": total_revenue}],
        "table",
        "Top conversion paths",
    )
    if rows["quarantine"]:
        print_rows(rows["quarantine"], "table", "Quarantine")
        console.print("The rows and why: jejak quarantine list")
    else:
        console.print("Quarantine: empty")
    for warning in service.shared_identifier_warnings(rows["shared_identifiers"]):
        console.print(f"Warning: {warning}")


@report.command()
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def summary(output_format: str, project_dir: str | None) -> None:
    """People, sessions, conversions, revenue by channel, top paths, quarantine.

    Example: jejak report summary --format json
    """
    print_summary(project_at(project_dir), output_format)


@report.command()
@click.option("--by", "grouping", type=click.Choice(["device_type", "os"]), default="device_type", show_default=True)
@report_filters()
@handle_errors
def devices(request: ReportRequest, grouping: str) -> None:
    """Conversion by device type or OS, cross-device journeys, and which device closes after which.

    Example: jejak report devices --by os --format json
    """
    with open_build(request.project()) as built:
        found = service.devices(built, request.scope, by=grouping)
    title = f"Conversion by {grouping.replace('_', ' ')}"
    request.draw([(title, "devices_figure", found["devices"])], title)
    show_sections(
        {
            "devices": (title, found["devices"]),
            "unnamed_devices": (
                f"(not set): sessions whose files name no {grouping.replace('_', ' ')}, by channel",
                found["unnamed_devices"],
            ),
            "cross_device": ("Journeys across devices", found["cross_device"]),
            "handoff": ("First device → device of the conversion", found["handoff"]),
        },
        request.output_format,
    )


@report.command(name="bounce")
@click.option("--by", "grouping", type=click.Choice(["page", "channel"]), default="page", show_default=True)
@click.option(
    "--top", "top_n", type=click.IntRange(1, 1000), default=None, help="Pages shown (default: top_n setting)."
)
@report_filters()
@handle_errors
def bounce_report(request: ReportRequest, grouping: str, top_n: int | None) -> None:
    """Highest-bounce landing pages (with enough entrances), or bounce by channel; classic and engagement-based.

    Example: jejak report bounce --top 20
    """
    project = request.project()
    with open_build(project) as built:
        rows = service.bounce_rates(built, request.scope, by=grouping, top_n=top_n)["bounce"]
    if grouping == "page":
        title = f"Landing pages with the highest bounce (at least {project.settings.bounce_min_entrances} entrances)"
    else:
        title = "Bounce by channel"
    request.draw([(title, "bounce_figure", rows)], title)
    show_rows(rows, request.output_format, title)


@report.command(name="paths")
@click.option("--dimension", type=click.Choice(DIMENSIONS), default="channel", show_default=True)
@click.option("--exposure/--no-exposure", default=True, help="Collapse repeats in a row (default) or keep them.")
@click.option(
    "--top", "top_n", type=click.IntRange(1, 1000), default=None, help="Paths shown (default: top_n setting)."
)
@report_filters(channel=False)
@handle_errors
def paths_report(request: ReportRequest, dimension: str, exposure: bool, top_n: int | None) -> None:
    """Top conversion paths by channel, source / medium or campaign, with an Other row that keeps the totals.

    Example: jejak report paths --dimension campaign --no-exposure --top 20
    """
    with open_build(request.project()) as built:
        found = service.conversion_paths(built, request.scope, dimension=dimension, exposure=exposure, top_n=top_n)
    rows = found["paths"]
    title = f"Top conversion paths by {dimension.replace('_', ' / ')}"
    request.draw([(title, "paths_figure", rows)], title)
    show_rows(rows, request.output_format, title)


@report.command()
@click.option("--dimension", type=click.Choice(DIMENSIONS), default="channel", show_default=True)
@report_filters(channel=False)
@handle_errors
def assisted(request: ReportRequest, dimension: str) -> None:
    """First-interaction, assisted and last-interaction conversions and revenue, and what each mostly does.

    Example: jejak report assisted --dimension source_medium
    """
    with open_build(request.project()) as built:
        rows = service.assisted(built, request.scope, dimension=dimension)["assisted"]
    title = "Assisted conversions (touches in the lookback window, before path transforms)"
    request.draw([(title, "assisted_figure", rows)], title)
    if request.output_format == "table":
        rows = [
            {
                dimension: row[dimension],
                "first": row["first_interaction_conversions"],
                "assisted": row["assisted_conversions"],
                "last": row["last_interaction_conversions"],
                "assisted / last": report_cell("ratio", row["assisted_to_last_ratio"]),
                "reading": row["reading"],
                "assisted revenue": row["assisted_revenue"],
                "last revenue": row["last_interaction_revenue"],
            }
            for row in rows
        ]
    print_rows(rows, request.output_format, title)


def _histogram(kind: str, request: ReportRequest, *, by_first_channel: bool) -> None:
    """The time-lag or path-length histogram (and, for time lag in a table, the median and mean)."""
    title, figure = {
        "timelag": ("Time lag (days from first touch to conversion)", "time_lag_figure"),
        "pathlength": ("Path length (touches per conversion)", "path_length_figure"),
    }[kind]
    with open_build(request.project()) as built:
        found = service.histogram(built, request.scope, kind=kind, by_first_channel=by_first_channel)
    rows, middle = found["histogram"], found.get("summary", [])
    request.draw([(title, figure, rows)], title)
    show_rows(rows, request.output_format, title)
    if middle and request.output_format == "table":
        show_rows(middle, "table", "Median and mean")


@report.command()
@click.option("--by-first-channel", is_flag=True, help="One histogram per channel of the first touch.")
@report_filters()
@handle_errors
def timelag(request: ReportRequest, by_first_channel: bool) -> None:
    """Conversions by days from first touch to conversion (0, 1, … 11, 12-30, 31-60, 61-90, 91+).

    Example: jejak report timelag --by-first-channel --format csv
    """
    _histogram("timelag", request, by_first_channel=by_first_channel)


@report.command()
@click.option("--by-first-channel", is_flag=True, help="One histogram per channel of the first touch.")
@report_filters()
@handle_errors
def pathlength(request: ReportRequest, by_first_channel: bool) -> None:
    """Conversions by touches per conversion (1, 2, … 11, 12+).

    Example: jejak report pathlength --format json
    """
    _histogram("pathlength", request, by_first_channel=by_first_channel)


@report.command()
@click.argument("steps", nargs=-1, required=True)
@click.option(
    "--order", type=click.Choice(["sequential", "strict", "any"]), default=None, help="Default: funnel_order."
)
@click.option("--window-days", type=click.IntRange(1, 365), default=None, help="Default: funnel_window_days.")
@click.option("--exclude", "exclusions", multiple=True, help="An event that takes an attempt out (repeatable).")
@click.option(
    "--by", "breakdown", type=click.Choice(["channel", "device_type", "persona"]), default=None, help="Break down."
)
@click.option(
    "--top", "top_n", type=click.IntRange(1, 50), default=5, show_default=True, help="Breakdown values shown."
)
@click.option("--trend", "period", type=click.Choice(["day", "week", "month"]), default=None, help="Add a trend.")
@click.option("--next-after", "next_after", type=int, default=None, help="Add what people did after this step number.")
@report_filters(channel=False, conversion_type=False)
@handle_errors
def funnel(
    request: ReportRequest,
    steps: tuple[str, ...],
    order: str | None,
    window_days: int | None,
    exclusions: tuple[str, ...],
    breakdown: str | None,
    top_n: int,
    period: str | None,
    next_after: int | None,
) -> None:
    """People at each step (event names, or page:/path), drop-off, and median time between steps.

    The date range applies to the first step. Example:
    jejak report funnel "Product Viewed" "Product Added" "Checkout Started" "Order Completed" --by channel --next-after 3
    """
    query = FunnelQuery(steps, order, window_days, exclusions, breakdown, top_n, period, next_after)
    with open_build(request.project()) as built:
        chosen = query.funnel(built, request.scope)
        found = service.funnel(built, request.scope, query)
    title = f"Funnel ({chosen.order}, {chosen.window_seconds // 86_400}-day window)"
    pictures = [(title, "funnel_figure", found["steps"])]
    if "trend" in found:
        pictures.append((f"Entered and completed per {period}", "funnel_trend_figure", found["trend"]))
    request.draw(pictures, title)
    titles = {
        "steps": title,
        "trend": f"Per {period} of step 1",
        "next": f"What people did right after step {next_after}",
    }
    show_sections({name: (titles[name], rows) for name, rows in found.items()}, request.output_format)


@report.command()
@click.option("--from-event", "start_event", default=None, help="Follow paths forward from this event (or page:/path).")
@click.option("--to-event", "end_event", default=None, help="Follow paths backward from this event (or page:/path).")
@click.option("--steps", type=click.IntRange(1, 20), default=5, show_default=True)
@click.option("--top", "top_n", type=click.IntRange(1, 20), default=5, show_default=True, help="Nodes per step.")
@click.option("--node", type=click.Choice(["event", "page"]), default="event", show_default=True)
@click.option("--per", "within", type=click.Choice(["session", "person"]), default="session", show_default=True)
@report_filters(channel=False, conversion_type=False)
@handle_errors
def flows(
    request: ReportRequest,
    start_event: str | None,
    end_event: str | None,
    steps: int,
    top_n: int,
    node: str,
    within: str,
) -> None:
    """What people did after an event, or before one, step by step (a Sankey with --html).

    With neither --from-event nor --to-event, paths go forward from the event most visits open with, as on the
    dashboard's Path flows page. Example: jejak report flows --from-event Beranda --steps 4 --html flows.html
    """
    from jejak.core.errors import SettingError

    if start_event is not None and end_event is not None:
        raise SettingError("Give one of --from-event (forward) and --to-event (backward), not both.")
    with open_build(request.project()) as built:
        if start_event is None and end_event is None:
            start_event = service.usual_first_event(built)
            if start_event is None:
                raise SettingError("The build has no visit to follow: give --from-event or --to-event.")
            if request.output_format == "table":
                console.print(
                    f"From {start_event}, the event most visits open with (choose with --from-event or --to-event)."
                )
        found = service.flows(
            built,
            request.scope,
            start_event=start_event,
            end_event=end_event,
            steps=steps,
            top_n=top_n,
            node=node,
            within=within,
        )
    title = f"After {start_event}" if start_event is not None else f"Before {end_event}"
    nodes, links = found["nodes"], found["links"]
    request.draw([(title, "flows_figure", links)], title)
    show_sections(
        {"nodes": (f"{title}: paths per step", nodes), "links": (f"{title}: links", links)}, request.output_format
    )


@report.command()
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def stages(output_format: str, project_dir: str | None) -> None:
    """People reaching each journey stage, going on to a later one, median days in the stage; where people are now.

    Stages come from the rules in jejak.toml ([[stages.rules]], [[stages.prepend]]) or the defaults.
    Example: jejak report stages --format json
    """
    with open_build(project_at(project_dir)) as built:
        found = service.stages(built)
    funnel_rows, current = found["stages"], found["current"]
    show_sections(
        {
            "stages": ("Journey stages (people reaching each, going on to a later one)", funnel_rows),
            "current": ("Where people are now (the furthest stage reached)", current),
        },
        output_format,
    )
