"""Import profiles: how one source's exports are read (`--map`, `--set`, `--event-names`, …), kept in jejak.toml
under `[import.profiles.NAME]`, so that next month's export from the same shop imports by its name alone.

A profile applies to a file named with `--profile NAME`, or to one whose name matches a pattern of its `files`
(`shopee-*.xlsx`). What the command line gives goes over the profile's (a `--map` pair over the profile's pair for
that column). `jejak import FILE … --save-profile NAME` appends the options a file was read with as a new profile.
An ad platform's spend reports have theirs under `[spend.profiles.NAME]` (`jejak spend import`): the same keys, but
only for the options a spend import takes (SPEND_KEYS), and its map's targets are spend columns.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jejak.core.errors import InputFileError, JejakError, SettingError
from jejak.core.settings import SETTINGS_BY_NAME, check_time_zone
from jejak.core.typed import TYPED_WHOLE_MOST
from jejak.ingest.event_names import check_event_names
from jejak.ingest.importer import ImportOptions
from jejak.ingest.mapping import check_constants, check_mapping, check_named_once
from jejak.ingest.remote import is_url
from jejak.ingest.spend import SPEND_COLUMNS, check_spend_constants
from jejak.store.files import move_into_place
from jejak.store.project import Project

# A profile's name is a TOML bare key, so that `[import.profiles.NAME]` needs no quotes and `--profile NAME` no shell
# quoting.
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

# The keys of a profile's table: `files`, then the options as the imports log keeps them (`ImportOptions.to_json`).
TEXT_KEYS = ("delimiter", "sheet", "timezone", "id_prefix", "event_id_prefix")
TABLE_KEYS = ("map", "set", "event_names")
FLAG_KEYS = ("keep_anonymous", "sum_revenue")
PROFILE_KEYS = ("files", *TABLE_KEYS, *TEXT_KEYS, "skip_lines", "timestamp_formats", *FLAG_KEYS)
# A spend import's options (`jejak spend import`).
SPEND_KEYS = ("files", "map", "set", "skip_lines", "sheet", "timestamp_formats")
# The tables of jejak.toml that hold profiles: `[import.profiles.NAME]`, `[spend.profiles.NAME]`.
SECTIONS = ("import", "spend")

# A pattern made from a file's name keeps at least this many letters besides its suffix: `*.csv` would take every
# CSV file for the profile's source.
PATTERN_LETTERS_MIN = 3


@dataclass(frozen=True)
class ImportProfile:
    """One `[import.profiles.NAME]` of jejak.toml: the file-name patterns it applies to (`fnmatch`, without case)
    and the options it reads them with."""

    name: str
    files: tuple[str, ...]
    options: ImportOptions

    def matches(self, file: Path | str) -> bool:
        """Whether `file` (a path, by its name; a web address, whole) matches one of the profile's patterns."""
        name = (file if isinstance(file, str) else file.name).lower()
        return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in self.files)


def import_profiles(project: Project, section: str = "import") -> dict[str, ImportProfile]:
    """Every profile of the project's jejak.toml (`[import.profiles]`, or `[spend.profiles]` for `section` spend),
    each checked; a SettingError names the profile and the key."""
    profiles = project.config.get(section, {}).get("profiles", {})
    if not isinstance(profiles, dict):
        raise SettingError(
            f"[{section}.profiles] in jejak.toml must hold one table per profile, e.g. [{section}.profiles.shopee]."
        )
    return {str(name): _profile(str(name), table, section) for name, table in profiles.items()}


def profile_named(project: Project, name: str, section: str = "import") -> ImportProfile:
    """The profile `name` (`--profile`), or a SettingError that lists the ones there are."""
    profiles = import_profiles(project, section)
    if name not in profiles:
        command = "jejak import" if section == "import" else "jejak spend import"
        known = ", ".join(profiles) or f"none yet (save one with {command} FILE … --save-profile NAME)"
        raise SettingError(f"--profile {name}: jejak.toml has no [{section}.profiles.{name}]. Its profiles: {known}.")
    return profiles[name]


def matching_profile(profiles: Mapping[str, ImportProfile], file: Path | str) -> ImportProfile | None:
    """The one profile whose `files` patterns match `file`, None for none; two that match are an InputFileError of
    the file (which one is meant is the user's to say; the files after it are imported)."""
    found = [profile for profile in profiles.values() if profile.matches(file)]
    if len(found) > 1:
        names = " and ".join(profile.name for profile in found)
        shown = file if isinstance(file, str) else file.name
        raise InputFileError(
            f"{shown} matches the files patterns of the profiles {names} in jejak.toml. Name the one to read it with "
            f"(--profile {found[0].name}), or narrow their patterns."
        )
    return found[0] if found else None


def with_profile(profile: ImportOptions, given: ImportOptions) -> ImportOptions:
    """The profile's options with what the command line gave over them: a mapping pair, a `--set` value or an event
    name replaces the profile's for the same column or status (compared without case, as files are read), any other
    option given replaces the profile's, a flag given turns it on."""
    return ImportOptions(
        column_map=_over(profile.column_map, given.column_map),
        constants={**profile.constants, **given.constants},
        delimiter=given.delimiter or profile.delimiter,
        skip_lines=given.skip_lines or profile.skip_lines,
        sheet=given.sheet or profile.sheet,
        timezone=given.timezone or profile.timezone,
        # A format given is tried first; the profile's stay after it.
        timestamp_formats=tuple(dict.fromkeys((*given.timestamp_formats, *profile.timestamp_formats))),
        event_names=_over(profile.event_names, given.event_names),
        id_prefix=given.id_prefix or profile.id_prefix,
        event_id_prefix=given.event_id_prefix or profile.event_id_prefix,
        keep_anonymous=given.keep_anonymous or profile.keep_anonymous,
        sum_revenue=given.sum_revenue or profile.sum_revenue,
    )


def _over(base: Mapping[str, str], given: Mapping[str, str]) -> dict[str, str]:
    """`base` with `given` over it, names compared trimmed and without case (`No. Pesanan` and `no. pesanan` are one
    column, `Selesai` and `SELESAI` one status)."""
    replaced = {name.strip().lower() for name in given}
    return {**{name: value for name, value in base.items() if name.strip().lower() not in replaced}, **given}


def _profile(name: str, table: Any, section: str = "import") -> ImportProfile:
    """One profile's table read and checked; errors say `[import.profiles.NAME] in jejak.toml` and the key."""
    where = f"[{section}.profiles.{name}] in jejak.toml"
    check_profile_name(name)
    if not isinstance(table, dict):
        raise SettingError(f'{where} must be a table of options, e.g. map = {{ Waktu = "timestamp" }}.')
    keys = PROFILE_KEYS if section == "import" else SPEND_KEYS
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise SettingError(f"{where} has unknown key(s) {', '.join(unknown)}. Its keys: {', '.join(keys)}.")
    tables = {key: _text_table(table.get(key, {}), where, key) for key in TABLE_KEYS}
    texts = {key: _text(table.get(key), where, key) for key in TEXT_KEYS}
    delimiter_choices = SETTINGS_BY_NAME["csv_delimiter"].choices or ()
    if texts["delimiter"] is not None and texts["delimiter"] not in delimiter_choices:
        raise SettingError(f"{where}: delimiter must be one of {', '.join(delimiter_choices)}.")
    skip_lines = table.get("skip_lines", 0)
    if isinstance(skip_lines, bool) or not isinstance(skip_lines, int) or not 0 <= skip_lines <= TYPED_WHOLE_MOST:
        raise SettingError(
            f"{where}: skip_lines must be a whole number from 0 to {TYPED_WHOLE_MOST} (the lines above the header)."
        )
    flags = {key: table.get(key, False) for key in FLAG_KEYS}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            raise SettingError(f"{where}: {key} must be true or false.")
    try:
        if section == "import":
            check_mapping(tables["map"])
            check_constants(tables["set"])
        else:
            check_mapping(tables["map"], SPEND_COLUMNS)
            check_spend_constants(tables["set"])
        check_named_once(list(tables["map"]), "map")
        check_event_names(tables["event_names"], "event_names")
        if texts["timezone"] is not None:
            check_time_zone(texts["timezone"], "timezone")
        options = ImportOptions(
            column_map=tables["map"],
            constants={column.lower(): value for column, value in tables["set"].items()},
            delimiter=texts["delimiter"],
            skip_lines=skip_lines,
            sheet=texts["sheet"],
            timezone=texts["timezone"],
            timestamp_formats=_text_list(table.get("timestamp_formats", []), "timestamp_formats"),
            event_names=tables["event_names"],
            id_prefix=texts["id_prefix"],
            event_id_prefix=texts["event_id_prefix"],
            keep_anonymous=flags["keep_anonymous"],
            sum_revenue=flags["sum_revenue"],
        )
        files = _text_list(table.get("files", []), "files")
    except JejakError as exc:
        raise SettingError(f"{where}: {exc.message}") from None
    return ImportProfile(name, files, options)


def check_profile_name(name: str) -> str:
    """A profile's name: letters, digits, `-` and `_` (a TOML bare key)."""
    if not PROFILE_NAME.match(name):
        raise SettingError(
            f"The profile name {name!r} must be one word of letters, digits, '-' and '_', e.g. shopee or kasir-bintaro."
        )
    return name


def _text_table(value: Any, where: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(text, str) for text in value.values()):
        raise SettingError(f'{where}: {key} must be a table of names to names, e.g. {key} = {{ Waktu = "timestamp" }}.')
    return {str(name): text for name, text in value.items()}


def _text(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if key == "sheet" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a sheet by its number, as --sheet 2
    if not isinstance(value, str) or not value.strip():
        raise SettingError(f"{where}: {key} must be a text that is not empty.")
    return value


def _text_list(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]  # one pattern or format written without brackets
    if not isinstance(value, list) or not all(isinstance(text, str) and text.strip() for text in value):
        raise SettingError(f'{key} must be a list of texts, e.g. {key} = ["…", "…"].')
    return tuple(value)


def pattern_for(file: str) -> str | None:
    """A `files` pattern for the exports of which `file` (a path, or a web address, as an import names it) is one:
    its name with each run of digits a `*` (`Order.all.20261001_20261031.xlsx` → `Order.all.*_*.xlsx`); None for a
    web address, or when the name keeps fewer than PATTERN_LETTERS_MIN letters besides its suffix (`2026-10.csv`
    would give `*-*.csv`, every CSV)."""
    if is_url(file):
        return None
    name = Path(file).name
    pattern = re.sub(r"[0-9]+", "*", name)
    suffixes = "".join(Path(name).suffixes[-2:]) if name.lower().endswith(".gz") else Path(name).suffix
    letters = sum(character.isalpha() for character in pattern.removesuffix(suffixes))
    return pattern if letters >= PATTERN_LETTERS_MIN else None


def profile_toml(name: str, options: ImportOptions, files: Sequence[str], section: str = "import") -> str:
    """The `[import.profiles.NAME]` (or `[spend.profiles.NAME]`) table of a profile, as `--save-profile` appends it
    to jejak.toml (read back by `import_profiles` as these options; a test checks it for any options)."""
    kept = json.loads(options.to_json())
    lines = [f"[{section}.profiles.{check_profile_name(name)}]", f"files = {_toml_list(files)}"]
    for key in TEXT_KEYS:
        if kept[key] is not None:
            lines.append(f"{key} = {_toml_text(kept[key])}")
    if options.skip_lines:
        lines.append(f"skip_lines = {options.skip_lines}")
    if options.timestamp_formats:
        lines.append(f"timestamp_formats = {_toml_list(options.timestamp_formats)}")
    lines += [f"{key} = true" for key in FLAG_KEYS if kept[key]]
    for key in TABLE_KEYS:
        if kept[key]:
            lines += ["", f"[{section}.profiles.{name}.{key}]"]
            lines += [f"{_toml_text(column)} = {_toml_text(value)}" for column, value in kept[key].items()]
    return "\n".join(lines) + "\n"


def _toml_text(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML wants escaped and JSON leaves."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_list(texts: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_text(text) for text in texts) + "]"


def check_new_profile(project: Project, name: str, section: str = "import") -> None:
    """Before an import with `--save-profile`: the name is one a profile may have, and jejak.toml has no profile of
    it (one is edited in jejak.toml, not overwritten from the command line)."""
    check_profile_name(name)
    if name in import_profiles(project, section):
        raise SettingError(
            f"jejak.toml already has the profile {name}. Save under another name, or edit [{section}.profiles.{name}] "
            f"in {project.config_path}."
        )


def save_profile(
    project: Project, name: str, options: ImportOptions, files: Sequence[str], section: str = "import"
) -> str:
    """Append the profile to the project's jejak.toml (written whole to a temporary file, then renamed over it: the
    file is never half written) and return the text appended. The file as it is otherwise stays as it was, comments
    and all. Refused, with the text to add by hand, when jejak.toml with it would not read (a `profiles` key written
    otherwise in it)."""
    check_new_profile(project, name, section)
    path = project.config_path
    before = path.read_text(encoding="utf-8")
    added = profile_toml(name, options, files, section)
    after = before + ("" if before.endswith("\n") or not before else "\n") + "\n" + added
    try:
        tomllib.loads(after)
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(
            f"The profile cannot be added to {path} as it is ({exc}). Add it by hand:\n{added}"
        ) from None
    staged = path.with_name(f".{path.name}.saving")
    staged.write_text(after, encoding="utf-8")
    move_into_place(staged, path)
    return added
