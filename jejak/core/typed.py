"""What a person typed (an option, a setting, a form field), checked where Python's own checks let it through.

- `str.isdigit` says yes to `²` and to a number of 5,000 digits; `int` then refuses the first (and any
  text past 4,300 digits), and SQLite refuses a number past 64 bits: each stopped a command or a page as
  a bug. `whole_number` reads only what all three take.
- A NUL character (`\\x00`, which TOML's `"\\u0000"` and JSON's escapes can write) ends a text in
  DuckDB's SQL parser: a conversion event holding one in jejak.toml stopped each build as a bug. The
  engine's compiler now writes such a literal from pieces (`engine.connect`), but jejak's own SQL text
  (the importer's, with a profile's values in it) is written by hand, and a NUL typed is never meant:
  `check_no_nul` refuses it where it is typed, naming where.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from jejak.core.errors import SettingError

# The largest whole number typed where nothing else bounds it (a setting without a maximum of its own, lines to
# skip), 2**31 - 1: past it a count of seconds, touches or lines is no longer a choice but an overflow (a session gap
# of 10**20 s stopped the build, and 10**20 lines to skip were more than Python's slices count).
TYPED_WHOLE_MOST = 2_147_483_647

# At most 18 ASCII digits: every such number fits SQLite's (and DuckDB's BIGINT's) 64 bits.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
NUL = "\x00"


def whole_number(text: str) -> int | None:
    """`text` as a whole number when it is 1 to 18 ASCII digits (a number 64 bits hold), else None.

    Example:
        >>> whole_number("42"), whole_number("²"), whole_number("9" * 19), whole_number("-1"), whole_number(" 7")
        (42, None, None, None, None)
    """
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


def shown(text: str, most: int = 80) -> str:
    """`text` as a message shows it: whole when short, else its start and end and how long it is.

    Example:
        >>> shown("a" * 5000, most=20)
        'aaaaaaaaaaaaaaa…aaaaa (5,000 characters)'
    """
    if len(text) <= most:
        return text
    end = most // 4
    return f"{text[: most - end]}…{text[-end:]} ({len(text):,} characters)"


def check_no_nul(text: str, what: str) -> str:
    """`text`, or a SettingError naming `what` when it holds a NUL character.

    Example:
        >>> check_no_nul("Order Completed", "conversion_events")
        'Order Completed'
    """
    if NUL in text:
        raise SettingError(
            f"{what} holds a NUL character (\\x00, at character {text.index(NUL) + 1} of {shown(text)!r}), which no name or "
            "value in jejak may hold. Remove it."
        )
    return text


def check_no_nul_inside(value: Any, where: str) -> None:
    """Every text in a parsed file's tables and lists (keys too) has no NUL character; the error names its key path.

    Example:
        >>> try:
        ...     check_no_nul_inside({"settings": {"conversion_events": ["Order\\x00"]}}, "jejak.toml")
        ... except SettingError as error:
        ...     print(error.message.split(" (")[0])
        jejak.toml settings.conversion_events[1] holds a NUL character
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:  # a loop, not recursion: a parsed file may be nested deeper than Python recurses
        path, item = stack.pop()
        if isinstance(item, str):
            check_no_nul(item, f"{where} {path}".rstrip())
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                named = f"{path}.{key}" if path else str(key)
                check_no_nul(str(key), f"{where} {named} (the key)")
                stack.append((named, inner))
        elif isinstance(item, Sequence) and not isinstance(item, bytes):
            stack.extend((f"{path}[{place}]", inner) for place, inner in enumerate(item, start=1))
