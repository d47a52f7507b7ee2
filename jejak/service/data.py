"""What came in and how it is read: the imports log, the quarantine, and every setting in effect (the Data page).

The quarantine itself (listing and re-trying rows) lives with the importer in
`ingest.quarantine`; this module shapes it, the SQLite imports log and the settings table as rows.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from jejak.core.settings import ENV_PREFIX, SETTINGS_TABLE
from jejak.core.vocabulary import QUARANTINE_REASONS
from jejak.ingest.archives import shown_name
from jejak.ingest.importer import TIME_HINT_ROWS, quarantine_counts
from jejak.ingest.quarantine import list_quarantined
from jejak.ingest.time_hints import TimeFormatHint, suggest_time_format, times_of_messages
from jejak.service.language import moment_text
from jejak.store.appstate import open_state
from jejak.store.project import Project

Rows = list[dict[str, Any]]


def imports_log(project: Project, *, limit: int = 200) -> Rows:
    """The latest imports (newest first): file, format, source name, when, and counts that reconcile."""
    with open_state(project.sqlite_path) as db:
        found = db.execute(
            """SELECT file, file_format, source_name, started_at, finished_at,
                      rows_read, rows_stored, rows_quarantined, duplicates_skipped, rows_erased
               FROM imports ORDER BY started_at DESC, finished_at DESC LIMIT ?""",
            (limit,),
        ).fetchall()
    return [
        {
            "file": shown_name(file),
            "format": file_format,
            "source_name": source_name,
            "imported_at": moment_text(started_at, project.settings.timezone),
            "seconds": round(_seconds(started_at, finished_at), 1),
            "rows_read": read,
            "rows_stored": stored,
            "rows_quarantined": quarantined,
            "duplicates_skipped": duplicates,
            "rows_erased": erased,
            "reconciles": read == stored + quarantined + duplicates + erased,
        }
        for file, file_format, source_name, started_at, finished_at, read, stored, quarantined, duplicates, erased in found
    ]


def _seconds(started: str, finished: str) -> float:
    try:
        return (dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)).total_seconds()
    except ValueError:
        return 0.0


def quarantine_summary(project: Project) -> Rows:
    """Quarantined rows per reason, with what the reason means."""
    return [
        {"reason": reason, "rows": rows, "meaning": QUARANTINE_REASONS.get(reason, "")}
        for reason, rows in quarantine_counts(project).items()
    ]


def quarantined_time_hint(project: Project) -> TimeFormatHint | None:
    """The timestamp_formats entry that reads the times quarantined as bad_timestamp, when they share one shape
    (`ingest.time_hints`): what the import said, said again where the rows are listed."""
    timed = list_quarantined(project, reason="bad_timestamp", limit=TIME_HINT_ROWS, raw_chars=0).rows
    return suggest_time_format(times_of_messages([row.message for row in timed])) if timed else None


def _shown(value: Any) -> Any:
    return ", ".join(value) if isinstance(value, list) else value


def settings_in_effect(project: Project, env: Mapping[str, str] | None = None) -> Rows:
    """Every setting: its value, default, unit, and where the value came from (default, jejak.toml or environment).

    `env` is the environment the project was opened with (the process's by default). Settings hold
    no secret: `hmac_key_file` is where the key is kept, never the key.
    """
    environment = os.environ if env is None else env
    in_file = project.config.get("settings", {})
    rows = []
    for setting in SETTINGS_TABLE:
        env_name = ENV_PREFIX + setting.name.upper()
        if env_name in environment:
            origin = f"environment {env_name}"
        elif setting.name in in_file:
            origin = "jejak.toml"
        else:
            origin = "default"
        rows.append(
            {
                "name": setting.name,
                "value": _shown(getattr(project.settings, setting.name)),
                "default": _shown(setting.default),
                "unit": setting.unit,
                "origin": origin,
                "reference": setting.source,
                "help": setting.help,
            }
        )
    return rows
