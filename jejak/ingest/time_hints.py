"""What to put in the timestamp_formats setting for times an import could not read.

A time that is not ISO-8601 is quarantined as `bad_timestamp`: jejak does not guess whether `01/03/2026` is the
first of March or the third of January. But the shape of the times it could not read says which strptime format
would read them, and often which order their day and month are in (a first number above 12 is a day). This module
turns a few such times into that format, for the import to offer (never to apply) with the command that re-tries
the rows once it is set. One mistyped time (`31/02/2026`) among a file's does not hide the format that reads the rest:
the format offered is the one that reads most of them (more than half), and the hint names what it does not read.

Example:
    >>> hint = suggest_time_format(["24/11/2026 13:05", "01/12/2026 09:00"])
    >>> hint.time_format, hint.example, hint.day_first_assumed, hint.unread
    ('%d/%m/%Y %H:%M', '24/11/2026 13:05', False, ())
    >>> suggest_time_format(["25/11/26 09.15"]).time_format
    '%d/%m/%y %H.%M'
    >>> suggest_time_format(["kemarin 9.00"]) is None
    True
    >>> suggest_time_format(["24/11/2026 13:05", "31/02/2026 09:00", "01/12/2026 09:00"]).unread
    ('31/02/2026 09:00',)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from jejak.ingest.validate import english_months, names_months

# A date of day, month and year numbers in either order (`01/03/2026`, `1-3-2026`, `01.03.2026`, WhatsApp's
# `01/03/26`), or year first (`2026/03/01`, and `2026-03-01` when its time is not ISO); then maybe a time (`09:00`,
# `9:00:05`, `09:00 PM`, or with dots as the Indonesian locale writes it: `09.00`, `09.00.05`).
_NUMBERS_DATE = re.compile(r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})(?!\d)")
_YEAR_FIRST_DATE = re.compile(r"\d{4}(?P<sep>[/-])\d{1,2}(?P=sep)\d{1,2}")
# A month by its name or abbreviation, English or Indonesian: `1 Mar 2026`, `01 March 2026`, `Mar 1, 2026`,
# `25 Agustus 2026`.
_NAMED_DATES = (
    (re.compile(r"\d{1,2} [A-Za-z]{3} \d{4}"), "%d %b %Y"),
    (re.compile(r"\d{1,2} [A-Za-z]{4,9} \d{4}"), "%d %B %Y"),
    (re.compile(r"[A-Za-z]{3} \d{1,2}, \d{4}"), "%b %d, %Y"),
    (re.compile(r"[A-Za-z]{4,9} \d{1,2}, \d{4}"), "%B %d, %Y"),
)
_TIMES = (
    (re.compile(r"\d{1,2}:\d{2}:\d{2} ?[AaPp][Mm]"), "%I:%M:%S %p"),
    (re.compile(r"\d{1,2}:\d{2} ?[AaPp][Mm]"), "%I:%M %p"),
    (re.compile(r"\d{1,2}:\d{2}:\d{2}"), "%H:%M:%S"),
    (re.compile(r"\d{1,2}:\d{2}"), "%H:%M"),
    (re.compile(r"\d{1,2}\.\d{2}\.\d{2}"), "%H.%M.%S"),
    (re.compile(r"\d{1,2}\.\d{2}"), "%H.%M"),
)
_SHOWN_TEXT = re.compile(r'timestamp "(?P<text>.+?)" is not')


@dataclass(frozen=True)
class TimeFormatHint:
    """A strptime format that reads the times, one of them, and whether their day-month order was only assumed
    (every number was 12 or less: day first, as Indonesia writes dates). `unread`: the times looked at that it does
    not read (a date that does not exist, another shape), each once, for the user to correct in the file;
    `times_looked_at` counts all of them."""

    time_format: str
    example: str
    day_first_assumed: bool
    unread: tuple[str, ...] = ()
    times_looked_at: int = 0


def times_of_messages(messages: Sequence[str]) -> list[str]:
    """The times that `bad_timestamp` messages quote (`timestamp "01/03/2026" is not …`)."""
    return [found.group("text") for message in messages if (found := _SHOWN_TEXT.search(message))]


def suggest_time_format(texts: Sequence[str]) -> TimeFormatHint | None:
    """The format that reads most of `texts` (more than half of them), or None when no format jejak knows does.

    Each shape of date and time among them is a candidate, a date of two numbers both ways round; the one that reads
    the most times wins, the first shape seen on a tie. A file with a few impossible dates (`31/02/2026`) or a stray
    text still gets the format its other times are in, and `unread` names the rest. Day first is assumed (and said)
    when month first reads the very same times."""
    stripped = [text.strip() for text in texts]
    candidates: list[str] = []
    for text in stripped:
        found = _date_format(text)
        time_format = _time_format(found[1]) if found else None
        if found is None or time_format is None:
            continue
        shape = found[0] + time_format
        for candidate in (shape, swapped_day_month(shape)) if found[2] != "fixed" else (shape,):
            if candidate not in candidates:
                candidates.append(candidate)
    read_by = {candidate: [_reads(text, candidate) for text in stripped] for candidate in candidates}
    best = max(candidates, key=lambda candidate: sum(read_by[candidate]), default=None)
    if best is None or 2 * sum(read_by[best]) <= len(stripped):
        return None
    reads = read_by[best]
    # A date of numbers is a candidate day first before month first, so a tie went to day first: said as assumed.
    swapped = swapped_day_month(best)
    day_first_assumed = swapped != best and read_by.get(swapped) == reads
    example = next(text for text, read in zip(stripped, reads, strict=True) if read)
    unread = tuple(dict.fromkeys(text for text, read in zip(stripped, reads, strict=True) if not read))
    return TimeFormatHint(best, example, day_first_assumed, unread, len(stripped))


def swapped_day_month(time_format: str) -> str:
    """The format with its day and month codes swapped: `%d/%m/%Y` ↔ `%m/%d/%Y`."""
    return time_format.replace("%d", "%D").replace("%m", "%d").replace("%D", "%m")


def _date_format(text: str) -> tuple[str, str, str] | None:
    """The date's format (day first where numbers are both ways), what follows it, and what its numbers say of their
    order: `day` (a first number above 12), `month` (a second one above 12), `either`, or `fixed` (a year first, a
    month's name)."""
    numbers = _NUMBERS_DATE.match(text)
    if numbers:
        sep = numbers.group("sep")
        first, second = int(numbers.group("a")), int(numbers.group("b"))
        order = "day" if first > 12 else "month" if second > 12 else "either"
        year = "%Y" if len(numbers.group("year")) == 4 else "%y"
        return f"%d{sep}%m{sep}{year}", text[numbers.end() :], order
    year_first = _YEAR_FIRST_DATE.match(text)
    if year_first:
        sep = year_first.group("sep")
        return f"%Y{sep}%m{sep}%d", text[year_first.end() :], "fixed"
    for pattern, date_format in _NAMED_DATES:
        named = pattern.match(text)
        if named:
            return date_format, text[named.end() :], "fixed"
    return None


def _time_format(rest: str) -> str | None:
    """The format of what follows a date: nothing, or a time after a space, a comma or a `T`."""
    if not rest:
        return ""
    separator = re.match(r",? |T", rest)
    if separator is None:
        return None
    time_text = rest[separator.end() :]
    for pattern, time_format in _TIMES:
        if pattern.fullmatch(time_text):
            return separator.group() + time_format
    return None


def _reads(text: str, time_format: str) -> bool:
    """Whether Python's strptime reads `text` with `time_format` (DuckDB's strptime takes the same codes), an
    Indonesian month's name as the import reads it (`validate.english_months`)."""
    try:
        dt.datetime.strptime(english_months(text) if names_months(time_format) else text, time_format)
    except ValueError:
        return False
    return True
