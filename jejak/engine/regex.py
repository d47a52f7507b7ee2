"""Whether a regex compiles in RE2, DuckDB's regex engine, as DuckDB itself says.

A regex from `jejak.toml` is checked with Python's `re` and with RE2 before any work: each accepts some the
other refuses. Python reads `a++` (possessive), `\\Z` and `a{5000}`; RE2 refuses them, and a repetition whose
count, nested, passes 1000 (`(a{100}){100}`). Asking DuckDB is exact where a list of those would lag its RE2.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_checker_lock = threading.Lock()
_checker: list[Any] = []  # the one in-memory DuckDB connection that checks, opened at the first check


@lru_cache(maxsize=1024)
def re2_problem(pattern: str) -> str | None:
    """What RE2 says of a regex it cannot compile (`bad repetition operator: ++`), or None when it compiles.

    Example:
        >>> re2_problem("^(wa|whatsapp)$") is None
        True
        >>> re2_problem("a++")
        'bad repetition operator: ++'
    """
    import duckdb

    # A connection of its own, in memory, opened once (about 30 ms) and shared under a lock: the check runs before
    # any engine is open, from any thread, once per pattern of a jejak.toml that may hold dozens.
    with _checker_lock:
        if not _checker:
            _checker.append(duckdb.connect())
        try:
            _checker[0].execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.InvalidInputException as error:
            return str(error).removeprefix("Invalid Input Error: ")
    return None
