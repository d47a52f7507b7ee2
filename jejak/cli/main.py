"""The `jejak` command: parse, call one library function, print. Exit 0 ok, 1 handled failure, 2 bug."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from jejak.cli.common import (
    FORMATS,
    OUTPUT_FILE_OR_STDOUT,
    PROJECT_OPTION,
    ask,
    cell_text,
    console,
    err_console,
    handle_errors,
    print_error,
    print_rows,
    print_warning,
    project_at,
    styled,
    time_format_advice,
    waiting_refunds_line,
)
from jejak.cli.imports import compact, imports
from jejak.cli.maps import journey_maps, map_command
from jejak.cli.personas import persona
from jejak.cli.quarantine import quarantine
from jejak.cli.reports import print_summary, report
from jejak.cli.web import precompute_views, serve, serve_project, user
from jejak.core.errors import InputFileError, JejakError, SettingError
from jejak.core.settings import PATH_TRANSFORMS, RESAMPLES_MOST, SETTINGS_BY_NAME
from jejak.core.typed import TYPED_WHOLE_MOST
from jejak.ingest.archives import shown_name
from jejak.service.attribution import (
    ATTRIBUTE_BY,
    HONEST_LABEL,
    currency_note,
    dimension_note,
    markov_order_note,
    spend_note_text,
    unsteady_credit_note,
)
from jejak.service.builds import open_build
from jejak.service.reports import no_conversions_note

DEMO_MARKER = ".jejak-demo"


@click.group()
@click.version_option(package_name="jejak")
def cli() -> None:
    """jejak: customer-journey analytics and mapping, self-hosted.

    Example:
        jejak init kopi && cd kopi && jejak import ../orders.csv && jejak build && jejak report summary
    """


cli.add_command(report)
cli.add_command(persona)
cli.add_command(quarantine)
cli.add_command(imports)
cli.add_command(compact)
cli.add_command(map_command)
cli.add_command(serve)
cli.add_command(user)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@handle_errors
def init(directory: str) -> None:
    """Create a project: jejak.toml, data/, jejak.sqlite and the hashing key.

    Example: jejak init kopi-jejak
    """
    from jejak.store.project import init_project

    project = init_project(Path(directory))
    console.print(styled("Project ready in ", (str(project.root), "bold")))
    console.print(f"  settings     {project.config_path}")
    console.print(f"  event lake   {project.events_dir}")
    console.print(f"  app state    {project.sqlite_path}")
    console.print(f"  hashing key  {project.key_path}  (back it up; it never goes inside data/)")


def _import_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),  # the description is a file name
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def run_imports(
    project: Any,
    files: Sequence[Path | str],
    options: Any,
    source: str | None,
    *,
    check: bool = False,
    replace: bool = False,
    update: bool = False,
    profile: Any = None,
) -> tuple[list[Any], list[tuple[Path | str, InputFileError]]]:
    """Import files, each read with `options` (an `importer.ImportOptions`), with a progress bar each (with `check`,
    store nothing); returns the summaries, and the files that could not be imported with why. One file's fault (a
    column missing, a file cut short) does not stop the files after it: each file is imported on its own, so what was
    stored is stored either way. A web address (`remote`) is downloaded into the staging area first, and imported as
    its address. `profile` (`profiles.ImportProfile`, `--profile`) reads every file; without it, a file whose name
    matches a profile's `files` is read with that one."""
    from jejak.ingest.importer import check_importable
    from jejak.ingest.profiles import import_profiles
    from jejak.ingest.remote import download_url, fetch, is_url
    from jejak.store.lake import staging_area

    check_importable([Path(file) for file in files if not is_url(file)])  # a mistyped name stops everything at once
    profiles = import_profiles(project)  # a profile written wrong in jejak.toml stops everything at once too
    failed: list[tuple[Path | str, InputFileError]] = []
    with _import_progress() as progress:
        tasks: dict[str, Any] = {}

        def report(done: int, total: int) -> None:
            task = tasks.get("current")
            if task is not None:
                progress.update(task, completed=done, total=total)

        summaries = []
        for file in files:
            tasks["current"] = progress.add_task(shown_name(file), total=1)
            try:
                with contextlib.ExitStack() as downloaded:
                    named = download_url(file) if is_url(file) else None  # as the lake names it
                    path = fetch(file, downloaded.enter_context(staging_area(project))) if is_url(file) else Path(file)
                    summaries.append(
                        _import_one(
                            project,
                            path,
                            named,
                            options,
                            source,
                            check,
                            replace,
                            report,
                            update=update,
                            profile=profile,
                            profiles=profiles,
                        )
                    )
            except InputFileError as exc:
                failed.append((file, exc))
            progress.remove_task(tasks.pop("current"))
    return summaries, failed


def _import_one(
    project: Any,
    path: Path,
    named: str | None,
    options: Any,
    source: str | None,
    check: bool,
    replace: bool,
    report: Callable[[int, int], None],
    *,
    update: bool = False,
    profile: Any = None,
    profiles: Mapping[str, Any] | None = None,
) -> Any:
    """`run_imports` of one file (`path`, imported as `named` when that is a downloaded copy). A file imported before
    is read as it was when the command gives no options of its own (`--map`, `--set`, …; `--profile`; `--source`), so
    that importing an export again, or a sheet staff add to, needs only its name. Otherwise the profile named
    (`profile`), else the one of `profiles` whose `files` the file's name matches, gives the options the command line
    does not."""
    from jejak.ingest.importer import ImportOptions, import_with_options
    from jejak.ingest.profiles import matching_profile, with_profile
    from jejak.ingest.removal import conflict_with, earlier_import, options_text

    earlier = None if replace else earlier_import(project, named or path)
    as_before = earlier is not None and options == ImportOptions() and profile is None
    if profile is None and not as_before:
        profile = matching_profile(profiles or {}, named or path)
    if profile is not None:
        options = with_profile(profile.options, options)
        console.print(
            f"{shown_name(named or path)}: read with the profile {profile.name} of jejak.toml ({options_text(options)})"
        )
    if replace:
        _remove_earlier_import(project, path, options, named)
    elif earlier is not None:
        if as_before and earlier.options != options:
            options = earlier.options
            console.print(f"{shown_name(named or path)}: read as its last import read it ({options_text(options)})")
        given_source = source
        if source is None:
            source = earlier.source_name  # its rows' ids derive from it: another name would store them again
        conflict = conflict_with(project, path, options, earlier, named, given_source)
        if conflict and not check:
            raise InputFileError(conflict)
        if conflict:
            print_warning(conflict)
    summary = import_with_options(
        project, path, options, source_name=source, progress=report, check=check, named=named, update=update
    )
    return dataclasses.replace(summary, profile=None if profile is None else profile.name)


def _remove_earlier_import(project: Any, path: Path, options: Any, named: str | None = None) -> None:
    """`--replace`: what the file's earlier imports brought is removed, once the file is known to import (its header
    read with these options), so that a file that cannot be read leaves the earlier events where they are."""
    from jejak.ingest.importer import preflight, source_file_of
    from jejak.ingest.removal import imported_files, remove_import

    preflight(project, path, options)
    # This very file, by its path (or address): another folder's file of the same name is not replaced.
    source_file = source_file_of(project, named or path)
    if source_file not in imported_files(project):
        return  # never imported: nothing to replace
    done = remove_import(project, source_file)
    err_console.print(
        f"{shown_name(named or path)}: removed the earlier import's {done.events:,} events and {done.quarantined:,} quarantined rows"
    )


def expand_folders(paths: Sequence[Path | str]) -> list[Path | str]:
    """The files named, with each folder replaced by its own files that jejak imports, and each zip archive by the
    files in it that jejak imports (saying what each left); a web address stays as it is (`run_imports`)."""
    from jejak.ingest.archives import is_archive
    from jejak.ingest.importer import FORMATS_BY_SUFFIX, archive_files, files_in

    files: list[Path | str] = []
    for path in paths:
        if isinstance(path, str):
            files.append(path)
            continue
        if is_archive(path):
            found, left_names = archive_files(path)
            holder = "archive"
        elif path.is_dir():
            found, left = files_in(path)
            left_names = [entry.name + ("/" if entry.is_dir() else "") for entry in left]
            holder = "folder"
        else:
            files.append(path)
            continue
        if not found:
            suffixes = ", ".join(sorted(FORMATS_BY_SUFFIX))
            raise InputFileError(
                f"The {holder} {path} holds no file jejak imports (files ending in {suffixes}, or .csv/.jsonl "
                "gzipped). Name the files instead, or the folder that holds them."
            )
        console.print(f"{path}: {len(found)} file{'s' if len(found) != 1 else ''}" + _left_text(left_names))
        files += found
    return files


# How many of the entries a folder or an archive leaves are named (an iPhone's chat archive holds every photo).
LEFT_NAMES_SHOWN = 8


def _left_text(names: Sequence[str]) -> str:
    """` (left: a.jpg, b.jpg and 3 more)`, or "" when nothing was left."""
    if not names:
        return ""
    shown = ", ".join(names[:LEFT_NAMES_SHOWN])
    more = f" and {len(names) - LEFT_NAMES_SHOWN} more" if len(names) > LEFT_NAMES_SHOWN else ""
    return f" (left: {shown}{more})"


def print_import_failures(
    failed: Sequence[tuple[Path | str, InputFileError]], imported: int, check: bool = False
) -> None:
    """Each file that could not be imported, with why; then exit 1 (after the summary of the `imported` files that
    were, which the last line points to when there are some)."""
    if not failed:
        return
    for _path, exc in failed:
        print_error(exc)
    if not imported:
        sys.exit(1)
    names = ", ".join(shown_name(path) for path, _exc in failed)
    done = "would be" if check else "were"
    err_console.print(
        f"{len(failed)} file{'s' if len(failed) != 1 else ''} not imported ({names}); the files in the table above {done}"
        " imported. Fix the file or its mapping and import it again (importing a stored file again adds nothing)."
    )
    sys.exit(1)


# What `jejak import --check` shows of an event it would store: where it came from and what the build reads.
CHECK_COLUMNS = (
    "source_line",
    "type",
    "event",
    "timestamp",
    "user_id",
    "anonymous_id",
    "email_hash",
    "phone_hash",
    "revenue",
    "currency",
    "channel",
    "source",
    "page_path",
    "properties",
)


def print_import_summaries(summaries: Sequence[Any], check: bool = False, retried: Any = None) -> None:
    """The import's table, and what each file's import did that a user should know. `retried` (a
    `quarantine.RetrySummary`): the refunds quarantined before, re-tried because these files brought their orders."""
    rows = [
        {
            "file": shown_name(s.file),
            # A CSV file read with another separator than the comma says so: auto-detection chose it.
            "format": s.file_format if s.delimiter in ("", ",") else f"{s.file_format} ({s.delimiter!r})",
            "rows read": s.rows_read,
            "stored": s.rows_stored,
            "quarantined": s.rows_quarantined,
            "duplicates skipped": s.duplicates_skipped,
            # Only when some file had them: most projects never erase anyone.
            **({"of erased people": s.rows_erased} if any(other.rows_erased for other in summaries) else {}),
            "seconds": f"{s.seconds:.2f}",
        }
        for s in summaries
    ]
    print_rows(rows, "table", "Check: what an import would do (nothing was stored)" if check else "Import")
    for s in summaries:
        if s.quarantined_by_reason:
            reasons = ", ".join(f"{k} {v}" for k, v in s.quarantined_by_reason.items())
            verb = "would quarantine" if check else "quarantined"
            console.print(f"  {shown_name(s.file)}: {verb} {reasons}")
        if s.rows_erased:
            verb = "would skip" if check else "skipped"
            console.print(
                f"  {shown_name(s.file)}: {verb} {s.rows_erased:,} rows of people erased before (jejak erase): "
                "their identifiers are not stored again"
            )
        # A stray row that names no one is a row gone wrong; many are sales no one was asked for (walk-ins).
        if s.unnamed_rows >= max(2, s.rows_read * UNNAMED_SHARE):
            named = f"{s.unnamed_rows:,} rows name" if s.unnamed_rows != 1 else "1 row names"
            again = "" if check else " (with --replace)"
            console.print(
                f"  {shown_name(s.file)}: {named} no one (no id, e-mail or phone): a till's walk-in sales? Keep each as "
                f"a person of its own, so that its revenue counts, with --keep-anonymous{again}"
            )
        if s.refunds_given_customers:
            refunds = f"{s.refunds_given_customers:,} refunds" if s.refunds_given_customers != 1 else "1 refund"
            verb = "would be given" if check else "given"
            console.print(
                f"  {shown_name(s.file)}: {refunds} naming no customer {verb} the customer of the order they name"
            )
        if s.time_format_hint is not None:
            console.print(f"  {shown_name(s.file)}: {time_format_advice(s.time_format_hint, check, of_one_file=True)}")
        if s.unused_map:
            names = ", ".join(repr(name) for name in s.unused_map)
            advice = (
                "Check the spelling against the file's header (`jejak import FILE --check` lists its columns)."
                if s.columns
                else "Its events carry their own fields (JSON Lines as Segment names them, a chat's messages): "
                "--map applies to CSV, Parquet and Excel files."
            )
            named_by = "--map" if s.profile is None else f"--map or the profile {s.profile}"
            print_warning(
                f"{shown_name(s.file)} has no column {names} that {named_by} names: nothing was mapped. {advice}"
            )
        if s.revenue_conflict is not None:
            print_warning(revenue_conflict_text(s, check))
        if s.id_clash is not None:
            print_warning(id_clash_text(s, check))
        named_id = next(
            (
                column
                for column, target in s.columns
                if target == "user_id" and (s.ids_are_names or _names_people(column))
            ),
            None,
        )
        if named_id is not None:
            print_warning(names_as_ids_text(s.file, named_id, check))
        platform = _marketplace_of(s)
        account_id = next(
            (column for column, target in s.columns if target == "user_id" and _names_account(column)), None
        )
        if platform and account_id is not None and s.options is not None and not s.options.id_prefix:
            print_warning(unprefixed_accounts_text(s.file, account_id, platform, check))
        if s.changed is not None:
            print_warning(changed_events_text(s, check))
        if s.replaced:
            events = f"{s.replaced:,} events" if s.replaced != 1 else "1 event"
            verb = "would replace" if check else "replaced"
            console.print(
                f"  {shown_name(s.file)}: {verb} {events} stored before with its rows (another event name or revenue)"
            )
        if s.unmet_event_names:
            names = ", ".join(repr(name) for name in s.unmet_event_names)
            print_warning(
                f"{shown_name(s.file)}: no row's event is {names}, which --event-names names. Check the spelling "
                "against the file (`jejak import FILE --check` shows the first events)."
            )
        if not s.reconciles:
            raise JejakError(f"Counts for {s.file} do not reconcile; this is a bug.")
        if check:
            _print_check_samples(s)
    left = sum(s.rows_quarantined for s in summaries)
    if retried is not None:
        console.print(f"  {waiting_refunds_line(retried)}")
        # The rows these files quarantined that are still there (the refunds re-tried may be an earlier import's).
        left += retried.rows_quarantined - retried.rows_retried
    if not check and (left > 0 or (retried is not None and retried.rows_quarantined)):
        console.print("  See the quarantined rows and re-try them after a fix: jejak quarantine list")


# The share of a file's rows that, naming no one, make `--keep-anonymous` worth offering.
UNNAMED_SHARE = 0.05


# Words of a column's name that say it holds a person's name; and those that say it is an account's name, an id.
_NAME_WORDS = frozenset({"name", "nama"})
_ACCOUNT_WORDS = frozenset({"user", "username", "pengguna", "akun", "account", "login", "handle", "id"})


def _name_words(column: str) -> set[str]:
    """The words of a column's name, lower-cased: `Username (Pembeli)` → {username, pembeli}."""
    return set(re.findall(r"[a-z]+", column.lower()))


def _names_people(column: str) -> bool:
    """Whether a column's name says it holds people's names (`Customer Name`, `Nama Pembeli`), not an account's
    (`Buyer Username`, `Nama Pengguna`)."""
    words = _name_words(column)
    return bool(words & _NAME_WORDS) and not words & _ACCOUNT_WORDS


def _names_account(column: str) -> bool:
    """Whether a column's name says it holds an account's name on a platform (`Username (Pembeli)`, `Buyer
    Username`, `Nama Pengguna`)."""
    words = _name_words(column)
    return "username" in words or {"nama", "pengguna"} <= words or {"user", "name"} <= words


# The marketplaces whose exports name buyers by their username there.
MARKETPLACE_NAMES = ("shopee", "tokopedia", "lazada", "tiktok", "bukalapak", "blibli")


def _marketplace_of(summary: Any) -> str | None:
    """The marketplace a file's rows are from, by the name of the file or of a channel, source or touchpoint the
    import gave them (`--set channel=Marketplace` names none: `marketplace` then, as an example); None when nothing
    says it is a marketplace's."""
    options = summary.options
    given = " ".join(options.constants.values()) if options is not None else ""
    said = f"{shown_name(summary.file)} {given} {' '.join(summary.channels)}".lower()
    named = next((name for name in MARKETPLACE_NAMES if name in said), None)
    return named or ("marketplace" if "marketplace" in said else None)


def unprefixed_accounts_text(file: str, column: str, platform: str, check: bool = False) -> str:
    """What to say of a marketplace's usernames read as user_id without `--id-prefix`: an id is one text across
    every source, so a buyer `budi88` there and the website's user `budi88` would be one person."""
    return (
        f"{shown_name(file)}: its column {column!r}, read as user_id, holds usernames on a marketplace: a buyer there "
        "and a user of your website or another marketplace with the same name would be one person. Keep them apart "
        f"with --id-prefix {platform}{'' if check else ' (with --replace)'}: each is then stored as "
        f"{platform}:username. Their e-mail or phone, where the file has them, still joins them to the rest."
    )


def names_as_ids_text(file: str, column: str, check: bool = False) -> str:
    """What to say of a file whose column of people's names is read as user_id: namesakes become one person, and each
    name is an id in clear (Lazada's orders export names its buyers only so)."""
    return (
        f"{shown_name(file)}: its column {column!r}, read as user_id, holds people's names: customers who share a name "
        "are one person, and each name is kept in clear as an id. If the file has a column that tells customers apart "
        f"(an e-mail, a phone, a username or a customer number), map that to user_id, and keep the name with --map "
        f'"{column}=properties.customer_name"{"" if check else " (with --replace)"}.'
    )


def revenue_conflict_text(summary: Any, check: bool = False) -> str:
    """What to say of events that several rows of a file gave different revenues (`importer.RevenueConflict`)."""
    found = summary.revenue_conflict
    id_column = _id_column(summary)
    amounts = ", ".join(_amount(revenue) for revenue in found.revenues)
    events = f"{found.events:,} events have" if found.events != 1 else "1 event has"
    stored = "would be stored" if check else "was stored"
    return (
        f"{shown_name(summary.file)}: {events} rows with different revenues ({id_column} {found.example!r}: "
        f"{amounts}), and only the first row of each {stored}, with its revenue. If each row is a product of one "
        f"order, map the order's total to revenue (Total Pembayaran, Grand Total), not a product's price; if the file "
        f"gives only each product's price, add --sum-revenue{'' if check else ' (with --replace)'}: an order's revenue "
        f"is then the sum of its rows'; if the rows are events of their own, give each its own {id_column}."
    )


def _id_column(summary: Any) -> str:
    """The file's column read as event_id, as its header writes it (`event_id` when none is)."""
    return next((column for column, target in summary.columns if target == "event_id"), "event_id")


def _amount(value: float) -> str:
    """An amount as the warnings write it: `45,000`, `12.50`."""
    return f"{value:,.2f}".removesuffix(".00")


def id_clash_text(summary: Any, check: bool = False) -> str:
    """What to say of rows skipped as duplicates of another event under their id (`importer.IdClash`)."""
    from jejak.ingest.mapping import JOIN_MARK, pairs_option_text

    found = summary.id_clash
    id_column = _id_column(summary)
    ids = f"{found.events:,} of its ids are those" if found.events != 1 else "1 of its ids is that"
    of = f"events stored from {shown_name(found.stored_from)}" if found.stored_from else "earlier rows of the file"
    skipped = "would be skipped" if check else "were skipped"
    more = ", …" if found.events > 1 else ""
    joined = f"{_telling_apart(summary, id_column)}{JOIN_MARK}{id_column}"
    return (
        f"{shown_name(summary.file)}: {ids} of {of} at another time or for another person ({id_column} "
        f"{found.example!r}{more}): its rows with them {skipped} as duplicates, though they are other events. If the "
        "files number their rows each on their own (two tills' receipts from 1), keep their ids apart with "
        f"--event-id-prefix (e.g. --event-id-prefix {_prefix_for(summary.file)}), or join a column that tells them "
        f"apart to the id ({pairs_option_text('--map', {joined: 'event_id'})}){'' if check else ', with --replace'}."
    )


# Words of a column's name that say it may tell apart rows that share an id: where (two outlets' receipts from 1)
# or what (a refund under its sale's receipt number).
_TELLING_WORDS = frozenset(
    {"outlet", "store", "toko", "cabang", "branch", "location", "lokasi", "kasir", "till", "register", "gerai",
     "type", "jenis", "tipe", "event", "status"}
)  # fmt: skip


def _telling_apart(summary: Any, id_column: str) -> str:
    """A column of the file to join to its id in the advice: the first whose name says where or what
    (_TELLING_WORDS) and is not in the id already, else `Outlet` as an example (or `Kolom`, when the id has it)."""
    from jejak.ingest.mapping import JOIN_MARK

    in_id = {part.strip().lower() for part in id_column.split(JOIN_MARK)}
    for column, _target in summary.columns:
        words = _name_words(column)
        if JOIN_MARK not in column and column.strip().lower() not in in_id and words & _TELLING_WORDS:
            return str(column)
    return "Outlet" if "outlet" not in in_id else "Kolom"


def _prefix_for(file: str) -> str:
    """A word to prefix a file's event ids with: its name's first word (`bintaro` for bintaro-november.csv)."""
    word = re.split(r"[^0-9A-Za-z]+", Path(shown_name(file)).stem.lower())
    return next((part for part in word if part), "file")


def changed_events_text(summary: Any, check: bool = False) -> str:
    """What to say of events stored before that a file gives again with another name or revenue
    (`importer.ChangedEvents`): the stored ones are kept."""
    found = summary.changed
    id_column = _id_column(summary)

    def shown(event: tuple[str, float | None]) -> str:
        return event[0] if event[1] is None else f"{event[0]}, {_amount(event[1])}"

    events = f"{found.events:,} of its events are" if found.events != 1 else "1 of its events is"
    kept = "would be kept" if check else "were kept"
    return (
        f"{shown_name(summary.file)}: {events} stored already under another event name or revenue ({id_column} "
        f"{found.example!r}: stored from {shown_name(found.stored_from)} as {shown(found.stored)}, here "
        f"{shown(found.given)}): an order "
        f"whose status changed since that export? The stored events {kept}. To replace them with this file's, if it "
        f"is the newer export, import it {'with' if check else 'again with'} --update."
    )


def _print_check_samples(summary: Any) -> None:
    """The first events an import would store, as stored (hashes shown as whether one is there), and its first bad
    rows with the reason: enough to see a column mapped wrong before anything is stored."""
    from jejak.ingest.ga4 import is_ga4_export
    from jejak.ingest.mapping import map_option_text, suggested_map

    name = shown_name(summary.file)
    if summary.file_format == "parquet" and is_ga4_export(Path(summary.file)):
        # Its columns are the flattening's, not the file's: say where they come from instead.
        console.print(f"{name}: a GA4 BigQuery export, flattened into event columns (docs/import-formats.md, GA4)")
    elif summary.columns:  # how each column of the file is read: the mapping as applied
        read_as = ", ".join(f"{column} → {target}" for column, target in summary.columns)
        console.print(f"{name}: columns read as {read_as}")
        header, targets = zip(*summary.columns, strict=True)
        suggested = suggested_map(header, targets)
        if suggested:  # names that likely hold a jejak column, kept in properties as they stand: say so
            console.print(f"{name}: its names suggest {map_option_text(suggested)}")
    events = []
    for event in summary.sample:
        shown = {column: event.get(column) for column in CHECK_COLUMNS if event.get(column) not in (None, "", "{}")}
        for column in ("email_hash", "phone_hash"):  # keyed hashes mean nothing to a reader: say one is there
            if column in shown:
                shown[column] = "yes"
        events.append({column: cell_text(value) for column, value in shown.items()})
    if events:
        print_rows(events, "table", f"{name}: the first events it would store")
    _print_would_quarantine(name, summary.bad_sample)


def _print_would_quarantine(name: str, bad_sample: Sequence[dict[str, Any]]) -> None:
    """A check's first bad rows (events or spend), each with its line, reason, message and text."""
    bad = [
        {"line": row["source_line"], "reason": row["reason"], "message": row["message"], "raw": row["raw"]}
        for row in bad_sample
    ]
    if bad:
        print_rows(bad, "table", f"{name}: the first rows it would quarantine")


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--map",
    "column_map",
    default="",
    help='Column mapping, e.g. "waktu=timestamp,pelanggan=user_id"; "Tanggal+Jam=timestamp" joins a date column '
    'and a time column; "Skor=properties.score" keeps a column as a property of that name.',
)
@click.option(
    "--set",
    "constants",
    default="",
    help='Columns the file lacks, one value on every row, e.g. "event=Order Completed,touchpoint=tokopedia" '
    '(or a property: "properties.survey=csat").',
)
@click.option(
    "--source",
    default=None,
    help="Source name stored with each event (default: the file name; for a file imported before, its last one).",
)
@click.option(
    "--delimiter",
    type=click.Choice(list(SETTINGS_BY_NAME["csv_delimiter"].choices or ())),
    default=None,
    help="What separates a CSV file's values (default: the csv_delimiter setting, auto).",
)
@click.option(
    "--skip-lines",
    type=click.IntRange(min=0, max=TYPED_WHOLE_MOST),
    default=0,
    help="Lines (Excel: rows) above the header, such as a report's title, to skip.",
)
@click.option(
    "--sheet",
    default=None,
    help="The workbook's sheet to read, by name or number (1 for the first; default: the first).",
)
@click.option(
    "--timezone",
    default=None,
    help="The time zone of the file's times that carry no offset, e.g. Asia/Makassar for a till in Bali, or UTC "
    "(default: the timezone setting, Asia/Jakarta).",
)
@click.option(
    "--timestamp-format",
    "timestamp_formats",
    multiple=True,
    help='How the file writes its times, when not ISO-8601: strptime codes, e.g. "%d/%m/%Y %H:%M" for a till\'s '
    "24/10/2026 10:00 (tried before the timestamp_formats setting's; give it again for a second format).",
)
@click.option(
    "--event-names",
    default="",
    help="Other names for the event column's values, e.g. an order's status mapped to it with --map \"Status "
    'Pesanan=event": "Selesai=Order Completed,Batal=Order Cancelled" (a status not named stays its own event name).',
)
@click.option(
    "--id-prefix",
    default=None,
    help="A source's name put before each id of the file (shopee: shopee:budi88), so that a marketplace's "
    "username joins no other source's id of the same text.",
)
@click.option(
    "--event-id-prefix",
    default=None,
    help="A name put before each event id of the file (bintaro: bintaro:S-1), so that two tills that each number "
    "their receipts from 1 give two events, not one and a duplicate.",
)
@click.option(
    "--keep-anonymous",
    is_flag=True,
    help="Keep a row that names no one (no id, e-mail or phone: a till's walk-in sale) as a person of its own, "
    "instead of quarantining it, so that its revenue counts.",
)
@click.option(
    "--sum-revenue",
    is_flag=True,
    help="Rows that share an event_id are one order's products: its revenue is the sum of theirs (an export that "
    "gives each product's price and no order total, as Lazada's Paid Price).",
)
@click.option(
    "--profile",
    default=None,
    help="Read the files with the options of this profile of jejak.toml ([import.profiles.NAME]); options given here "
    "go over its. Without it, a file whose name matches a profile's files patterns is read with that profile.",
)
@click.option(
    "--save-profile",
    default=None,
    help="Once the files are read (or checked) without a fault, save the options they were read with as a new "
    "profile of this name in jejak.toml, for the source's next exports (see jejak imports profiles).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Read and validate only: show what an import would store and quarantine, and store nothing.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="First remove what the file's earlier imports brought (to read it again with other options).",
)
@click.option(
    "--update",
    is_flag=True,
    help="Replace an event stored before (from any file) that the file gives at the same time for the same person "
    "with another event name or revenue: an order whose status changed since an earlier export.",
)
@PROJECT_OPTION
@handle_errors
def import_command(
    files: tuple[str, ...],
    column_map: str,
    constants: str,
    source: str | None,
    delimiter: str | None,
    skip_lines: int,
    sheet: str | None,
    timezone: str | None,
    timestamp_formats: tuple[str, ...],
    event_names: str,
    id_prefix: str | None,
    event_id_prefix: str | None,
    keep_anonymous: bool,
    sum_revenue: bool,
    profile: str | None,
    save_profile: str | None,
    check: bool,
    replace: bool,
    update: bool,
    project_dir: str | None,
) -> None:
    """Import CSV (or .tsv; UTF-8 or UTF-16), JSON Lines (Segment spec; Mixpanel's, Amplitude's and PostHog's exports
    and Matomo's visits log are read as it), Parquet (GA4's BigQuery export and PostHog's are read as they are), Excel (.xlsx, .xls),
    OpenDocument (.ods) or WhatsApp chat export (.txt) files into the event lake (CSV and JSON Lines may be gzipped).
    A folder stands for its files; a zip archive for the files in it (an iPhone's chat, Amplitude's export). A web
    address is downloaded and imported as that address: a Google Sheet's link reads its CSV export (share the sheet
    as 'Anyone with the link'), and importing it again stores only the rows added since.

    What --map, --set, --delimiter, --skip-lines, --sheet, --timezone, --timestamp-format, --event-names, --id-prefix,
    --event-id-prefix, --keep-anonymous and --sum-revenue say is remembered with the import: re-trying its quarantined rows (`jejak
    quarantine retry`, or the dashboard's Data page) reads them the same way, and the file named again with none of
    them (nor --source) is read as its last import read it.

    Example: jejak import orders.csv --map "waktu=timestamp,pelanggan=user_id"

    Try a mapping first with --check: it shows the first events as they would be stored and the first bad rows
    with their reasons, and stores nothing. Then save the options for the source's next exports with --save-profile
    NAME: a file whose name matches the profile's files patterns (in jejak.toml) is read with them.
    """
    from jejak.ingest.importer import ImportOptions
    from jejak.ingest.mapping import parse_event_names_option, parse_map_option, parse_set_option
    from jejak.ingest.profiles import check_new_profile, profile_named
    from jejak.ingest.remote import is_url

    if check and replace:
        raise click.UsageError(
            "--check shows what an import would store beside the events already there; with --replace the file's "
            "own would be gone first. Check without --replace (a file read with other options shows its rows as new)."
        )
    project = project_at(project_dir)
    if save_profile is not None:
        check_new_profile(project, save_profile)  # before the import, not after it
    named_profile = None if profile is None else profile_named(project, profile)
    options = ImportOptions(
        column_map=parse_map_option(column_map),
        constants=parse_set_option(constants),
        delimiter=delimiter,
        skip_lines=skip_lines,
        sheet=sheet,
        timezone=timezone,
        timestamp_formats=timestamp_formats,
        event_names=parse_event_names_option(event_names),
        id_prefix=id_prefix,
        event_id_prefix=event_id_prefix,
        keep_anonymous=keep_anonymous,
        sum_revenue=sum_revenue,
    )
    summaries, failed = run_imports(
        project,
        expand_folders([f if is_url(f) else Path(f) for f in files]),
        options,
        source,
        check=check,
        replace=replace,
        update=update,
        profile=named_profile,
    )
    # Refunds quarantined until their order came: re-tried now, when these files brought it (`late_orders`).
    retried = None
    if not check and any(summary.rows_stored for summary in summaries):
        from jejak.ingest.late_orders import retry_refunds_of_new_orders

        retried = retry_refunds_of_new_orders(project)
    if summaries:
        print_import_summaries(summaries, check, retried)
        warn_of_unknown_channels(project, summaries)
        warn_of_order_statuses(summaries, check)
        warn_of_unsourced_conversions(summaries, check, source_named=source is not None)
        warn_of_revenueless_conversions(summaries, check)
        warn_of_unconverted_orders(summaries, check)
        warn_of_sales_places(summaries, check)
    print_import_failures(failed, len(summaries), check)
    if save_profile is not None:
        _save_import_profile(project, save_profile, summaries)


def _save_import_profile(project: Any, name: str, summaries: Sequence[Any]) -> None:
    """`--save-profile`: the options the files were read with, and a files pattern for each file's name (its digits
    any), appended to jejak.toml as `[import.profiles.NAME]`. Files read with different options (one as its last
    import read it) give no one profile: refused."""
    read_with = {summary.options.to_json() for summary in summaries}  # its mappings make it no set member itself
    if len(read_with) != 1:
        raise click.UsageError(
            "The files were read with different options (a file imported before is read as it was): no profile was "
            "saved. Save it from one file: jejak import FILE --check --save-profile NAME"
        )
    save_profile_of(project, name, summaries[0].options, [summary.file for summary in summaries])


def save_profile_of(project: Any, name: str, options: Any, files_read: Sequence[str], section: str = "import") -> None:
    """Append the profile (`options`, and a files pattern for each file's name, its digits any) to jejak.toml, and
    say what was saved and which files it now reads."""
    from jejak.ingest.profiles import pattern_for, save_profile

    patterns = [pattern_for(file) for file in files_read]
    files = list(dict.fromkeys(pattern for pattern in patterns if pattern is not None))
    added = save_profile(project, name, options, files, section)
    console.print(f"Saved the profile {name} to {project.config_path}:", highlight=False)
    console.print(added, markup=False, highlight=False)
    if files:
        console.print(
            f"A file whose name matches {' or '.join(files)} is now read with it; another with --profile {name}. "
            "Edit its files patterns in jejak.toml to say which files are the source's."
        )
    else:
        console.print(
            f"Its files patterns are empty (the file's name says too little of its source): read a file with it by "
            f'--profile {name}, or add a pattern to it in jejak.toml, e.g. files = ["pesanan-*.csv"].'
        )


def _then_import(check: bool) -> str:
    """How an import warning's advice ends: a check's file is imported next, an import's again over itself."""
    return "then import it" if check else "then import it again with --replace"


def warn_of_unknown_channels(project: Any, summaries: Sequence[Any]) -> None:
    """Warn of the channels a file's rows set that no channel rule names (a build keeps them as they are, so each is a
    channel of its own in every report): a payment export's `Channel` column (GoPay, BCA VA) is read as the marketing
    channel, and a chat tool's (Instagram, Telegram) names the site each conversation came from, which the rules read
    as a source."""
    from jejak.ingest.mapping import map_option_text
    from jejak.journeys.channels import FALLBACK_CHANNEL, channel_of_source, rules_from_config

    try:
        rules = rules_from_config(project.config)
    except SettingError:  # rules jejak.toml gets wrong: the build says what is wrong, after this import stored its rows
        return
    # A build reads a rule's name in any letters as the rule's (`Whatsapp` is WhatsApp): only other names are warned of.
    known = {rule.name.lower() for rule in rules} | {FALLBACK_CHANNEL.lower()}
    for summary in summaries:
        unknown = [name for name in summary.channels if name.lower() not in known]
        column = next((column for column, target in summary.columns if target == "channel"), None)
        if not unknown or (summary.columns and column is None):
            continue  # a file of columns none of which is its channel: --set gave it (now, or remembered), on purpose
        named = ", ".join(repr(name) for name in unknown)
        # A chat tool's `Channel` names the app each conversation came through (Instagram, Telegram): read as their
        # source, the rules give each its channel.
        sites = {name: found for name in unknown if (found := channel_of_source(name, rules))}
        if column and sites:
            shown = ", ".join(f"{name!r} → {found}" for name, found in list(sites.items())[:4])
            advice = (
                f"If its {column!r} column names where each event came from ({shown}), read it as their source and "
                f"the channel rules give each its channel: {map_option_text({column: 'source'})} (with --replace to read it "
                "again)."
            )
        elif column:
            advice = (
                f"If its {column!r} column holds something else, such as a payment channel, keep it as a property: "
                f'--map "{column}=properties.payment_channel" (with --replace to read it again).'
            )
        else:
            advice = "If that is not meant, give them the rules' names, or add rules for them."
        print_warning(
            f"{shown_name(summary.file)} sets its events' channel to {named}, which no channel rule names "
            f"(docs/channels.md): each is a channel of its own in every report. {advice}"
        )


def warn_of_order_statuses(summaries: Sequence[Any], check: bool = False) -> None:
    """Warn of a file whose conversions are orders some of which were cancelled, refunded or not paid, as a column of
    it says (a marketplace's `Status Pesanan`): each counts as a conversion with its revenue. Say how to name the event
    by the status instead (`event_names.status_names`)."""
    from jejak.ingest.event_names import quoted, status_names

    for summary in summaries:
        # One advice a file: Shopee's export has `Status Pesanan` and, after it, `Status Pembatalan/ Pengembalian`.
        for found in summary.conversion_statuses[:1]:
            column = next((c for c, _ in summary.columns if c.strip().lower() == found.column), found.column)
            event_column = next((c for c, target in summary.columns if target == "event"), None)
            total = sum(orders for _, orders in found.orders)
            counts = ", ".join(f"{status} {orders:,}" for status, orders in found.orders)
            instead = f"in place of {event_column!r}" if event_column else "and drop event from --set"
            then = _then_import(check)
            print_warning(
                f"{shown_name(summary.file)}: its {total:,} orders counted as conversions ({found.event}) have these "
                f"values of {column!r}: {counts}. A cancelled, refunded or unpaid order counts as a conversion with "
                f"its revenue all the same. To name each order's event by its status, add {quoted(column)}=event to "
                f"--map {instead}, and add {status_names(found.event, found.orders)} (check each name: a status not "
                f"named stays its own event, which is no conversion); {then}."
            )


def warn_of_unsourced_conversions(summaries: Sequence[Any], check: bool = False, *, source_named: bool = False) -> None:
    """Warn of a file whose conversions say nothing of where they happened (no column of it is a source, medium,
    referrer, page or channel, and --set gave none): a till's receipts or a marketplace's orders would each be a Direct
    visit in every report and attribution model. `source_named`: --source was given, which names the import only."""
    for summary in summaries:
        if summary.unsourced is None:
            continue
        found = summary.unsourced
        noun, says = ("conversion", "says") if found.conversions == 1 else ("conversions", "say")
        then = _then_import(check)
        also = " --source names the import in the lake, not where its events came from." if source_named else ""
        print_warning(
            f"{shown_name(summary.file)}: its {found.conversions:,} {noun} ({found.event}) {says} nothing of where "
            f"{'it' if found.conversions == 1 else 'they'} happened: no column of it is a source, medium, referrer, page or channel. A build counts each as a Direct "
            "visit (someone who typed the shop's address), unless it falls inside a web visit of the same person. If "
            "they are a store's, a marketplace's or a call centre's sales, say so with --set \"channel=Offline "
            f'Store" (or Marketplace, Call Centre, WhatsApp: docs/channels.md), {then}.{also}'
        )


def warn_of_revenueless_conversions(summaries: Sequence[Any], check: bool = False) -> None:
    """Warn of a file whose conversions have no revenue, none of them: its total is not mapped to revenue, and
    revenue by channel, return on ad spend and every model's credited revenue would count them as 0. Name the column
    that likely holds it (`mapping.suggested_map`), when the file has one."""
    from jejak.ingest.mapping import suggested_map

    for summary in summaries:
        if summary.revenueless is None:
            continue
        found = summary.revenueless
        noun, has = ("conversion", "has") if found.conversions == 1 else ("conversions", "have")
        then = _then_import(check)
        likely = None
        if summary.columns:
            header, targets = zip(*summary.columns, strict=True)
            likely = next((k for k, v in suggested_map(header, targets).items() if v == "revenue"), None)
        if summary.file_format == "jsonl":
            how = f"Give each its amount as properties.revenue (or properties.total), {then}."
        elif likely is not None:
            how = f"Its column '{likely}' looks like each one's amount: add \"{likely}=revenue\" to --map, {then}."
        else:
            how = f'Map the column that holds each one\'s amount with --map "your_column=revenue", {then}.'
        print_warning(
            f"{shown_name(summary.file)}: its {found.conversions:,} {noun} ({found.event}) {has} no revenue: no "
            "column of it is read as revenue, so revenue by channel, return on ad spend and each model's credited "
            f"revenue count {'it' if found.conversions == 1 else 'them'} as 0. {how}"
        )


def warn_of_unconverted_orders(summaries: Sequence[Any], check: bool = False) -> None:
    """Warn of a file with revenue none of whose events is a conversion: an orders export whose status was mapped to
    the event (TikTok Shop's `Order Status`: Completed, Delivered) stores each order as no conversion, and conversions,
    paths, attribution and revenue leave them all out. Give the `--event-names` that name them
    (`event_names.status_names`: a status that says cancelled, refunded or unpaid gets that name, any other the
    conversion's)."""
    from jejak.ingest.event_names import status_names

    for summary in summaries:
        found = summary.unconverted
        if found is None:
            continue
        total = sum(events for _, events in found.events)
        counts = ", ".join(f"{name} {events:,}" for name, events in found.events)
        then = _then_import(check)
        print_warning(
            f"{shown_name(summary.file)}: {total:,} of its events have a revenue, and none of its events is a "
            f"conversion (the conversion_events setting, {found.conversion!r} first). By event: {counts}. Stored so, "
            "they add nothing to conversions, paths, attribution or revenue. If they are orders named by their "
            f"status, name them: add {status_names(found.conversion, found.events)} (check each name: one left out "
            f"stays its own event, which is no conversion), {then}. Or add their names to conversion_events under "
            "[settings] in jejak.toml."
        )


def warn_of_sales_places(summaries: Sequence[Any], check: bool = False) -> None:
    """Warn of a file whose `source` values name where its orders were placed (Shopify's `Source`: web, pos), not
    where its buyers came from: a build makes each web order Unassigned. Say how to keep the column as a property."""
    for summary in summaries:
        if not summary.sales_places:
            continue
        column = next((written for written, target in summary.columns if target == "source"), "source")
        counted = ", ".join(f"{place} {events:,}" for place, events in summary.sales_places)
        then = _then_import(check)
        print_warning(
            f"{shown_name(summary.file)}: its column '{column}', read as each event's source, says where an order "
            f"was placed ({counted}), as Shopify's orders export writes it, not where its buyer came from: no "
            "channel rule knows 'web', so a build makes each such order Unassigned. Keep it as a property with "
            f'--map "{column}=properties.order_source", and say where the orders came from with --set '
            f'"channel=…" if one channel did (a file of the till\'s pos orders: "channel=Offline Store"), {then}.'
        )


def run_build_with_progress(project: Any, engine: str | None, *, precompute: bool = False) -> Any:
    """Run `jejak build` printing each step's time; with `precompute`, then the dashboard's first views."""
    from jejak.pipeline import run_build

    settings = project.settings.replace(engine=engine) if engine else project.settings
    with console.status("Building people, sessions, journeys and paths…"):
        result = run_build(
            project, settings=settings, on_step=lambda name, seconds: console.print(f"  {name:<16} {seconds:6.2f} s")
        )
    console.print(f"Built on {result.engine} in {result.total_seconds:.2f} s → {result.build_dir}")
    if precompute:
        precompute_views(project)
    return result


@cli.command()
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None, help="Override the engine setting.")
@PROJECT_OPTION
@handle_errors
def build(engine: str | None, project_dir: str | None) -> None:
    """Build people, sessions, touchpoints, conversions, journeys and unique paths.

    Then, unless the setting precompute_views is false, the dashboard's first views are computed into the
    build's cache (attribution with intervals, the reports, the journey map), so each page opens at once.

    Example: jejak build --engine spark
    """
    project = project_at(project_dir)
    run_build_with_progress(project, engine, precompute=project.settings.precompute_views)


@cli.command()
@click.argument("identifiers", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Say whom and what it would erase, and erase nothing.")
@click.option("--yes", is_flag=True, help="Do not ask first.")
@PROJECT_OPTION
@handle_errors
def erase(identifiers: tuple[str, ...], dry_run: bool, yes: bool, project_dir: str | None) -> None:
    """Erase people: their events from the event lake, their quarantined rows, and every build that held them.

    Name each person by a person id, user id, anonymous id, e-mail or phone; all their identifiers are found as a
    build would join them. The lake's files that hold their events are rewritten without them (the bytes are gone,
    not hidden), the tables are built again without them, and the earlier builds are deleted. Their identifiers are
    kept only as keyed hashes, so that later imports skip their rows. Files they are in outside jejak (your
    exports, backups) are yours to erase.

    Example: jejak erase budi@example.com +6281234567890 --dry-run
    """
    from jejak.service.erasure import erase_people, nobody_named, plan_erasure

    project = project_at(project_dir)
    if dry_run or not yes:
        plan = plan_erasure(project, identifiers)
        if not plan.people:
            raise SettingError(nobody_named(plan))
        console.print(_erasure_text(plan))
        if dry_run:
            console.print("Nothing was erased (--dry-run).")
            return
        ask("Erase them? This cannot be undone")
    with console.status("Erasing…"):
        done = erase_people(
            project,
            identifiers,
            agreed=None if yes else plan,  # what was asked about: not resolved again while the lake is as it was
            on_step=lambda name, seconds: console.print(f"  {name:<16} {seconds:6.2f} s"),
        )
    plan = done.plan
    console.print(
        f"Erased {_counted(len(plan.people), 'person', 'people')}: {_counted(plan.events, 'event')} from "
        f"{_counted(plan.files, 'lake file')}, {_counted(plan.quarantined, 'quarantined row')} and "
        f"{_counted(plan.dismissed, 'dismissed one')}."
    )
    if done.build is not None:
        console.print(
            f"Built again without them in {done.build.total_seconds:.2f} s → {done.build.build_dir}; "
            f"{_counted(done.builds_deleted, 'earlier build')} deleted."
        )
        if project.settings.precompute_views:
            precompute_views(project)
    elif done.build_error:
        print_warning(
            f"No build could be made without them ({done.build_error}); the earlier builds, which held them, "
            f"were deleted ({done.builds_deleted:,}). Build again once the lake has events: jejak build"
        )


@cli.command()
@click.argument("identifiers", nargs=-1, required=True)
@PROJECT_OPTION
@handle_errors
def unerase(identifiers: tuple[str, ...], project_dir: str | None) -> None:
    """Let later imports store the rows of identifiers that `jejak erase` put on its list.

    For a person who was erased, came back and consented again. Name each identifier (user id, anonymous id, e-mail,
    phone or person id): only those named are lifted, so the person's other identifiers (a device, another e-mail)
    stay on the list until named too. What was erased stays erased: import it again to have it back.

    Example: jejak unerase budi@example.com
    """
    from jejak.service.erasure import lift_erasure

    done = lift_erasure(project_at(project_dir), identifiers)
    for text, how in done.lifted:
        console.print(f"{text}: off the list (by {how}); later imports store its rows again.")
    for text in done.not_listed:
        console.print(f"{text}: not on the list.")
    if done.still_listed:
        console.print(
            f"{_counted(done.still_listed, 'other identifier')} erased with them "
            f"{'stays' if done.still_listed == 1 else 'stay'} on the list (their devices, other e-mails or phones); "
            "name them to lift them too."
        )


def _erasure_text(plan: Any) -> str:
    """Whom a plan names and what of them would go, in a few lines."""
    lines = [f"{text} → {person} (by {how})" for text, person, how in plan.matched]
    lines += [f"{text} → nobody in the event lake" for text in plan.unmatched]
    lines += [f"{text} → nobody: shared by {users:,} user ids, so it names none of them" for text, users in plan.shared]
    lines.append(
        f"{_counted(len(plan.people), 'person', 'people')} with {_counted(plan.identifiers, 'identifier')}: "
        f"{_counted(plan.events, 'event')} in {_counted(plan.files, 'lake file')}, "
        f"{_counted(plan.quarantined, 'quarantined row')} and {_counted(plan.dismissed, 'dismissed one')} would be "
        "erased, and the tables built again without them."
    )
    return "\n".join(lines)


def _counted(count: int, one: str, many: str | None = None) -> str:
    """`1 lake file`, `3 lake files`: a count with its noun (`many`, else `one` with an s)."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


@cli.command(name="settings")
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def settings_command(output_format: str, project_dir: str | None) -> None:
    """Every setting in effect: value, default, unit and what it does.

    Example: JEJAK_LOOKBACK_DAYS=14 jejak settings --format json
    """
    rows = [
        {**row, "value": str(row["value"]), "default": str(row["default"])}
        for row in project_at(project_dir).settings.as_rows()
    ]
    print_rows(rows, output_format, "Settings")


def read_paths_csv(paths_file: str, separator: str) -> Any:
    """A ready-made paths table (one row per path) as a path set."""
    import pyarrow.csv as pacsv

    from jejak.attribution.pathset import PathSet
    from jejak.core.errors import InputFileError

    path = Path(paths_file)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file. Expected a CSV with path, conversions, non_conversions.")
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={"path": "string"}))
    except Exception as exc:  # pyarrow raises its own error types for unreadable CSV
        raise InputFileError(f"{path}: cannot be read as CSV ({exc}).") from None
    return PathSet.from_arrow(table, separator=separator, where=str(path))


# What a run's labels are called in a sentence ("each keyword", "per ad"), where not the dimension's own name.
_NOUNS = {"source_medium": "source / medium", "term": "keyword", "content": "ad"}


def _noun(by: str) -> str:
    return _NOUNS.get(by, by)


def _interval(row: dict[str, Any]) -> str:
    if row["conversions_low"] is None:
        return ""
    # On a line of its own: the cell is then as wide as its widest line, not both side by side.
    return f"\n[{row['conversions_low']:,.1f}–{row['conversions_high']:,.1f}]"


@cli.command()
@click.option(
    "--model",
    "models",
    multiple=True,
    help="Model(s) to run: first_touch, last_touch, last_non_direct, linear, position_based, time_decay, markov, "
    "shapley (default: all of them, side by side).",
)
@click.option("--compare", is_flag=True, help="Every model side by side (the default when no --model is given).")
@click.option(
    "--by",
    type=click.Choice(ATTRIBUTE_BY),
    default="channel",
    show_default=True,
    help="Credit channels, campaigns (utm_campaign; '(not set)' without one) or source / medium pairs.",
)
@click.option(
    "--ordered", is_flag=True, help="Also show Shapley credit by the position at which each channel first appears."
)
@click.option("--order", default=None, help="Markov order: 1 to 4, or auto (default: the markov_order setting).")
@click.option(
    "--resamples",
    type=click.IntRange(min=0, max=RESAMPLES_MOST),
    default=None,
    help="Bootstrap resamples for the intervals (default: the attribution_resamples setting; 0 turns them off).",
)
@click.option(
    "--transform",
    type=click.Choice(PATH_TRANSFORMS),
    default=None,
    help="Path transform for this run (default: the path_transform setting).",
)
@click.option(
    "--lookback",
    "lookback_days",
    type=click.IntRange(1, 365),
    default=None,
    help="Lookback window in days for this run (default: the lookback_days setting).",
)
@click.option("--conversion-type", "conversion_types", multiple=True, help="Only conversions of this event name.")
@click.option(
    "--from",
    "start_date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day a journey may end on (the timezone setting's days).",
)
@click.option("--to", "end_date", type=click.DateTime(["%Y-%m-%d"]), help="Last day a journey may end on.")
@click.option("--persona", default=None, help="Only the journeys of the people this persona's rules take.")
@click.option(
    "--paths", "paths_file", default=None, help="A ready-made paths CSV: path, conversions, non_conversions[, revenue]."
)
@click.option("--sep", "separator", default=">", help="Channel separator in --paths (spaces around it are ignored).")
@click.option("--format", "output_format", type=FORMATS, default="table")
@PROJECT_OPTION
@handle_errors
def attribute(
    models: tuple[str, ...],
    compare: bool,
    by: str,
    ordered: bool,
    order: str | None,
    resamples: int | None,
    transform: str | None,
    lookback_days: int | None,
    conversion_types: tuple[str, ...],
    start_date: dt.datetime | None,
    end_date: dt.datetime | None,
    persona: str | None,
    paths_file: str | None,
    separator: str,
    output_format: str,
    project_dir: str | None,
) -> None:
    """Credit conversions and revenue to channels (or campaigns) with every model, side by side, with intervals.

    \b
    Example: jejak attribute --model markov --order auto --format json
    Example: jejak attribute --by campaign --from 2026-03-01 --to 2026-03-31
    Example: jejak attribute --paths paths.csv --sep ">"
    """
    import os

    from jejak.attribution.compare import MODELS, comparison
    from jejak.attribution.compare import attribute as run_attribution
    from jejak.attribution.shapley import ordered_shapley
    from jejak.core.errors import ProjectError, SettingError
    from jejak.core.settings import resolve_settings
    from jejak.service.attribution import AttributionQuery, attribute_built, labelled
    from jejak.service.reports import Scope

    if paths_file and by != "channel":
        raise SettingError(
            f"--by {by} relabels the touches of a built project's journeys; a paths file is already aggregated, "
            f"so its labels cannot be changed. Drop --paths to credit each {_noun(by)} on the last build, or, if "
            f"the file's paths already hold {_noun(by)} names, read it with --paths alone (without --by)."
        )
    if paths_file and "time_decay" in models:
        raise SettingError(
            "time_decay needs the time of every touch, which a paths file does not have. "
            "Run it on a built project (without --paths)."
        )
    start = start_date.date() if start_date else None
    end = end_date.date() if end_date else None
    chosen = MODELS if compare or not models else models
    query = AttributionQuery(tuple(chosen), by, order, resamples, transform, lookback_days)
    if paths_file and (transform or lookback_days or conversion_types or start or end or persona):
        raise SettingError(
            "--transform, --lookback, --conversion-type, --from, --to and --persona work on a built project's journeys; "
            "a paths file is already aggregated. Filter it before exporting it, or drop --paths."
        )
    currencies = no_conversions = ""  # a paths file carries revenue without its currency, and is what it is
    spent_notes: list[dict[str, Any]] = []
    if paths_file:
        paths = read_paths_csv(paths_file, separator)
        try:
            settings = project_at(project_dir).settings
        except ProjectError:
            settings = resolve_settings({}, dict(os.environ))  # a paths file needs no project
        options = query.options(settings)
        found = run_attribution(paths, chosen, options)
        spend: dict[str, float] = {}
        table = labelled(comparison(found), by, spend)
    else:
        with open_build(project_at(project_dir)) as built:
            done = attribute_built(built, Scope(start, end, conversion_types, persona=persona), query)
            currencies = currency_note(built)
            no_conversions = "" if done.paths.total_conversions else no_conversions_note(built)
        found, table, paths, options, spend = done.found, done.table, done.paths, done.options, done.spend
        spent_notes = done.spend_notes
    rows = table.to_pylist()
    if output_format != "table":
        print_rows(rows, output_format)
        return
    # In the terminal: channels down, models across (the Model Comparison Tool's layout).
    pivot: dict[str, dict[str, Any]] = {}
    for row in rows:
        cells = pivot.setdefault(row[by], {by: row[by]})
        cells[row["model"]] = f"{row['conversions']:,.1f} ({row['share'] * 100:.0f} %){_interval(row)}"
    interval_note = (
        f"; the range in brackets is the {options.confidence * 100:.0f} % interval from {options.resamples} bootstrap resamples"
        if options.resamples
        else ""
    )
    print_rows(
        list(pivot.values()),
        "table",
        f"Conversions credited to each {_noun(by)} ({paths.total_conversions:,.0f} conversions, {paths.paths:,} unique "
        f"paths){interval_note}. --format csv|json adds revenue and the change against last touch.",
    )
    for warning in (no_conversions, unsteady_credit_note(rows, by), currencies):
        if warning:
            print_warning(warning)
    if ordered:
        positioned = ordered_shapley(paths).to_pylist()
        blank = {f"position {n}": "" for n in sorted({row["position"] for row in positioned})}
        by_position: dict[str, dict[str, Any]] = {}
        for row in positioned:
            cells = by_position.setdefault(row["channel"], {by: row["channel"], **blank})
            cells[f"position {row['position']}"] = f"{row['conversions']:,.1f}"
        print_rows(
            list(by_position.values()),
            "table",
            f"Shapley credit by the position at which each {_noun(by)} first appears (1 = opened the path)",
        )
    if found.order_choice is not None:
        choice = found.order_choice
        console.print(markov_order_note(choice.order, {str(k): v for k, v in choice.log_likelihood.items()}))
    if spend:
        roas: dict[str, dict[str, Any]] = {}
        for row in rows:
            cells = roas.setdefault(row[by], {by: row[by], "spend": cell_text(row["spend"] or 0.0)})
            cells[row["model"]] = "" if row["roas"] is None else f"{row['roas']:,.2f}"
        print_rows(
            list(roas.values()), "table", f"Return on ad spend (credited revenue / spend) per {_noun(by)} and model"
        )
        for spent_note in spent_notes:
            print_warning(spend_note_text(spent_note))
    note = dimension_note(by)
    if note:
        console.print(note)
    console.print(HONEST_LABEL)


@cli.group()
def spend() -> None:
    """Ad spend by day, channel and campaign, for cost per conversion and ROAS."""


@spend.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--map", "column_map", default="", help='Column mapping, e.g. "tanggal=date,biaya=spend".')
@click.option("--set", "constants", default="", help='Columns the file lacks, e.g. "channel=Paid Search".')
@click.option(
    "--skip-lines",
    type=click.IntRange(min=0, max=TYPED_WHOLE_MOST),
    default=0,
    help="Lines (workbook: rows) before the header (a report's title).",
)
@click.option("--sheet", default=None, help="The workbook's sheet to read, by name or number (default: the first).")
@click.option(
    "--timestamp-format",
    "timestamp_formats",
    multiple=True,
    help='How the file writes its dates, when not ISO-8601: strptime codes, e.g. "%d/%m/%Y" for 24/10/2026 (tried '
    "before the timestamp_formats setting's; give it again for a second format).",
)
@click.option(
    "--profile",
    default=None,
    help="Read the file with the options of this spend profile of jejak.toml ([spend.profiles.NAME]); options given "
    "here go over its. Without it, a file whose name matches a profile's files patterns is read with that profile.",
)
@click.option(
    "--save-profile",
    default=None,
    help="Once the file is read (or checked), save the options it was read with as a new spend profile of this name "
    "in jejak.toml, for the platform's next reports.",
)
@click.option(
    "--check", is_flag=True, help="Read and check only: show what the import would store and quarantine; store nothing."
)
@PROJECT_OPTION
@handle_errors
def spend_import(
    file: str,
    column_map: str,
    constants: str,
    skip_lines: int,
    sheet: str | None,
    timestamp_formats: tuple[str, ...],
    profile: str | None,
    save_profile: str | None,
    check: bool,
    project_dir: str | None,
) -> None:
    """Import a spend CSV (gzipped or not, UTF-8 or UTF-16) or workbook (.xlsx, .xls, .ods): date, channel, spend
    (or cost/amount)[, campaign, currency].

    Example: jejak spend import iklan.csv --map "tanggal=date,saluran=channel,biaya=spend"

    A Google Ads report (a title and a date range above the header, no channel column):
    jejak spend import gads.csv --skip-lines 2 --map "Day=date,Cost=spend,Campaign=campaign" --set "channel=Paid Search"

    Without a Day column, each row's spend is spread over the range its title line gives.

    Try the options first with --check: it shows the first rows as they would be stored, and stores nothing. Save
    them for the platform's next reports with --save-profile NAME.
    """
    from jejak.ingest.importer import ImportOptions
    from jejak.ingest.mapping import parse_map_option, parse_pairs
    from jejak.ingest.profiles import check_new_profile, import_profiles, matching_profile, profile_named, with_profile
    from jejak.ingest.removal import options_text
    from jejak.ingest.spend import RANGE_COLUMNS, SPEND_COLUMNS, import_spend

    project = project_at(project_dir)
    if save_profile is not None:
        check_new_profile(project, save_profile, "spend")
    options = ImportOptions(
        column_map=parse_map_option(column_map, SPEND_COLUMNS) if column_map else {},
        constants=parse_pairs(constants, "--set"),
        skip_lines=skip_lines,
        sheet=sheet,
        timestamp_formats=timestamp_formats,
    )
    read_with = (
        profile_named(project, profile, "spend")
        if profile is not None
        else matching_profile(import_profiles(project, "spend"), Path(file))
    )
    if read_with is not None:
        options = with_profile(read_with.options, options)
        console.print(f"{file}: read with the spend profile {read_with.name} of jejak.toml ({options_text(options)})")
    summary = import_spend(
        project,
        Path(file),
        options.column_map or None,  # none mapped: the spend columns' known names are read
        constants=options.constants,
        skip_lines=options.skip_lines,
        sheet=options.sheet,
        check=check,
        timestamp_formats=options.timestamp_formats,
    )
    quarantined = ", ".join(f"{reason} {count}" for reason, count in sorted(summary.quarantined_by_reason.items()))
    console.print(
        f"{summary.file}: {summary.rows_read} rows read, {summary.rows_stored} {'would be ' if check else ''}stored"
        + (
            f" ({'would replace' if check else 'replacing'} {summary.rows_replaced} from the last import of this file)"
            if summary.rows_replaced
            else ""
        )
        + f", {summary.rows_quarantined} {'would be ' if check else ''}quarantined"
        + (f" ({quarantined})" if quarantined else "")
        + (
            f", {'which would replace' if check else 'replacing'} the {summary.quarantine_replaced} its last import "
            "quarantined"
            if summary.quarantine_replaced
            else ""
        )
        + (f", {summary.total_rows} total rows of the report left out" if summary.total_rows else "")
        + (". A check: nothing was stored." if check else "")
    )
    if summary.micros_column:
        console.print(
            f"  {summary.micros_column}: read in micros (millionths of the currency), as Google Ads' API gives"
        )
    if summary.title_period is not None:
        first, last = summary.title_period
        console.print(
            f"  No day per row: each row's spend is spread evenly over {first.isoformat()} – {last.isoformat()}, the "
            "range in the report's title line."
        )
    if summary.time_hint is not None:
        # A spend import replaces the rows its file brought before: running it again is the whole fix.
        print_warning(time_format_advice(summary.time_hint, check, of_one_file=True, replaces=True))
    if check:
        name = Path(file).name
        shown = [
            {
                "line": row.line,
                "date": row.day if row.last_day is None else f"{row.day} – {row.last_day}",
                "channel": row.channel,
                "campaign": row.campaign or "",
                "spend": row.amount,
                "currency": row.currency,
            }
            for row in summary.sample
        ]
        if shown:
            print_rows(shown, "table", f"{name}: the first rows it would store")
        _print_would_quarantine(name, summary.bad_sample)
    if save_profile is not None:
        # A report's range is its own: kept in the profile, it would date the platform's next report as this one.
        ranged = {name: value for name, value in options.constants.items() if name in RANGE_COLUMNS}
        if ranged:
            options = dataclasses.replace(
                options, constants={name: value for name, value in options.constants.items() if name not in ranged}
            )
            console.print(f"  {', '.join(ranged)}: not saved in the profile, as each report has its own range.")
        save_profile_of(project, save_profile, options, [file], "spend")


@cli.command()
@click.argument("table")
@click.option("--format", "output_format", type=click.Choice(["csv", "parquet", "json"]), default="csv")
@click.option(
    "--output",
    "-o",
    type=OUTPUT_FILE_OR_STDOUT,
    default=None,
    help="File to write, or - for standard output (default: TABLE.FORMAT in the current directory).",
)
@PROJECT_OPTION
@handle_errors
def export(table: str, output_format: str, output: str | None, project_dir: str | None) -> None:
    """Export a derived table as CSV, Parquet or JSON Lines.

    Example: jejak export paths --format csv -o paths.csv    (or -o - | head, to look)
    """
    project = project_at(project_dir)
    suffix = "jsonl" if output_format == "json" else output_format
    with open_build(project) as built:
        expr = built.read(table)
        if output != "-":
            target = Path(output or f"{table}.{suffix}")
            rows = built.engine.export(expr, target, suffix)
            console.print(f"Wrote {rows:,} row{'' if rows == 1 else 's'} of {table} to {target}")
            return
        # Written to a file first, then copied out: the Parquet writer needs a file, and so does any stdout that is
        # not the process's own (a test runner's, a pipe handed on by a wrapper).
        project.staging_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=project.staging_dir) as scratch:
            written = Path(scratch) / f"{table}.{suffix}"
            rows = built.engine.export(expr, written, suffix)
            sys.stdout.flush()
            with written.open("rb") as source:
                shutil.copyfileobj(source, sys.stdout.buffer, length=1024 * 1024)
            sys.stdout.buffer.flush()
    err_console.print(f"Wrote {rows:,} row{'' if rows == 1 else 's'} of {table} to standard output")


@cli.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory for the files.")
@click.option("--events", default=200_000, show_default=True, help="Approximate number of events.")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--format", "file_format", type=click.Choice(["mixed", "csv", "parquet"]), default="mixed", show_default=True
)
@handle_errors
def generate(out_dir: str, events: int, seed: int, file_format: str) -> None:
    """Write a seeded omnichannel dataset for a coffee roaster, with its planted truth.

    Example: jejak generate --out raw --events 1000000 --format csv
    """
    from jejak.synth import generate as make_data

    with console.status(f"Generating about {events:,} events…"):
        result = make_data(Path(out_dir), events=events, seed=seed, file_format=file_format)
    console.print(f"Wrote {result.events:,} events for {result.people:,} people:")
    for path in result.files:
        console.print(f"  {path}")
    console.print(f"Planted truth (what the models should find; not for import): {result.truth_dir}")
    console.print("Import the files into a project (`jejak init` makes one), then `jejak build`:")
    for command in import_commands(result):
        console.print(f"  {command}", soft_wrap=True)  # one line however narrow the terminal: it is pasted whole


def import_commands(result: Any) -> list[str]:
    """The `jejak import` commands that read `generate`'s files (a `synth.GenerateResult`), to paste into a shell:
    one for the files in jejak's own columns, one per file whose columns need `--map` (the marketplace's orders, in
    Indonesian). Their paths are absolute: the commands run in the project's directory, not where `generate` ran.
    (`jejak import DIR/*` would read the planted truth's tables too, which are no events.)"""
    from jejak.ingest.mapping import map_option_text

    def shown(path: Path) -> str:
        return shlex.quote(str(path.resolve()))

    mapped = result.mapped_files
    plain = [path for path in result.files if path not in mapped]
    commands = [" ".join(["jejak import", *map(shown, plain)])] if plain else []
    commands += [f"jejak import {shown(path)} {map_option_text(result.column_map)}" for path in mapped]
    return commands


@cli.command()
@click.option("--dir", "directory", default="demo-project", show_default=True, type=click.Path(file_okay=False))
@click.option("--events", default=200_000, show_default=True, help="Approximate number of events.")
@click.option("--seed", default=7, show_default=True)
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None)
@click.option("--no-serve", is_flag=True, help="Stop after printing the summary (for scripts).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Dashboard port.")
@handle_errors
def demo(directory: str, events: int, seed: int, engine: str | None, no_serve: bool, port: int) -> None:
    """Generate the demo dataset, import it, build everything, print the summary and serve the dashboard.

    The dashboard user is `demo` with a new random password, printed here.
    Example: jejak demo --events 200000 --no-serve
    """
    from jejak.ingest.importer import ImportOptions
    from jejak.store.project import init_project
    from jejak.synth import generate as make_data

    root = Path(directory).resolve()
    if root.exists() and any(root.iterdir()):
        if not (root / DEMO_MARKER).exists():
            raise JejakError(f"{root} exists and is not a jejak demo directory. Choose another --dir.")
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / DEMO_MARKER).write_text("This directory is rebuilt by `jejak demo`.\n", encoding="utf-8")
    with console.status(f"Generating about {events:,} events…"):
        data = make_data(root / "raw", events=events, seed=seed, file_format="mixed")
    console.print(f"Generated {data.events:,} events for {data.people:,} people in {root / 'raw'}")
    config = root / "jejak.toml"
    project = init_project(root)
    text = config.read_text(encoding="utf-8")
    mapping = "\n".join(f'{k} = "{v}"' for k, v in data.column_map.items())
    config.write_text(text.replace("[import.map]\n", f"[import.map]\n{mapping}\n"), encoding="utf-8")
    project = init_project(root)
    summaries, failed = run_imports(project, data.files, ImportOptions(), None)
    print_import_summaries(summaries)
    print_import_failures(failed, len(summaries))  # the generator's own files: a failure here is a bug
    # Not precomputed here: the persona documents saved below change what the map and personas pages show, and
    # the dashboard computes its first views as it starts (`serve_project`).
    run_build_with_progress(project, engine)
    print_summary(project)
    maps = write_demo_maps(project, root / "maps")
    console.print("\nOutputs:")
    console.print(f"  tables      {project.tables_dir.resolve()}")
    console.print(f"  quarantine  {project.quarantine_dir}")
    console.print(f"  truth       {data.truth_dir}")
    for name, path in maps.items():
        console.print(f"  map         {path}  ({name})")
    console.print(
        f"Explore: jejak attribute --project {root}  ·  jejak report assisted --project {root}  ·  "
        f"jejak export paths --project {root}"
    )
    if no_serve:
        return
    import secrets

    from jejak.web.auth import add_user

    password = secrets.token_urlsafe(12)
    add_user(project.sqlite_path, "demo", password, admin=True)
    console.print(styled("\nDashboard login: ", ("demo", "bold"), " / ", (password, "bold")))
    serve_project(project, "127.0.0.1", port)


def write_demo_maps(project: Any, directory: Path) -> dict[str, Path]:
    """Save the demo's persona documents and write the journey map of everyone and of each persona."""
    import re

    from jejak.maps.render import to_html
    from jejak.segments.personas import personas_from_yaml, save_persona
    from jejak.synth.demo_personas import DEMO_PERSONAS_YAML

    personas = personas_from_yaml(DEMO_PERSONAS_YAML, "the demo personas")
    for one in personas:
        save_persona(project.sqlite_path, one)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    names = [None, *(one.name for one in personas)]
    with console.status("Drawing the journey maps…"):
        drawn = journey_maps(project, names, None, None)
    for name, journey in zip(names, drawn, strict=True):
        slug = re.sub(r"[^a-z0-9]+", "-", (name or "everyone").lower()).strip("-")
        path = directory / f"{slug}.html"
        path.write_text(to_html(journey), encoding="utf-8")
        written[name or "everyone"] = path
    return written


def main() -> None:
    """Entry point of the `jejak` script."""
    cli(prog_name="jejak")


if __name__ == "__main__":
    main()
