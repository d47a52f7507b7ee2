"""`jejak map`: the customer journey map of a persona (or everyone), drawn from the build and people's notes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from jejak.cli.common import OUTPUT_FILE, PROJECT_OPTION, console, err_console, handle_errors, project_at

# `journey_maps` is re-exported: `jejak demo` draws every persona's map with it.
from jejak.service.maps import journey_map_of, print_map
from jejak.service.maps import journey_maps as journey_maps


@click.group(name="map", invoke_without_command=True)
@click.option("--persona", default=None, help="A persona's people (default: everyone).")
@click.option(
    "--from", "start_date", type=click.DateTime(["%Y-%m-%d"]), help="First day (the timezone setting's days)."
)
@click.option("--to", "end_date", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--html", "html_file", type=OUTPUT_FILE, default=None, help="Write the map as a page.")
@click.option("--pdf", "pdf_file", type=OUTPUT_FILE, default=None, help="One landscape page (Chromium).")
@click.option("--png", "png_file", type=OUTPUT_FILE, default=None, help="A picture (Chromium).")
@click.option("--lang", type=click.Choice(["en", "id"]), default="en", show_default=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    help="In the terminal (with --html, --pdf or --png only when given).",
)
@PROJECT_OPTION
@click.pass_context
@handle_errors
def map_command(
    context: click.Context,
    persona: str | None,
    start_date: Any,
    end_date: Any,
    html_file: str | None,
    pdf_file: str | None,
    png_file: str | None,
    lang: str,
    output_format: str,
    project_dir: str | None,
) -> None:
    """The customer journey map: stages × actions, touchpoints, KPIs, thoughts, feelings, pain points, opportunities.

    Example: jejak map --persona "Rina, the Instagram regular" --html rina.html --lang id
    """
    if context.invoked_subcommand is not None:
        return
    from jejak.maps.render import to_html, to_rich

    project = project_at(project_dir)
    journey = journey_map_of(
        project, persona, start_date.date() if start_date else None, end_date.date() if end_date else None
    )
    if html_file:
        Path(html_file).write_text(to_html(journey, lang), encoding="utf-8")
        err_console.print(f"Drawn: {html_file}")
    if pdf_file or png_file:
        print_map(journey, lang, pdf=Path(pdf_file) if pdf_file else None, png=Path(png_file) if png_file else None)
        for written in (pdf_file, png_file):
            if written:
                err_console.print(f"Drawn: {written}")
    # A map asked for as a file is not drawn in the terminal too (five stages of lanes fill a screen many times over),
    # unless --format asks for it.
    drawn = html_file or pdf_file or png_file
    if drawn and context.get_parameter_source("output_format") is not click.core.ParameterSource.COMMANDLINE:
        return
    if output_format == "json":
        click.echo(json.dumps(dataclasses.asdict(journey), default=str, ensure_ascii=False, indent=1))
    else:
        console.print(to_rich(journey, lang))


@map_command.command()
@click.option("--persona", default="", help="Whose map (default: everyone's).")
@click.option("--stage", required=True)
@click.option(
    "--lane",
    required=True,
    type=click.Choice(
        ["thoughts", "pain_points", "opportunities", "actions", "touchpoints", "feeling", "feeling_to_be"]
    ),
)
@click.option("--text", default="", help="The note (text lanes).")
@click.option("--value", type=float, default=None, help="A feeling from -2 to +2 (feeling lanes).")
@PROJECT_OPTION
@handle_errors
def note(persona: str, stage: str, lane: str, text: str, value: float | None, project_dir: str | None) -> None:
    """Add a note to a journey map (it shows as manual), or set a stage's feeling (as-is or to-be).

    Example: jejak map note --stage Decision --lane pain_points --text "Worried the payment is not safe"
    """
    from jejak.maps.notes import add_note

    note_id = add_note(
        project_at(project_dir).sqlite_path, persona=persona, stage=stage, lane=lane, text=text, value=value
    )
    console.print(f"Saved note {note_id}.")
