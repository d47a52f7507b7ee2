"""JSON files that are not JSON Lines: one JSON document, or JSON values spread over lines, read as JSON Lines.

The JSON Lines reader takes one Segment message a line. A file saved another way was read a line at a time all the
same, and every line of it quarantined: a pretty-printed array of 300 messages became some 9,000 `bad_json` rows, and
a JSON file that holds no events at all (a settings or results file picked up with a folder's files) filled the
quarantine with its lines. Now, before the lines are read:

- a JSON array (`[{…}, {…}]`, on one line or pretty-printed) is its elements, one a line;
- JSON values one after another over several lines (`jq '.[]' events.json` without `-c`, a pretty-printed message)
  are each one line;
- a Segment batch (`{"batch": [{…}, …], "context": {…}}`, what its HTTP API's `/v1/batch` takes), pretty-printed or
  compact, one or one a line, is its messages, each with the batch's `context` under its own, as Segment merges it;
- a JSON object that is none of these and no event (no `type`, `event`, `userId`, `anonymousId`, `messageId` or
  `timestamp`) stops the import of that file with a message that names its keys: nothing is stored or quarantined.

The copy written has an element or value a line, so the quarantine's `line N` of such a file is its Nth value.
A value that is no JSON (a broken element, a cut download) is copied as its text, for the reader to quarantine, and
reading goes on at the next element. Matomo's visits (an array too) are read by `matomo`, before this.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jejak.core.errors import InputFileError
from jejak.core.jsontext import loads

READ_CHARS = 1 << 20
# No value is longer: text that is no JSON this far on is a broken value, not one read in part (and the reader's
# memory stays bounded when a file is broken early).
LONGEST_VALUE_CHARS = 64 << 20
DETECT_BYTES = 64 * 1024
# Where the next element of an array may begin after a broken one: an object after the end of one.
_ELEMENT_START = re.compile(r"(?<=\})[\s,]*(?=\{)")
# What makes a JSON object an event (a Segment message, or a row in jejak's own columns).
EVENT_KEYS = ("type", "event", "userId", "anonymousId", "messageId", "timestamp", "user_id", "anonymous_id")
# How a file that is no JSON Lines is laid out (`document_kind`).
VALUES = "values"  # an array's elements, or values one after another over lines
NOT_EVENTS = "not events"


class Unread:
    """A stretch of a file that is no JSON (a broken value, the rest of a cut download), kept as text."""

    def __init__(self, text: str) -> None:
        self.text = text


def file_start(path: Path) -> str:
    """The file's first DETECT_BYTES as text, without a byte-order mark or white space around; empty if unreadable."""
    try:
        with path.open("rb") as handle:
            return handle.read(DETECT_BYTES).decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    except OSError:
        return ""


def json_values(path: Path, resume: re.Pattern[str] = _ELEMENT_START) -> Iterator[Any]:
    """Each element of a JSON array (or each of the JSON values one after another), read a chunk at a time: an export
    of a year of visits is one line of hundreds of megabytes. A value that is no JSON is given as its text (`Unread`)
    up to where `resume` finds the next one may begin, and reading goes on from there."""
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        buffer, position, ended = "", 0, False

        def more() -> bool:
            nonlocal buffer, position, ended
            chunk = handle.read(READ_CHARS)
            buffer, position, ended = buffer[position:] + chunk, 0, not chunk
            return bool(chunk)

        def skip(separators: str) -> None:
            nonlocal position
            while True:
                while position < len(buffer) and buffer[position] in separators:
                    position += 1
                if position < len(buffer) or not more():
                    return

        skip(" \t\r\n")
        in_array = buffer[position : position + 1] == "["
        if in_array:
            position += 1
        while True:
            skip(" \t\r\n," if in_array else " \t\r\n")
            if position >= len(buffer) or (in_array and buffer[position] == "]"):
                return
            try:
                value, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                began = position
                if not ended and len(buffer) - position <= LONGEST_VALUE_CHARS and more():
                    continue  # a value read in part
                broken_at = error.pos - (began - position)  # `more` drops what was before the value, even at the end
            except RecursionError:  # nested past Python's parser (`core.jsontext`): its end cannot be found
                broken_at = position + 1
            else:
                position = end
                yield value
                continue
            # A broken value, or the rest of a cut download: its text up to the next value's start, if there is one.
            resumed = resume.search(buffer, max(broken_at, position + 1))
            if resumed is None:
                yield Unread(buffer[position:])
                position = len(buffer)
                continue
            yield Unread(buffer[position : resumed.start()].rstrip(" \t\r\n,"))
            position = resumed.start()


def document_kind(path: Path) -> str | None:
    """How a `.json`/`.jsonl` file is laid out: None for JSON Lines (its first line is one whole value, or no JSON:
    a broken line is the reader's to quarantine), VALUES for an array, values spread over lines or Segment batches,
    NOT_EVENTS for one object that is no event and no batch."""
    start = file_start(path)
    if start.startswith("["):
        return VALUES
    if not start.startswith("{"):
        return None
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            lines = (line for line in handle if line.strip())
            first_line, more = next(lines, ""), next(lines, None) is not None
        whole = loads(first_line)
    except (OSError, ValueError):
        pass
    else:  # JSON Lines, unless its lines are batches (as sent, compact), or it is one line that is no event
        if isinstance(whole, dict) and isinstance(whole.get("batch"), list):
            return VALUES
        if isinstance(whole, dict) and not more and not any(key in whole for key in EVENT_KEYS):
            return NOT_EVENTS
        return None
    first = next(json_values(path), None)
    if not isinstance(first, dict):
        return None  # the first line is a broken message: JSON Lines, quarantined line by line
    if isinstance(first.get("batch"), list) or any(key in first for key in EVENT_KEYS):
        return VALUES
    return NOT_EVENTS


def not_events_error(path: Path, shown: Path | None = None) -> InputFileError:
    """What to say of a JSON file that holds one object that is no event (`document_kind`'s NOT_EVENTS)."""
    first = next(json_values(path), None)
    names = list(first) if isinstance(first, dict) else []
    keys = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
    return InputFileError(
        f"{shown or path} is one JSON object (keys: {keys}), not events: nothing was stored. jejak reads JSON Lines "
        '(one Segment message a line), a JSON array of messages, or a Segment batch ({"batch": […]}); an export '
        "of events from another tool is one of these. Leave this file out of the import."
    )


def rewrite_as_lines(path: Path, directory: Path) -> Path:
    """`path`'s values (`json_values`), one a line, into `directory` under its own name; a Segment batch's messages
    each on a line of their own, with the batch's `context` under theirs."""
    target = directory / path.name
    with target.open("w", encoding="utf-8") as written:
        for value in json_values(path):
            if isinstance(value, Unread):
                written.write(value.text.replace("\r", " ").replace("\n", " ") + "\n")
                continue
            for message in _messages(value):
                written.write(json.dumps(message, ensure_ascii=False) + "\n")
    return target


def _messages(value: Any) -> list[Any]:
    """A value as the lines it becomes: a Segment batch's messages, else the value itself."""
    if not (isinstance(value, dict) and isinstance(value.get("batch"), list)):
        return [value]
    shared = value.get("context")
    if not isinstance(shared, dict):
        return list(value["batch"])
    return [_with_context(message, shared) for message in value["batch"]]


def _with_context(message: Any, shared: dict[str, Any]) -> Any:
    """A batch's message with the batch's `context` under its own (its own fields win); a message that is no object,
    or whose context is no object, as it is (the reader says what is wrong with it)."""
    if not isinstance(message, dict):
        return message
    own = message.get("context")
    if own is not None and not isinstance(own, dict):
        return message
    return {**message, "context": {**shared, **(own or {})}}
