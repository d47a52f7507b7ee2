"""WhatsApp's own chat export ("Export chat", without media): a one-to-one chat's `.txt`, read as events.

A shop that sells by WhatsApp has no other record of its chats than this file. Each message becomes one event of
the customer: `wa_chat` when they wrote it, `wa_reply` when the shop did, with `source = whatsapp` and
`medium = chat` (the WhatsApp channel rule). The text itself is not kept: what a journey needs is that a chat
happened, when, and who wrote; its properties say who (`from`), how long it was (`chars`) and whether it was a
photo or a file (`media`).

Who the customer is comes from the file's name, as WhatsApp writes it: `Chat WhatsApp dengan Budi.txt`,
`WhatsApp Chat with +62 812-3456-7890.txt`, or an iPhone's `_chat.txt` inside `WhatsApp Chat - Budi/`. The other
writer is the shop (the phone the chat was exported from). A customer whose name is a phone number (not a saved
contact) is known by that number, hashed as every phone is, so their chats join their orders; one saved under a
name is the anonymous id `whatsapp:NAME`.

Lines look like this, in the phone's language and date settings (Android, then iPhone):

    25/11/26 09.15 - Budi: Halo kak, kopi gayo ready?
    11/25/26, 9:15 PM - Budi: Hello
    [25/11/26 09.15.30] Budi: Halo kak

A line that does not start so continues the message before it; a line with no writer (`Pesan dan panggilan
terenkripsi…`) is WhatsApp's, not a message. Days and months are told apart over the whole file: a first number
above 12 makes it day first, a second one month first; with neither, day first, as Indonesia writes dates. A few
lines that disagree with the rest (a date typed by hand) are quarantined, not a reason to refuse the chat.

Example:
    >>> chat_partner(Path("Chat WhatsApp dengan Budi (1).txt"))
    'Budi'
    >>> _parsed_line("25/11/26 09.15 - Budi: Halo kak")
    ('25/11/26', '09.15', 'Budi: Halo kak')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from jejak.core.errors import InputFileError
from jejak.ingest.archives import read_head
from jejak.ingest.readers import CHUNK_ROWS, RawChunk

WHATSAPP_FORMAT = "whatsapp"
CUSTOMER_EVENT, SHOP_EVENT = "wa_chat", "wa_reply"
# The columns a chat's rows fill: what `importer.open_reader` says is present.
CHAT_COLUMNS = (
    "event_id",
    "type",
    "event",
    "timestamp",
    "anonymous_id",
    "phone",
    "source",
    "medium",
    "touchpoint",
    "properties",
)

# The most of a chat's dates that may disagree with the rest about day or month (a mistyped one is quarantined).
MIXED_DATES_MOST = 0.1
# Marks WhatsApp writes around names and numbers (direction marks, embeddings) and the narrow space before AM/PM.
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b\u200d\ufeff]")
_SPACES = re.compile("[\u00a0\u202f]")
_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
_TIME = r"\d{1,2}[.:]\d{2}(?:[.:]\d{2})?(?:\s?[AaPp]\.?\s?[Mm]\.?)?"
_ANDROID = re.compile(rf"^(?P<date>{_DATE}),?\s(?P<time>{_TIME})\s[-–]\s(?P<rest>.*)$")
# An iPhone's may have a word between date and time (Finnish `klo`).
_IPHONE = re.compile(rf"^\[(?P<date>{_DATE}),?\s(?:[^\W\d]+\s)?(?P<time>{_TIME})\]\s(?P<rest>.*)$")
_NAMED_CHAT = re.compile(
    r"^(?:whatsapp chat with|chat whatsapp dengan|whatsapp chat -|chat whatsapp -|percakapan whatsapp dengan)\s*"
    r"(?P<name>.+?)(?:\s\(\d+\))?$",
    re.IGNORECASE,
)
_MEDIA = re.compile(r"^<[^<>]+>$|\b(omitted|tidak disertakan|file attached|file terlampir)\b", re.IGNORECASE)
# A writer known by number: + and digits with spaces, hyphens and brackets, at least eight digits.
_PHONE_NAME = re.compile(r"^\+?[\d\s()-]+$")
_SNIFF_BYTES = 64 * 1024


def _clean(line: str) -> str:
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).rstrip("\r\n")


def _parsed_line(line: str) -> tuple[str, str, str] | None:
    """A message line's date, time and the rest (`Writer: text`, or WhatsApp's own notice); None for a line that
    continues the message before it."""
    found = _ANDROID.match(line) or _IPHONE.match(line)
    return (found.group("date"), found.group("time"), found.group("rest")) if found else None


def is_whatsapp_chat(path: Path) -> bool:
    """Whether a `.txt` file (on disk or in a zip archive) starts as a WhatsApp chat export: its first line that is
    not blank is a message."""
    text = read_head(path, _SNIFF_BYTES).decode("utf-8", errors="replace").removeprefix("\ufeff")
    first = next((_clean(line) for line in text.splitlines() if _clean(line).strip()), "")
    return _parsed_line(first) is not None


def chat_partner(path: Path) -> str | None:
    """The customer WhatsApp names the export after (`Chat WhatsApp dengan Budi.txt`; an iPhone's `_chat.txt` in
    `WhatsApp Chat - Budi/`), or None."""
    for name in (path.stem, path.parent.name):
        found = _NAMED_CHAT.match(_clean(name).strip())
        if found:
            return found.group("name").strip()
    return None


@dataclass
class _Message:
    line: int
    date: str
    time: str
    writer: str
    text: str


def _messages(path: Path) -> Iterator[_Message]:
    """Each message of the chat with the line it starts on; WhatsApp's notices (no writer) are left out."""
    current: _Message | None = None
    # Text mode splits lines at \n and \r only (not at the Unicode separators a message may hold), endings kept.
    with path.open(encoding="utf-8", errors="replace", newline="") as reader:
        for number, raw in enumerate(reader, start=1):
            line = _clean(raw.removeprefix("\ufeff") if number == 1 else raw)
            parsed = _parsed_line(line)
            if parsed is None:
                if current is not None:
                    current.text += "\n" + line
                continue
            if current is not None:
                yield current
            date, time, rest = parsed
            writer, colon, text = rest.partition(": ")
            current = _Message(number, date, time, writer.strip(), text) if colon else None
    if current is not None:
        yield current


def _day_first(messages: Sequence[_Message], path: Path) -> bool:
    """Whether the chat's dates are day first, by the lines that tell: a first number above 12 says day first, a
    second one month first. Neither: day first, as Indonesia writes dates.

    A line whose both numbers are above 12 is no day either way and tells nothing (it is quarantined, as a date
    of the other order is once the chat's is known): one mistyped date must not refuse the whole chat. Lines that
    disagree refuse it only when the fewer are more than MIXED_DATES_MOST of those that tell, as two exports from
    phones set differently, pasted together, would: then even the lines that tell nothing would be misread.
    """
    day_lines: list[int] = []
    month_lines: list[int] = []
    for message in messages:
        numbers = re.split(r"[./-]", message.date)
        if len(numbers[0]) < 3:
            first, second = int(numbers[0]), int(numbers[1])
            if first > 12 >= second:
                day_lines.append(message.line)
            elif second > 12 >= first:
                month_lines.append(message.line)
    fewer = min(len(day_lines), len(month_lines))
    if fewer > MIXED_DATES_MOST * (len(day_lines) + len(month_lines)):
        raise InputFileError(
            f"{path}: {len(day_lines)} of its lines write the day first (line {day_lines[0]}) and {len(month_lines)} "
            f"the month first (line {month_lines[0]}), so the dates of the others cannot be read. Is it one "
            "WhatsApp export, unchanged? Import each phone's export as its own file."
        )
    # More lines day first (or as many): day first. The lines of the other order are then no day, and quarantined.
    return len(day_lines) >= len(month_lines)


def _iso_time(date: str, time: str, day_first: bool) -> str | None:
    """`2026-11-25T09:15:00` for a message's date and time, or None when they are no time of the calendar."""
    parts = re.split(r"[./-]", date)
    numbers = [int(n) for n in parts]
    if len(parts[0]) > 2:
        year, month, day = numbers
    else:
        day, month, year = numbers if day_first else (numbers[1], numbers[0], numbers[2])
        year += 2000 if year < 100 else 0
    clock = re.match(r"(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?\s?(?:([AaPp])\.?\s?[Mm]\.?)?$", time)
    if clock is None:
        return None
    hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
    half = (clock.group(4) or "").lower()
    if half and not 1 <= hour <= 12:
        return None
    hour = hour % 12 + (12 if half == "p" else 0) if half else hour
    try:
        return dt.datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None


def _customer(path: Path, writers: Counter[str]) -> str:
    """The chat's customer: the person the file is named after, when at most one other writes (the shop)."""
    partner = chat_partner(path)
    if partner is None:
        raise InputFileError(
            f"{path}: a WhatsApp chat, but its name does not say whose: WhatsApp names an export after the other "
            'person ("Chat WhatsApp dengan Budi.txt", "WhatsApp Chat with Budi.txt"). Rename the file so, with the '
            f"customer's name as its messages write it (writers: {', '.join(sorted(writers))})."
        )
    others = sorted(set(writers) - {partner})
    if len(others) > 1:
        raise InputFileError(
            f"{path}: {len(others) + (partner in writers)} people write in this chat ({', '.join(sorted(writers))}): "
            "a group chat. jejak reads one-to-one chats, whose every message is between the shop and one customer."
        )
    return partner


def _event_id(customer: str, moment: str, writer: str, text: str, seen: int) -> str:
    """The same message gets the same id in every export of the chat (a later export repeats the earlier one's)."""
    key = "\x1f".join([customer, moment, writer, text, str(seen)])
    return "wa:" + hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()


def read_whatsapp_chunks(path: Path) -> Iterator[RawChunk]:
    """A chat export's messages as raw chunks of CHAT_COLUMNS (see the module docstring). The file is read, and
    whose chat it is decided, before this returns: a file that cannot be read fails here, not halfway."""
    messages = list(_messages(path))
    if not messages:
        raise InputFileError(f"{path}: a WhatsApp chat export with no message in it. Is it the whole export?")
    customer = _customer(path, Counter(message.writer for message in messages))
    return _chat_chunks(path, messages, customer, _day_first(messages, path))


def _chat_chunks(path: Path, messages: Sequence[_Message], customer: str, day_first: bool) -> Iterator[RawChunk]:
    by_number = bool(_PHONE_NAME.match(customer)) and sum(ch.isdigit() for ch in customer) >= 8
    size = max(path.stat().st_size, 1)
    seen: Counter[tuple[str, str, str]] = Counter()
    rows: list[dict[str, object]] = []
    for index, message in enumerate(messages, start=1):
        moment = _iso_time(message.date, message.time, day_first)
        written = f"{message.date} {message.time}"
        key = (moment or written, message.writer, message.text)
        seen[key] += 1
        from_customer = message.writer == customer
        rows.append(
            {
                "_line": message.line,
                "_raw": None,
                "event_id": _event_id(customer, key[0], message.writer, message.text, seen[key]),
                "type": "track",
                "event": CUSTOMER_EVENT if from_customer else SHOP_EVENT,
                # A date that is no day of the calendar (31/02) is left as written, for the quarantine to show.
                "timestamp": moment or written,
                "anonymous_id": None if by_number else f"whatsapp:{customer}",
                "phone": customer if by_number else None,
                "source": "whatsapp",
                "medium": "chat",
                "touchpoint": "online",
                "properties": json.dumps(
                    {
                        "from": "customer" if from_customer else "shop",
                        "chars": len(message.text),
                        "media": bool(_MEDIA.search(message.text)),
                    }
                ),
            }
        )
        if len(rows) >= CHUNK_ROWS or index == len(messages):
            yield RawChunk(_chunk(rows), [], size if index == len(messages) else size * index // len(messages))
            rows = []


def _chunk(rows: list[dict[str, object]]) -> pa.Table:
    schema = pa.schema([("_line", pa.int64()), ("_raw", pa.string()), *((name, pa.string()) for name in CHAT_COLUMNS)])
    return pa.Table.from_pylist(rows, schema=schema)
