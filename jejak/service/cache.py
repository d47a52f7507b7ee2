"""Answers kept next to the build they were computed from, so a question asked twice is computed once.

A published build never changes, so an answer computed from it stays right until the next
build, which starts with an empty cache. What else changes an answer is part of the key: the
question, the settings, the SQLite state a query reads (spend imports, persona documents,
journey-map notes, the imports log), and jejak's version. Files live in
`<build>/.cache/<kind>-<sha256>.json`, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from jejak.store.appstate import open_state
from jejak.store.derived import current_build
from jejak.store.files import move_into_place
from jejak.store.project import Project

# Answers kept next to a build's tables (hidden from the list of tables).
CACHE_DIR = ".cache"
JEJAK_VERSION = version("jejak")


# The SQLite state an answer may depend on, each summed up by a query that changes when it does.
# Imports (and quarantine re-tries, logged as imports) change the overview's quarantine and freshness.
STATE_QUERIES = {
    "spend": "SELECT COUNT(*), SUM(amount), MAX(imported_at) FROM spend",
    "personas": "SELECT COUNT(*), MAX(updated_at) FROM personas",
    "notes": "SELECT COUNT(*), MAX(note_id) FROM map_notes",
    "imports": "SELECT COUNT(*), MAX(finished_at) FROM imports",
}
EVERY_STATE = tuple(STATE_QUERIES)


def state_signature(project: Project, parts: Sequence[str] = EVERY_STATE) -> list[Any]:
    """What besides the build and the settings changes answers: the named parts of the SQLite state."""
    with open_state(project.sqlite_path) as db:
        return [list(db.execute(STATE_QUERIES[part]).fetchone()) for part in parts]


def cache_path(
    project: Project, kind: str, question: Any, state: Sequence[str] = EVERY_STATE, suffix: str = "json"
) -> Path:
    # The version too: an upgrade that changes an answer's shape must not read the one an older jejak kept.
    key_source = json.dumps(
        [kind, question, repr(project.settings), state_signature(project, state), JEJAK_VERSION],
        default=str,
        sort_keys=True,
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:32]
    return current_build(project) / CACHE_DIR / f"{kind}-{key}.{suffix}"


def cached(
    project: Project, kind: str, question: Any, compute: Callable[[], Any], state: Sequence[str] = EVERY_STATE
) -> Any:
    """`compute()`'s JSON-able answer, read from the build's cache when this question was asked before.

    `state` names the parts of the SQLite state the answer depends on (all of them by default).
    Values JSON cannot hold (dates, timestamps) come back as their text.
    """
    path = cache_path(project, kind, question, state)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    answer = json.loads(json.dumps(compute(), default=str))
    path.parent.mkdir(exist_ok=True)
    staged = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    staged.write_text(json.dumps(answer), encoding="utf-8")
    move_into_place(staged, path)
    return answer


def cached_table(
    project: Project, kind: str, question: Any, compute: Callable[[], pa.Table], state: Sequence[str] = EVERY_STATE
) -> Path:
    """The Parquet file of `compute()`'s table, computed once per build, question, settings and state."""
    path = cache_path(project, kind, question, state, suffix="parquet")
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        staged = path.parent / f".{path.name}.{uuid.uuid4().hex}"
        # No dictionaries: these tables are read back whole by the next question, and their text columns are
        # mostly ids, where a dictionary is pure cost (a funnel's 542k attempts: 0.21 → 0.11 s to write).
        pq.write_table(compute(), staged, use_dictionary=False)
        move_into_place(staged, path)
    return path
