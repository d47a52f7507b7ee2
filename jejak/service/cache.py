"""Answers kept next to the build they were computed from, so a question asked twice is computed once.

A published build never changes, so an answer computed from it stays right until the next
build, which starts with an empty cache. What else changes an answer is part of the key: the
question, the settings, and the SQLite state a query reads (spend imports, persona documents,
journey-map notes, the imports log). Files live in `<build>/.cache/<kind>-<sha256>.json`, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jejak.store.appstate import connect_state
from jejak.store.derived import current_build
from jejak.store.files import move_into_place
from jejak.store.project import Project

# Answers kept next to a build's tables (hidden from the list of tables).
CACHE_DIR = ".cache"


def state_signature(project: Project) -> list[Any]:
    """What besides the build and the settings changes answers: spend, persona documents, map notes, imports."""
    db = connect_state(project.sqlite_path)
    try:
        spend = db.execute("SELECT COUNT(*), SUM(amount), MAX(imported_at) FROM spend").fetchone()
        personas = db.execute("SELECT COUNT(*), MAX(updated_at) FROM personas").fetchone()
        notes = db.execute("SELECT COUNT(*), MAX(note_id) FROM map_notes").fetchone()
        # Imports (and quarantine re-tries, logged as imports) change the overview's quarantine and freshness.
        imports = db.execute("SELECT COUNT(*), MAX(finished_at) FROM imports").fetchone()
    finally:
        db.close()
    return [list(spend), list(personas), list(notes), list(imports)]


def cache_path(project: Project, kind: str, question: Any) -> Path:
    key_source = json.dumps(
        [kind, question, repr(project.settings), state_signature(project)], default=str, sort_keys=True
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:32]
    return current_build(project) / CACHE_DIR / f"{kind}-{key}.json"


def cached(project: Project, kind: str, question: Any, compute: Callable[[], Any]) -> Any:
    """`compute()`'s JSON-able answer, read from the build's cache when this question was asked before.

    Values JSON cannot hold (dates, timestamps) come back as their text.
    """
    path = cache_path(project, kind, question)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    answer = json.loads(json.dumps(compute(), default=str))
    path.parent.mkdir(exist_ok=True)
    staged = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    staged.write_text(json.dumps(answer), encoding="utf-8")
    move_into_place(staged, path)
    return answer
