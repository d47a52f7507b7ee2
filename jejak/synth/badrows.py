"""Deliberately bad rows, planted in the mixed-format files so the importer's quarantine can be checked.

Each bad row has exactly one problem, so its quarantine reason is unambiguous,
and identifiers that belong to nobody, so a row wrongly accepted shows up as an
extra person rather than hiding inside a real one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from jejak.synth.kinds import STORE_FILE, WEB_APP_FILE

OVERSIZE_FIELD_CHARACTERS = 100_000  # above the 64 KiB import_max_field_bytes default


@dataclass(frozen=True)
class BadRow:
    """One planted bad row: where it goes, why it must be quarantined, and its content."""

    file: str
    reason: str  # a jejak.core.vocabulary.QUARANTINE_REASONS code
    note: str
    position: float  # share of the file's good rows written before it
    line: bytes = b""  # JSONL rows: the raw line, without its newline
    values: tuple[tuple[str, str | None], ...] = ()  # CSV rows: column -> value


def bad_rows(start: dt.date) -> tuple[BadRow, ...]:
    """The planted bad rows, dated inside the data window."""
    when = f"{start + dt.timedelta(days=10):%Y-%m-%d}T10:15:00+07:00"
    anonymous = "b0000000-0000-4000-8000-00000000000"
    oversize = '{"store":"Braga","catatan":"' + "kopi " * (OVERSIZE_FIELD_CHARACTERS // 5) + '"}'
    return (
        BadRow(
            WEB_APP_FILE,
            "bad_json",
            "a message cut off in the middle (not JSON)",
            0.2,
            line=f'{{"type":"page","messageId":"bad-json-1","anonymousId":"{anonymous}1","timestamp":"{when}","context":{{"page":{{"path":"/"'.encode(),
        ),
        BadRow(
            WEB_APP_FILE,
            "invalid_utf8",
            "a product name with bytes that are not UTF-8",
            0.4,
            line=f'{{"type":"track","messageId":"bad-utf8-1","anonymousId":"{anonymous}2","event":"Product Viewed","properties":{{"name":"Kopi '.encode()
            + b"\xff\xfe"
            + f' Gayo"}},"timestamp":"{when}"}}'.encode(),
        ),
        BadRow(
            WEB_APP_FILE,
            "unknown_type",
            'a message of type "click"',
            0.5,
            line=f'{{"type":"click","messageId":"bad-type-1","anonymousId":"{anonymous}3","event":"Button Clicked","timestamp":"{when}"}}'.encode(),
        ),
        BadRow(
            WEB_APP_FILE,
            "wrong_type",
            'revenue as text: "banyak"',
            0.6,
            line=f'{{"type":"track","messageId":"bad-revenue-1","anonymousId":"{anonymous}4","event":"Order Completed","properties":{{"revenue":"banyak","currency":"IDR"}},"timestamp":"{when}"}}'.encode(),
        ),
        BadRow(
            WEB_APP_FILE,
            "wrong_type",
            "userId as an object",
            0.8,
            line=f'{{"type":"identify","messageId":"bad-userid-1","anonymousId":"{anonymous}5","userId":{{"id":42}},"timestamp":"{when}"}}'.encode(),
        ),
        BadRow(
            STORE_FILE,
            "bad_timestamp",
            'timestamp "kemarin sore" (yesterday afternoon)',
            0.25,
            values=(
                ("timestamp", "kemarin sore"),
                ("type", "offline"),
                ("event", "store_visit"),
                ("phone", "0899-0000-0001"),
                ("source", "store"),
                ("touchpoint", "offline"),
                ("properties", '{"store":"Kemang"}'),
            ),
        ),
        BadRow(
            STORE_FILE,
            "no_identifier",
            "a store visit with neither member id nor phone",
            0.5,
            values=(
                ("timestamp", when),
                ("type", "offline"),
                ("event", "store_visit"),
                ("source", "store"),
                ("touchpoint", "offline"),
                ("properties", '{"store":"Braga"}'),
            ),
        ),
        BadRow(
            STORE_FILE,
            "oversize_field",
            f"a properties field of {len(oversize)} bytes",
            0.75,
            values=(
                ("timestamp", when),
                ("type", "offline"),
                ("event", "store_visit"),
                ("phone", "0899-0000-0003"),
                ("source", "store"),
                ("touchpoint", "offline"),
                ("properties", oversize),
            ),
        ),
        BadRow(
            STORE_FILE,
            "no_event_name",
            "a store visit whose event name was left blank",
            0.9,
            values=(
                ("timestamp", when),
                ("type", "offline"),
                ("event", ""),
                ("phone", "0899-0000-0004"),
                ("source", "store"),
                ("touchpoint", "offline"),
                ("properties", '{"store":"Kemang"}'),
            ),
        ),
    )


def expected_quarantine(rows: tuple[BadRow, ...]) -> dict[str, int]:
    """Rows the importer must quarantine, per reason."""
    return dict(sorted(Counter(row.reason for row in rows).items()))
