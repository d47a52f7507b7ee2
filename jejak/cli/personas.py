"""`jejak persona …`: persona documents (list, show, add, import, export, delete) and where people fall."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from jejak.cli.common import (
    FORMATS,
    OUTPUT_FILE_OR_STDOUT,
    PROJECT_OPTION,
    console,
    handle_errors,
    print_rows,
    project_at,
    styled,
)
from jejak.core.typed import TYPED_WHOLE_MOST


@click.group()
def persona() -> None:
    """Persona documents and the rules that put people in them."""


@persona.command(name="list")
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def list_personas(output_format: str, project_dir: str | None) -> None:
    """Every persona, in priority order.

    Example: jejak persona list
    """
    from jejak.segments.personas import load_personas

    rows = [
        {
            "priority": p.priority,
            "name": p.name,
            "origin": p.origin,
            "rules": " and ".join(str(rule) for rule in p.rules),
            "description": p.description,
        }
        for p in load_personas(project_at(project_dir).sqlite_path)
    ]
    if not rows and output_format == "table":
        console.print(
            'No personas yet. Write one: jejak persona add NAME --rule "share_whatsapp >= 0.3"; or let the data '
            "suggest them: jejak persona discover."
        )
        return
    print_rows(rows, output_format, "Personas")


@persona.command()
@click.argument("name")
@PROJECT_OPTION
@handle_errors
def show(name: str, project_dir: str | None) -> None:
    """One persona document, as YAML.

    Example: jejak persona show "Rina, the Instagram regular"
    """
    from jejak.segments.personas import find_persona, personas_to_yaml

    click.echo(personas_to_yaml([find_persona(project_at(project_dir).sqlite_path, name)]), nl=False)


@persona.command()
@click.argument("name")
@click.option("--description", default="", help="Who they are, in a sentence or two.")
@click.option(
    "--priority",
    type=click.IntRange(-TYPED_WHOLE_MOST, TYPED_WHOLE_MOST),
    default=100,
    show_default=True,
    help="Lower goes first when assigning people.",
)
@click.option(
    "--rule", "rules", multiple=True, help='A condition on a feature, e.g. "share_social >= 0.5" (repeatable).'
)
@PROJECT_OPTION
@handle_errors
def add(name: str, description: str, priority: int, rules: tuple[str, ...], project_dir: str | None) -> None:
    """Add a persona (or replace the one with this name); edit the rest in YAML (export, edit, import).

    Example: jejak persona add "Pak Budi" --rule "share_whatsapp >= 0.3" --rule "average_order_value > 500000"
    """
    from jejak.segments.personas import persona_from_document, save_persona

    document = {"name": name, "description": description, "priority": priority, "rules": list(rules)}
    save_persona(project_at(project_dir).sqlite_path, persona_from_document(document))
    console.print(f"Saved persona {name!r}.")


@persona.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@PROJECT_OPTION
@handle_errors
def import_personas(file: str, project_dir: str | None) -> None:
    """Add or replace personas from a YAML file (a list of documents); nothing is saved if one is wrong.

    Example: jejak persona import personas.yaml
    """
    from jejak.segments.personas import personas_from_file, save_persona, with_fields

    personas = personas_from_file(Path(file))
    sqlite_path = project_at(project_dir).sqlite_path
    for one in personas:
        save_persona(sqlite_path, with_fields(one, origin="imported") if one.origin == "manual" else one)
    console.print(f"Imported {len(personas)} persona(s) from {file}.")


@persona.command()
@click.option("--output", "-o", type=OUTPUT_FILE_OR_STDOUT, default=None, help="File to write (default, or -: print).")
@PROJECT_OPTION
@handle_errors
def export(output: str | None, project_dir: str | None) -> None:
    """Every persona as YAML, to edit and import again.

    Example: jejak persona export -o personas.yaml
    """
    from jejak.segments.personas import load_personas, personas_to_yaml

    text = personas_to_yaml(load_personas(project_at(project_dir).sqlite_path))
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    console.print(f"Wrote {output}.")


@persona.command()
@click.argument("name")
@PROJECT_OPTION
@handle_errors
def delete(name: str, project_dir: str | None) -> None:
    """Delete a persona document.

    Example: jejak persona delete "Pak Budi"
    """
    from jejak.segments.personas import delete_persona

    delete_persona(project_at(project_dir).sqlite_path, name)
    console.print(f"Deleted persona {name!r}.")


@persona.command()
@click.option("--clusters", type=click.IntRange(2, 20), default=None, help="How many groups (default: by silhouette).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True)
@click.option("--adopt", is_flag=True, help="Save each group as a draft persona document (origin: discovered).")
@PROJECT_OPTION
@handle_errors
def discover(clusters: int | None, seed: int, adopt: bool, project_dir: str | None) -> None:
    """Find groups of people by behaviour (k-means on the build's features) and describe them in words.

    Example: jejak persona discover --clusters 5 --adopt
    """
    from jejak.segments.personas import load_personas
    from jejak.service.personas import adopt_draft, discover_clusters, draft_document, suggested_text

    project = project_at(project_dir)
    found = discover_clusters(project, clusters=clusters, seed=seed)
    if clusters is None:
        tried = sorted(found.silhouette_by_k)
        console.print(
            f"{found.k} groups: the highest silhouette score of {tried[0]} to {tried[-1]} groups "
            "(choose the number with --clusters)."
        )
    # A draft never replaces a persona someone wrote or imported, nor another group's draft of this run.
    taken = {p.name for p in load_personas(project.sqlite_path) if p.origin != "discovered"} if adopt else set()
    for cluster in found.clusters:
        name = cluster.draft.name if cluster.draft.name not in taken else f"{cluster.draft.name} ({cluster.number})"
        taken.add(name)
        share = f"{cluster.share * 100:.0f} %"
        console.print(styled("\n", (f"{cluster.number}. {name}", "bold"), f" — {cluster.size:,} people ({share})"))
        for trait in cluster.traits[:5]:
            console.print(f"   • {trait}")
        if cluster.draft.suggested.rules:
            console.print(f"   Rules: {suggested_text(cluster.draft.suggested)}", soft_wrap=True, highlight=False)
        if adopt:
            adopt_draft(project, {**draft_document(cluster), "name": name})
    if adopt:
        console.print(
            f"\nSaved {len(found.clusters)} draft personas with the rules above (a person gets the first persona, by "
            "priority, whose rules all hold): check them and add words with `jejak persona export`."
        )
    else:
        # The same groups again: the number found and the seed, so that k-means starts where it did.
        again = f"jejak persona discover --clusters {found.k}" + (f" --seed {seed}" if seed else "") + " --adopt"
        again += f" --project {shlex.quote(project_dir)}" if project_dir else ""
        console.print(f"\nNothing is saved. To keep these groups as draft personas: {again}", soft_wrap=True)
