"""`jejak imports …`: the imports log, the import profiles, and removing what one file's imports brought (to import it
again, right)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from jejak.cli.common import FORMATS, PROJECT_OPTION, ask, console, handle_errors, print_rows, project_at
from jejak.core.typed import TYPED_WHOLE_MOST

if TYPE_CHECKING:
    from jejak.ingest.removal import Removal


@click.group()
def imports() -> None:
    """The files imported so far, the import profiles, and removing one file's import."""


@imports.command(name="list")
@click.option(
    "--limit", type=click.IntRange(1, TYPED_WHOLE_MOST), default=50, show_default=True, help="Latest imports to show."
)
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def list_imports(limit: int, output_format: str, project_dir: str | None) -> None:
    """Every import, newest first: file, format, when, rows read, stored, quarantined and skipped as duplicates.

    A re-try from the quarantine is listed as format `quarantine`, a removal as `removed` (with negative counts), and
    the events of a file that a later import replaced (`--update`) as `replaced`.
    """
    from jejak.service.data import imports_log

    rows = imports_log(project_at(project_dir), limit=limit)
    if not rows:
        console.print("Nothing imported yet: jejak import FILE…")
        return
    shown = [{key: value for key, value in row.items() if key != "reconciles"} for row in rows]
    if output_format == "table":
        # Tenths of a second, as kept (a table's floats from 1 up show whole: 1.5 s read "2").
        shown = [{**row, "seconds": f"{row['seconds']:.1f}"} for row in shown]
    print_rows(shown, output_format, "Imports (newest first)")


@imports.command()
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def profiles(output_format: str, project_dir: str | None) -> None:
    """The import profiles of jejak.toml ([import.profiles.NAME], and [spend.profiles.NAME] for `jejak spend
    import`): the files each reads, and its options.

    A file whose name matches a profile's files patterns is read with its options (--profile NAME names one for any
    file); save one with jejak import FILE … --save-profile NAME, edit it in jejak.toml.
    """
    from jejak.ingest.profiles import SECTIONS, import_profiles
    from jejak.ingest.removal import options_text

    project = project_at(project_dir)
    found = [(section, profile) for section in SECTIONS for profile in import_profiles(project, section).values()]
    if not found:
        console.print(
            f"No import profiles in {project.config_path} yet. Save the options a file was read with for the "
            "source's next exports: jejak import FILE --map … --save-profile NAME"
        )
        return
    rows = [
        {
            "profile": profile.name,
            "for": "jejak import" if section == "import" else "jejak spend import",
            "files": " ".join(profile.files),
            "options": options_text(profile.options),
        }
        for section, profile in found
    ]
    print_rows(rows, output_format, "Import profiles (jejak.toml)")


@imports.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask first.")
@PROJECT_OPTION
@handle_errors
def remove(files: tuple[str, ...], yes: bool, project_dir: str | None) -> None:
    """Remove every event, quarantined row and spend row that a file's imports brought.

    Importing a file again with another --map does not replace its events (they would be stored twice, or skipped
    as duplicates): remove the file's import, then import it as it should have been (or: jejak import FILE --replace).
    A file is named by its path, or by its name when only one imported file has it; a zip archive's path names
    every file imported from it.

    Example: jejak imports remove pesanan.csv && jejak import pesanan.csv --map "waktu=timestamp,no_hp=phone"
    """
    from jejak.ingest.removal import imported_files_named, remove_import, what_removal_takes

    project = project_at(project_dir)
    for name in [file for named in files for file in imported_files_named(project, named)]:
        if not yes:
            taken = what_removal_takes(project, name)
            ask(f"Remove {_what(taken)} of {taken.file}?")
        done = remove_import(project, name)
        console.print(f"Removed {_what(done)} of {done.file}. Build again to see it in the reports: jejak build")


def _what(removal: Removal) -> str:
    """`120 events, 3 quarantined rows and 0 spend rows`."""
    return f"{removal.events:,} events, {removal.quarantined:,} quarantined rows and {removal.spend_rows:,} spend rows"


@click.command()
@PROJECT_OPTION
@handle_errors
def compact(project_dir: str | None) -> None:
    """Merge each day of the event lake into one file: fewer, larger files for every build to read.

    Every import adds a file to each day it touches. Compaction waits for a running import or build, and they for
    it; the events stay the same (an event stored twice is kept once).

    Example: jejak compact
    """
    from jejak.ingest.compaction import compact_lake

    done = compact_lake(project_at(project_dir))
    console.print(
        f"Merged {done.days_merged:,} day{'' if done.days_merged == 1 else 's'}: "
        f"{done.files_before:,} files → {done.files_after:,}, "
        f"{done.events_after:,} events"
        + (
            f" ({done.events_before - done.events_after:,} stored twice, kept once)"
            if done.events_before != done.events_after
            else ""
        )
        + "."
    )
