"""Application state in SQLite (WAL mode), with named, ordered migrations."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path


def m001_imports(db: sqlite3.Connection) -> None:
    """One row per imported file, with counts that reconcile."""
    db.execute(
        """CREATE TABLE imports (
            import_id TEXT PRIMARY KEY,
            file TEXT NOT NULL,
            file_format TEXT NOT NULL,
            source_name TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            rows_read INTEGER NOT NULL,
            rows_stored INTEGER NOT NULL,
            rows_quarantined INTEGER NOT NULL,
            duplicates_skipped INTEGER NOT NULL
        )"""
    )


def m002_builds(db: sqlite3.Connection) -> None:
    """One row per `jejak build`, with step timings."""
    db.execute(
        """CREATE TABLE builds (
            build_id TEXT PRIMARY KEY,
            engine TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            steps_json TEXT NOT NULL
        )"""
    )


def m003_spend(db: sqlite3.Connection) -> None:
    """Ad spend per day, channel and campaign, one row per line of an imported spend file."""
    db.execute(
        """CREATE TABLE spend (
            day TEXT NOT NULL,
            channel TEXT NOT NULL,
            campaign TEXT,
            amount REAL NOT NULL,
            currency TEXT,
            source_file TEXT NOT NULL,
            source_line INTEGER NOT NULL,
            imported_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX spend_by_day ON spend (day, channel)")


def m004_personas(db: sqlite3.Connection) -> None:
    """Persona documents: the editable text, and the rules that put people in the persona (JSON)."""
    db.execute(
        """CREATE TABLE personas (
            name TEXT PRIMARY KEY,
            priority INTEGER NOT NULL,
            document_json TEXT NOT NULL,
            origin TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )


def m005_map_notes(db: sqlite3.Connection) -> None:
    """What people type on a journey map: notes per persona, stage and lane, and feelings (−2…+2)."""
    db.execute(
        """CREATE TABLE map_notes (
            note_id INTEGER PRIMARY KEY AUTOINCREMENT,
            persona TEXT NOT NULL,
            stage TEXT NOT NULL,
            lane TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            value REAL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX map_notes_by_persona ON map_notes (persona, stage)")


def m006_users(db: sqlite3.Connection) -> None:
    """Dashboard users (argon2 hashes), their sessions (only a SHA-256 of the cookie) and failed-login counts."""
    db.execute(
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            is_admin INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE web_sessions (
            token_sha256 TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE login_failures (
            login_key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_failure_at TEXT NOT NULL
        )"""
    )


def m007_import_options(db: sqlite3.Connection) -> None:
    """What an import was told on the command line (--map, --set, --delimiter, --skip-lines), as JSON, so that a
    re-try of its quarantined rows reads them as the import did; NULL for re-tries and older imports."""
    db.execute("ALTER TABLE imports ADD COLUMN options_json TEXT")


def m008_spend_periods(db: sqlite3.Connection) -> None:
    """A spend row may cover days: `last_day` is the last of them (NULL: the row's one day). An ad platform's report
    without a breakdown by day (Meta's default: `Reporting starts`, `Reporting ends`) gives each campaign's spend
    over the whole range, which a report of some of those days takes its share of."""
    db.execute("ALTER TABLE spend ADD COLUMN last_day TEXT")


def m009_erased_identifiers(db: sqlite3.Connection) -> None:
    """The identifiers of erased people (`jejak erase`), each only as a keyed SHA-256 of its identity node
    (`core.pii.erased_key`), so that an import does not store their rows again; and how many rows each import skipped
    for it."""
    db.execute("CREATE TABLE erased_identifiers (key_sha256 TEXT PRIMARY KEY, erased_at TEXT NOT NULL)")
    db.execute("ALTER TABLE imports ADD COLUMN rows_erased INTEGER NOT NULL DEFAULT 0")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    m001_imports,
    m002_builds,
    m003_spend,
    m004_personas,
    m005_map_notes,
    m006_users,
    m007_import_options,
    m008_spend_periods,
    m009_erased_identifiers,
)


def connect_state(path: Path) -> sqlite3.Connection:
    """Open the SQLite state in WAL mode, so readers never block the one writer."""
    db = sqlite3.connect(path, timeout=30)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    return db


@contextlib.contextmanager
def open_state(path: Path) -> Iterator[sqlite3.Connection]:
    """`connect_state`, closed at the end of the `with` block. (A sqlite3 connection's own `with` is a transaction:
    it commits or rolls back, and leaves the connection open.)"""
    db = connect_state(path)
    try:
        yield db
    finally:
        db.close()


@contextlib.contextmanager
def writing_state(path: Path) -> Iterator[sqlite3.Connection]:
    """`open_state` in one transaction: committed at the end of the `with` block, rolled back if it raises."""
    with open_state(path) as db, db:
        yield db


def migrate(path: Path) -> int:
    """Apply the migrations not yet applied, in order; returns how many ran."""
    with open_state(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT DEFAULT CURRENT_TIMESTAMP)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM migrations")}
        applied = 0
        for migration in MIGRATIONS:
            if migration.__name__ in done:
                continue
            with db:
                migration(db)
                db.execute("INSERT INTO migrations (name) VALUES (?)", (migration.__name__,))
            applied += 1
        return applied
