"""A jejak project on disk: `jejak.toml`, `data/` (event lake and derived tables), `jejak.sqlite`, the key."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jejak.core.errors import JejakError, ProjectError, SettingError
from jejak.core.pii import create_key, load_key
from jejak.core.settings import SETTINGS_TABLE, Settings, resolve_settings
from jejak.core.typed import check_no_nul_inside, shown

CONFIG_NAME = "jejak.toml"
PROJECT_ENV = "JEJAK_PROJECT"


def _config_template() -> str:
    lines = [
        "# jejak project settings. Every setting and its default: `jejak settings`.",
        "# Values here override the defaults; JEJAK_<NAME> environment variables override these.",
        "",
        "[settings]",
    ]
    for setting in SETTINGS_TABLE:
        default = setting.default
        if isinstance(default, bool):
            shown = "true" if default else "false"  # TOML's booleans are lower case
        else:
            shown = f'"{default}"' if isinstance(default, str) else repr(default).replace("'", '"')
        lines.append(f"# {setting.name} = {shown}  # {setting.unit}: {setting.help}")
    lines += [
        "",
        '# Rename the columns of CSV files whose headers differ, e.g. waktu = "timestamp".',
        "[import.map]",
        "",
        "# Import profiles, a source's options for its next exports: [import.profiles.NAME], written by",
        "# jejak import FILE … --save-profile NAME. See docs/import-formats.md.",
        "",
        "# Channel rules: [[channels.prepend]] goes before the defaults, [[channels.rules]] replaces them.",
        "# See docs/channels.md.",
        "",
    ]
    return "\n".join(lines)


# SQLite's side files beside its database (WAL mode, or a rollback journal): the state is all of them.
_STATE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def project_part(path: Path, root: Path | None = None) -> tuple[Path, str] | None:
    """The project a path is part of and what of it the path is, where writing a command's output would destroy it:
    its settings file, its application state, its hashing key (where its settings put it) or a place in its data
    folder. None for any other path, in a project (`paths.csv` beside jejak.toml) or not. The projects are those of
    the folders above the path, and the one the command works on (`root`, else $JEJAK_PROJECT, else the current
    directory): its `hmac_key_file` may be anywhere (`/secure/jejak.key`).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     root = Path(folder)
        ...     _ = (root / CONFIG_NAME).write_text("")
        ...     parts = [project_part(root / name) for name in ("jejak.sqlite", "data/events/x.csv", "paths.csv")]
        >>> [part and part[1] for part in parts]
        ['the application state (jejak.sqlite)', 'inside the data folder', None]
    """
    target = path.expanduser().resolve()
    command_root = _project_root(root, dict(os.environ))  # the folder the command opens (`open_project`)
    folders = dict.fromkeys(folder for folder in (command_root, *target.parents) if (folder / CONFIG_NAME).is_file())
    for folder in folders:
        project = _configured(folder)
        owned = {
            project.config_path: f"the settings ({CONFIG_NAME})",
            project.key_path: f"the hashing key ({project.key_path.name})",
        }
        owned |= {
            Path(f"{project.sqlite_path}{suffix}"): f"the application state ({project.sqlite_path.name})"
            for suffix in _STATE_SUFFIXES
        }
        if target in owned:
            return folder, owned[target]
        if target.is_relative_to(project.data_dir.resolve()):
            return folder, "inside the data folder"
    return None


def _configured(root: Path) -> Project:
    """The project in `root` with its settings (where its key is), not opened: its state is not touched. One whose
    settings cannot be read is taken with the defaults; the command that opens it says what is wrong."""
    try:
        return _read_project(root, dict(os.environ))
    except (JejakError, OSError):
        return Project(root)


def _project_root(root: Path | None, environment: dict[str, str]) -> Path:
    """The folder a command works on: `root`, else $JEJAK_PROJECT, else the current directory."""
    return (root or Path(environment.get(PROJECT_ENV, "."))).resolve()


def _read_project(root: Path, environment: dict[str, str]) -> Project:
    """The project in `root` with its jejak.toml read and its settings resolved (then `environment`'s JEJAK_*)."""
    config = _read_config(root / CONFIG_NAME)
    return Project(root=root, config=config, settings=resolve_settings(config, env=environment))


@dataclass(frozen=True)
class Project:
    """Paths and settings of one project; open it with `open_project` or create it with `init_project`."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=lambda: resolve_settings({}, env={}))

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def events_dir(self) -> Path:
        return self.data_dir / "events"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / ".staging"

    @property
    def builds_dir(self) -> Path:
        return self.data_dir / "builds"

    @property
    def tables_dir(self) -> Path:
        """A symlink to the newest complete build; swapped atomically by `jejak build`."""
        return self.data_dir / "tables"

    @property
    def sqlite_path(self) -> Path:
        return self.root / "jejak.sqlite"

    @property
    def key_path(self) -> Path:
        key = Path(self.settings.hmac_key_file).expanduser()
        return key if key.is_absolute() else self.root / key

    def hmac_key(self) -> bytes:
        """The project's HMAC key, or an error that says how to get one."""
        try:
            return load_key(self.key_path)
        except FileNotFoundError:
            raise ProjectError(
                f"The hashing key {self.key_path} is missing. Restore it from your backup, or run `jejak init` "
                "in a new project (a new key cannot match identifiers hashed with the old one)."
            ) from None

    def column_map(self) -> dict[str, str]:
        """The `[import.map]` column mapping of jejak.toml."""
        mapping = self.config.get("import", {}).get("map", {})
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise SettingError(
                '[import.map] in jejak.toml must map column names to column names, e.g. waktu = "timestamp".'
            )
        return {str(k): str(v) for k, v in mapping.items()}


# jejak.toml's sections that hold keys of their own ([channels] and [stages] say so where their rules are read).
TABLE_SECTIONS = ("settings", "import", "spend")


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            config = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f"{path} is not valid TOML: {exc}. Fix the line it names.") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8; the parser's own error is no TOMLDecodeError
        raise SettingError(
            f"{path} is not UTF-8 text (byte {exc.start}): save it as UTF-8, as `jejak init` wrote it."
        ) from None
    except RecursionError:  # arrays or tables inside each other past Python's recursion: the parser recurses
        raise SettingError(f"{path} is nested too deeply to read (arrays inside arrays): write it flatter.") from None
    check_no_nul_inside(config, str(path))  # TOML's "\u0000" writes one; a setting, a rule or a profile may hold it
    for section in TABLE_SECTIONS:  # each is read as a table of its keys: `settings = 3` stopped every command
        if section in config and not isinstance(config[section], dict):
            raise SettingError(
                f"{path}: {section} is {config[section]!r}, where jejak reads a table: write [{section}] on a line of "
                "its own, and its keys under it (see the file `jejak init` writes)."
            )
    return config


def init_project(root: Path) -> Project:
    """Create a project in `root` (config, data directory, key, SQLite state); an existing one is left as it is.

    Example:
        >>> import tempfile, pathlib
        >>> project = init_project(pathlib.Path(tempfile.mkdtemp()) / "kopi")
        >>> project.config_path.exists(), project.key_path.exists()
        (True, True)
    """
    from jejak.store.appstate import migrate

    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    config_path = root / CONFIG_NAME
    if not config_path.exists():
        config_path.write_text(_config_template(), encoding="utf-8")
    project = open_project(root)
    for directory in (project.events_dir, project.quarantine_dir, project.builds_dir):
        directory.mkdir(parents=True, exist_ok=True)
    if not project.key_path.exists():
        create_key(project.key_path)
    migrate(project.sqlite_path)
    return project


def open_project(root: Path | None = None, env: dict[str, str] | None = None) -> Project:
    """Open the project in `root`, else $JEJAK_PROJECT, else the current directory."""
    environment = dict(os.environ) if env is None else env
    base = _project_root(root, environment)
    config_path = base / CONFIG_NAME
    try:
        found = config_path.exists()
    except OSError as exc:  # a name too long for the file system, a folder it may not enter
        raise ProjectError(f"Cannot open a jejak project in {shown(str(base))}: {exc.strerror}.") from None
    if not found:
        raise ProjectError(
            f"No jejak project in {base} (no {CONFIG_NAME}). Run `jejak init {base}` first, "
            f"or pass --project DIR / set {PROJECT_ENV}."
        )
    project = _read_project(base, environment)
    if project.sqlite_path.exists():
        from jejak.store.appstate import migrate

        # A project made by an older jejak gets the newer state tables on first use.
        migrate(project.sqlite_path)
    return project
