"""Notes people type on a journey map, kept in SQLite: per persona ("" for everyone), stage and lane.

Lanes for text: thoughts, pain_points, opportunities (and actions, touchpoints). The
`feeling` lane overrides the as-is emotion of a stage; `feeling_to_be` draws the
to-be curve. Feelings are numbers from −2 to +2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jejak.core.clock import utc_now
from jejak.core.errors import SettingError
from jejak.store.appstate import open_state, writing_state

TEXT_LANES = ("thoughts", "pain_points", "opportunities", "actions", "touchpoints")
FEELING_LANES = ("feeling", "feeling_to_be")
EVERYONE = ""


def add_note(
    sqlite_path: Path, *, persona: str, stage: str, lane: str, text: str = "", value: float | None = None
) -> int:
    """Store one note; returns its id. A feeling needs a value from −2 to +2, a text lane needs text."""
    if lane in FEELING_LANES:
        if value is None or not -2 <= value <= 2:
            raise SettingError(f"A {lane} is a number from -2 to +2, not {value!r}.")
    elif lane in TEXT_LANES:
        if not text.strip():
            raise SettingError(f"A note in {lane} needs some text.")
    else:
        raise SettingError(f"Notes go in {', '.join(TEXT_LANES + FEELING_LANES)}, not {lane!r}.")
    with open_state(sqlite_path) as db:
        with db:
            cursor = db.execute(
                "INSERT INTO map_notes (persona, stage, lane, text, value, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (persona, stage, lane, text.strip(), value, utc_now().isoformat()),
            )
        return int(cursor.lastrowid or 0)


def notes_for(sqlite_path: Path, persona: str) -> list[dict[str, Any]]:
    """A persona's notes in the order they were typed (later feelings win)."""
    with open_state(sqlite_path) as db:
        rows = db.execute(
            "SELECT note_id, stage, lane, text, value, created_at FROM map_notes WHERE persona = ? ORDER BY note_id",
            (persona,),
        ).fetchall()
    names = ("note_id", "stage", "lane", "text", "value", "created_at")
    return [dict(zip(names, row, strict=True)) for row in rows]


def delete_note(sqlite_path: Path, note_id: int) -> None:
    with writing_state(sqlite_path) as db:
        if db.execute("DELETE FROM map_notes WHERE note_id = ?", (note_id,)).rowcount == 0:
            raise SettingError(f"There is no map note {note_id}.")


def move_notes(sqlite_path: Path, old_persona: str, new_persona: str) -> int:
    """Give a persona's notes to its new name (a renamed persona keeps its map); returns how many moved."""
    with writing_state(sqlite_path) as db:
        return int(
            db.execute("UPDATE map_notes SET persona = ? WHERE persona = ?", (new_persona, old_persona)).rowcount
        )
