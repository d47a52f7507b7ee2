"""JSON text from files and users, parsed without letting its shape crash the command.

Python's `json` parses nested arrays and objects by recursion: a line nested a thousand deep
(`{"a":{"a":…}}`) raises RecursionError, which is no ValueError, so every `except ValueError`
around a parse let it through and the import stopped as a bug. `loads` turns it into the
ValueError the callers already handle (a row that is no JSON jejak can read).
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes) -> Any:
    """`json.loads`, raising ValueError for JSON nested too deeply to parse, as for JSON that is not JSON."""
    try:
        return json.loads(text)
    except RecursionError as error:
        raise ValueError("the JSON is nested too deeply to read (arrays or objects inside each other)") from error
