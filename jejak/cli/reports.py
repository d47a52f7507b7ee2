"""`jejak report …`: one command per journey report, printed as a table, CSV or JSON, drawn with --html."""

from __future__ import annotations

import json
from typing import Any

import click

from jejak.cli.common import (
    FORMATS,
    cell_text,
    console,
    draw,
    filters_from,
    handle_errors,
    open_build,
    persona_assignments,
    persona_people,
    print_rows,
    project_at,
    report_cell,
    report_filters,
    scoped,
    show_rows,
    show_sections,
)
from jejak.journeys.filters import only_people


@click.group()
def report() -> None:
    """Reports on the current build."""


def summary_rows(project: Any) -> dict[str, list[dict[str, Any]]]:
    """Execute the summary tables of the current build."""
    from jejak.analytics.summary import headline, revenue_by_channel, top_paths
    from jejak.ingest.importer import quarantine_counts

    with open_build(project) as built:
        return {
            "headline": built.rows(headline(built.read("people"), built.read("sessions"), built.read("journeys"))),
            "channels": built.rows(revenue_by_channel(built.read("conversions"))),
            "top_paths": built.rows(top_paths(built.read("paths"), project.settings.top_n)),
            "quarantine": [{"reason": k, "rows": v} for k, v in quarantine_counts(project).items()],
        }


def print_summary(project: Any, output_format: str = "table") -> None:
    rows = summary_rows(project)
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
    shown = {label: head[key] for key, label in labels.items()}
    rate = head["journey_conversion_rate"]
    shown["journeys converting"] = "" if rate is None else f"{rate * 100:.1f} %"
    print_rows([{"measure": k, "value": cell_text(v)} for k, v in shown.items()], "table", "Summary")
    print_rows(rows["channels"], "table", "Conversions and revenue by channel (of the converting session)")
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
    else:
        console.print("Quarantine: empty")


@report.command()
@click.option("--format", "output_format", type=FORMATS, default="table")
@click.option("--project", "project_dir", default=None, help="Project directory (default: $JEJAK_PROJECT or .).")
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
def devices(
    grouping: str,
    output_format: str,
    project_dir: str | None,
    start_date: Any,
    end_date: Any,
    html_file: str | None,
    persona: str | None,
    conversion_types: tuple[str, ...],
    channel: str | None,
) -> None:
    """Conversion by device type or OS, cross-device journeys, and which device closes after which.

    Example: jejak report devices --by os --format json
    """
    from jejak.analytics.devices import cross_device, device_conversion, device_handoff

    project = project_at(project_dir)
    lookback = project.settings.lookback_days
    chosen = filters_from(start_date, end_date, conversion_types, channel)
    with open_build(project) as built:
        chosen = scoped(chosen, built, persona)
        sessions = chosen.sessions(built.read("sessions"))
        touches = only_people(built.read("touchpoints"), chosen.people)
        conversions = chosen.conversions(built.read("conversions"))
        in_window = built.read_if_built("journey_touches")
        found = {
            "devices": built.rows(device_conversion(sessions, touches, by=grouping)),
            "cross_device": built.rows(cross_device(touches, conversions, lookback_days=lookback, in_window=in_window)),
            "handoff": built.rows(device_handoff(touches, conversions, lookback_days=lookback, in_window=in_window)),
        }
    title = f"Conversion by {grouping.replace('_', ' ')}"
    draw(html_file, [(title, "devices_figure", found["devices"])], title)
    show_sections(
        {
            "devices": (title, found["devices"]),
            "cross_device": ("Journeys across devices", found["cross_device"]),
            "handoff": ("Device of the first touch → device of the conversion", found["handoff"]),
        },
        output_format,
    )


@report.command(name="bounce")
@click.option("--by", "grouping", type=click.Choice(["page", "channel"]), default="page", show_default=True)
@click.option(
    "--top", "top_n", type=click.IntRange(1, 1000), default=None, help="Pages shown (default: top_n setting)."
)
@report_filters()
@handle_errors
def bounce_report(
    grouping: str,
    top_n: int | None,
    output_format: str,
    project_dir: str | None,
    start_date: Any,
    end_date: Any,
    html_file: str | None,
    persona: str | None,
    conversion_types: tuple[str, ...],
    channel: str | None,
) -> None:
    """Highest-bounce landing pages (with enough entrances), or bounce by channel; classic and engagement-based.

    Example: jejak report bounce --top 20
    """
    from jejak.analytics.bounce import bounce, highest_bounce_pages

    project = project_at(project_dir)
    settings = project.settings
    engaged = {
        "engaged_seconds": settings.bounce_engaged_seconds,
        "engaged_min_views": settings.bounce_engaged_min_views,
    }
    chosen = filters_from(start_date, end_date, conversion_types, channel)
    with open_build(project) as built:
        chosen = scoped(chosen, built, persona)
        sessions = chosen.sessions(built.read("sessions"))
        if grouping == "page":
            table = highest_bounce_pages(
                sessions, n=top_n or settings.top_n, min_entrances=settings.bounce_min_entrances, **engaged
            )
            title = f"Landing pages with the highest bounce (at least {settings.bounce_min_entrances} entrances)"
        else:
            table = bounce(sessions, by="channel", **engaged)
            title = "Bounce by channel"
        rows = built.rows(table)
    draw(html_file, [(title, "bounce_figure", rows)], title)
    show_rows(rows, output_format, title)


@report.command(name="paths")
@click.option(
    "--dimension", type=click.Choice(["channel", "source_medium", "campaign"]), default="channel", show_default=True
)
@click.option("--exposure/--no-exposure", default=True, help="Collapse repeats in a row (default) or keep them.")
@click.option(
    "--top", "top_n", type=click.IntRange(1, 1000), default=None, help="Paths shown (default: top_n setting)."
)
@report_filters(channel=False)
@handle_errors
def paths_report(
    dimension: str,
    exposure: bool,
    top_n: int | None,
    output_format: str,
    project_dir: str | None,
    start_date: Any,
    end_date: Any,
    html_file: str | None,
    persona: str | None,
    conversion_types: tuple[str, ...],
) -> None:
    """Top conversion paths by channel, source / medium or campaign, with an Other row that keeps the totals.

    Example: jejak report paths --dimension campaign --no-exposure --top 20
    """
    from jejak.analytics.paths import top_conversion_paths, top_of_paths

    project = project_at(project_dir)
    settings = project.settings
    chosen = filters_from(start_date, end_date, conversion_types)
    same_as_build = (
        dimension == "channel"
        and settings.path_transform in ("exposure", "unique")
        and exposure == (settings.path_transform == "exposure")
        and settings.path_max_touches == 0
        and chosen == filters_from(None, None, ())
        and persona is None
    )
    with open_build(project) as built:
        chosen = scoped(chosen, built, persona)
        if same_as_build:
            # The build's own unique paths are exactly these: read them instead of rebuilding journeys.
            table = top_of_paths(built.read("paths"), n=top_n or settings.top_n)
        else:
            table = top_conversion_paths(
                built.read("touchpoints"),
                chosen.conversions(built.read("conversions")),
                lookback_days=settings.lookback_days,
                dimension=dimension,
                exposure=exposure,
                n=top_n or settings.top_n,
                in_window=built.read_if_built("journey_touches"),
            )
        rows = built.rows(table)
    title = f"Top conversion paths by {dimension.replace('_', ' / ')}"
    draw(html_file, [(title, "paths_figure", rows)], title)
    show_rows(rows, output_format, title)


@report.command()
@click.option(
    "--dimension", type=click.Choice(["channel", "source_medium", "campaign"]), default="channel", show_default=True
)
@report_filters(channel=False)
@handle_errors
def assisted(
    dimension: str,
    output_format: str,
    project_dir: str | None,
    start_date: Any,
    end_date: Any,
    html_file: str | None,
    persona: str | None,
    conversion_types: tuple[str, ...],
) -> None:
    """First-interaction, assisted and last-interaction conversions and revenue, and what each mostly does.

    Example: jejak report assisted --dimension source_medium
    """
    from jejak.analytics.assisted import assisted_conversions

    project = project_at(project_dir)
    chosen = filters_from(start_date, end_date, conversion_types)
    with open_build(project) as built:
        chosen = scoped(chosen, built, persona)
        rows = built.rows(
            assisted_conversions(
                built.read("touchpoints"),
                chosen.conversions(built.read("conversions")),
                lookback_days=project.settings.lookback_days,
                dimension=dimension,
                in_window=built.read_if_built("journey_touches"),
            )
        )
    title = "Assisted conversions (touches in the lookback window, before path transforms)"
    draw(html_file, [(title, "assisted_figure", rows)], title)
    if output_format == "table":
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
    print_rows(rows, output_format, title)


def _histogram(
    kind: str,
    *,
    project_dir: str | None,
    start_date: Any,
    end_date: Any,
    conversion_types: tuple[str, ...],
    channel: str | None,
    persona: str | None,
    by_first_channel: bool,
    output_format: str,
    html_file: str | None,
) -> None:
    """The time-lag or path-length histogram (and, for time lag in a table, the median and mean)."""
    from jejak.analytics.lags import lag_summary, path_length, time_lag

    project = project_at(project_dir)
    chosen = filters_from(start_date, end_date, conversion_types, channel)
    histogram, title, figure = {
        "timelag": (time_lag, "Time lag (days from first touch to conversion)", "time_lag_figure"),
        "pathlength": (path_length, "Path length (touches per conversion)", "path_length_figure"),
    }[kind]
    with open_build(project) as built:
        journeys = scoped(chosen, built, persona).journeys(built.read("journeys"))
        rows = built.rows(histogram(journeys, by_first_channel=by_first_channel))
        middle = built.rows(lag_summary(journeys)) if kind == "timelag" and output_format == "table" else []
    draw(html_file, [(title, figure, rows)], title)
    show_rows(rows, output_format, title)
    if middle:
        show_rows(middle, "table", "Median and mean")


@report.command()
@click.option("--by-first-channel", is_flag=True, help="One histogram per channel of the first touch.")
@report_filters()
@handle_errors
def timelag(**options: Any) -> None:
    """Conversions by days from first touch to conversion (0, 1, … 11, 12-30, 31-60, 61-90, 91+).

    Example: jejak report timelag --by-first-channel --format csv
    """
    _histogram("timelag", **options)


@report.command()
@click.option("--by-first-channel", is_flag=True, help="One histogram per channel of the first touch.")
@report_filters()
@handle_errors
def pathlength(**options: Any) -> None:
    """Conversions by touches per conversion (1, 2, … 11, 12+).

    Example: jejak report pathlength --format json
    """
    _histogram("pathlength", **options)


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
    steps: tuple[str, ...],
    order: str | None,
    window_days: int | None,
    exclusions: tuple[str, ...],
    breakdown: str | None,
    top_n: int,
    period: str | None,
    next_after: int | None,
    output_format: str,
    project_dir: str | None,
    start_date: Any,
    end_date: Any,
    html_file: str | None,
    persona: str | None,
) -> None:
    """People at each step (event names, or page:/path), drop-off, and median time between steps.

    The date range applies to the first step. Example:
    jejak report funnel "Product Viewed" "Product Added" "Checkout Started" "Order Completed" --by channel --next-after 3
    """
    from jejak.analytics.funnels import Funnel, funnel_next, funnel_steps, funnel_trend

    project = project_at(project_dir)
    settings = project.settings
    chosen = Funnel.of(
        steps,
        exclusions=exclusions,
        order=order or settings.funnel_order,
        window_seconds=(window_days or settings.funnel_window_days) * 86_400,
        start=start_date.date() if start_date else None,
        end=end_date.date() if end_date else None,
    )
    with open_build(project) as built:
        stream = only_people(built.read("events"), persona_people(built, persona) if persona else None)
        found = {
            "steps": built.rows(
                funnel_steps(
                    stream,
                    chosen,
                    breakdown=breakdown,
                    sessions=built.read("sessions"),
                    top_n=top_n,
                    personas=persona_assignments(built) if breakdown == "persona" else None,
                )
            )
        }
        if period:
            found["trend"] = built.rows(funnel_trend(stream, chosen, period=period))
        if next_after is not None:
            found["next"] = built.rows(funnel_next(stream, chosen, step=next_after, top_n=top_n))
    title = f"Funnel ({chosen.order}, {chosen.window_seconds // 86_400}-day window)"
    pictures = [(title, "funnel_figure", found["steps"])]
    if "trend" in found:
        pictures.append((f"Entered and completed per {period}", "funnel_trend_figure", found["trend"]))
    draw(html_file, pictures, title)
    titles = {
        "steps": title,
        "trend": f"Per {period} of step 1",
        "next": f"What people did right after step {next_after}",
    }
    show_sections({name: (titles[name], rows) for name, rows in found.items()}, output_format)


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
    start_event: str | None,
    end_event: str | None,
    steps: int,
    top_n: int,
    node: str,
    within: str,
    output_format: str,
    project_dir: str | None,
    start_date: Any,
    end_date: Any,
    html_file: str | None,
    persona: str | None,
) -> None:
    """What people did after an event, or before one, step by step (a Sankey with --html).

    Example: jejak report flows --from-event Beranda --steps 4 --html flows.html
    """
    from jejak.analytics.flows import Flow, flow_links, flow_nodes
    from jejak.core.errors import SettingError

    if (start_event is None) == (end_event is None):
        raise SettingError("Give exactly one of --from-event (forward) and --to-event (backward).")
    options: dict[str, Any] = {
        "steps": steps,
        "top_n": top_n,
        "node": node,
        "within": within,
        "start": start_date.date() if start_date else None,
        "end": end_date.date() if end_date else None,
    }
    if start_event is not None:
        chosen = Flow.forward(start_event, **options)
        title = f"After {start_event}"
    else:
        chosen = Flow.backward_from(str(end_event), **options)
        title = f"Before {end_event}"
    with open_build(project_at(project_dir)) as built:
        stream = only_people(built.read("events"), persona_people(built, persona) if persona else None)
        nodes = built.rows(flow_nodes(stream, chosen))
        links = built.rows(flow_links(stream, chosen))
    draw(html_file, [(title, "flows_figure", links)], title)
    show_sections({"nodes": (f"{title}: paths per step", nodes), "links": (f"{title}: links", links)}, output_format)


@report.command()
@click.option("--format", "output_format", type=FORMATS, default="table")
@click.option("--project", "project_dir", default=None, help="Project directory (default: $JEJAK_PROJECT or .).")
@handle_errors
def stages(output_format: str, project_dir: str | None) -> None:
    """People reaching each journey stage, going on to the next, median days in the stage; where people are now.

    Stages come from the rules in jejak.toml ([[stages.rules]], [[stages.prepend]]) or the defaults.
    Example: jejak report stages --format json
    """
    from jejak.segments.stages import current_stages, model_stages, stage_funnel

    project = project_at(project_dir)
    names = model_stages(project.settings.stage_model, project.settings.stages)
    with open_build(project) as built:
        milestones = built.read("person_stages")
        funnel_rows = built.rows(stage_funnel(milestones, names))
        now = current_stages(milestones)
        where = now.group_by("current_stage").aggregate(people=now.count())
        current = built.rows(where.order_by(where.people.desc()))
    show_sections(
        {
            "stages": ("Journey stages (people reaching each, going on to the next)", funnel_rows),
            "current": ("Where people are now (the furthest stage reached)", current),
        },
        output_format,
    )
