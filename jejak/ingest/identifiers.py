"""E-mails and phone numbers, never stored in clear: the identifier columns' values hashed with the project key, and
any found in the rest of an event (a page URL's `?email=`, a property, a survey's comment) replaced by a keyed
token."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from jejak.core.jsontext import loads
from jejak.core.pii import hmac_hex, normalise_email, normalise_phone

# What looks like an e-mail; a phone is an international number (+ or 00, then 8-15 digits) or an Indonesian
# mobile (0 8…, 62 8…): dates, amounts and order ids must stay readable in the quarantine.
# An `@` written `%40`, as in a URL's query (`?email=ana%40example.com`), is an e-mail's too.
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Its digits are ASCII (a phone is hashed from them), its separators any space `str.isspace` knows (a number pasted
# from a chat holds no-break spaces): spelled once for Python and once for RE2, whose `\s` is ASCII. No country
# code starts with 0, so `00012345678` (an invoice's serial) is no number abroad.
_PHONE = r"(?:(?:\+|00)[1-9](?:[{space}().-]?[0-9]){{7,14}}|(?:62|0)[{space}.-]?8(?:[{space}().-]?[0-9]){{7,11}})"
PHONE_PATTERN = re.compile(r"(?<![\w+])" + _PHONE.format(space=r"\s") + r"(?![\w])")
_RE2_SPACE = r"\s\v\p{Z}\x{1C}-\x{1F}\x{85}"
MASK_EMAIL = "<e-mail removed>"
MASK_PHONE = "<phone removed>"

PII_MAP_SCHEMA = pa.schema([("kind", pa.string()), ("raw", pa.string()), ("hash", pa.string())])


def pii_map(key: bytes, emails: Iterable[str], phones: Iterable[str]) -> pa.Table:
    """A (kind, raw, hash) table; values that do not normalise get no hash."""
    kinds: list[str] = []
    raws: list[str] = []
    hashes: list[str | None] = []
    for kind, values, normalise in (("email", emails, normalise_email), ("phone", phones, normalise_phone)):
        for raw in values:
            normalised = normalise(raw)
            kinds.append(kind)
            raws.append(raw)
            hashes.append(hmac_hex(key, normalised) if normalised else None)
    return pa.table({"kind": kinds, "raw": raws, "hash": hashes}, schema=PII_MAP_SCHEMA)


def private_text(key: bytes, text: str) -> str:
    """`text` with each e-mail and phone number in it replaced by the start of its keyed hash (`phone_1a2b3c4d5e6f`):
    one number gives one name, and nobody without the key can tell which. For the file names the lake keeps with
    every event (`source_file`, `source_name`: WhatsApp names a chat with a number not saved as a contact after that
    number, `Chat WhatsApp dengan +62 812-3456-7890.txt`) and for an event's own text (`redact_events`). Applied
    twice, it changes nothing more.

    Example:
        >>> private_text(b"k", "/data/Chat WhatsApp dengan +62 812-3456-7890.txt")
        '/data/Chat WhatsApp dengan phone_223fa3e0d419.txt'
    """
    text = EMAIL_PATTERN.sub(lambda found: _token(key, "email", found.group()) or found.group(), text)
    return PHONE_PATTERN.sub(lambda found: _token(key, "phone", found.group()) or found.group(), text)


def _hash_of(key: bytes, kind: str, raw: str) -> str | None:
    """The keyed hash an e-mail (`%40` read as `@`) or a phone number is stored as, or None if it does not normalise."""
    normalised = normalise_email(raw.replace("%40", "@")) if kind == "email" else normalise_phone(raw)
    return None if normalised is None else hmac_hex(key, normalised)


def _token(key: bytes, kind: str, raw: str) -> str | None:
    digest = _hash_of(key, kind, raw)
    if digest is None and kind == "email":
        # Text EMAIL_PATTERN finds that is no address (`ana@example..com`) is still someone's: its own text is hashed,
        # so it is neither kept in clear nor one token with every other such text (a user_id of it stays its own).
        digest = hmac_hex(key, raw.replace("%40", "@").strip().lower())
    return None if digest is None else f"{kind}_{digest[:12]}"


# What `redact_events` reads: an identifier column holding a whole e-mail or phone (a shop's customer id is often
# the buyer's number) is tokenised and fills the hash column when that is empty, so the person is still joined by it.
REDACTED_IDS = ("user_id", "anonymous_id", "previous_id")
REDACTED_TEXT = (
    "event", "source", "medium", "campaign", "term", "content", "referrer", "page_url", "page_path", "page_title",
    "channel", "touchpoint",
)  # fmt: skip
REDACTED_JSON = ("properties", "context", "traits")
# RE2 (DuckDB's regular expressions, which have no look-around): true for every text `private_text` would change
# (the patterns above without their look-arounds), and for a little more, so that only the rows it picks are read
# in Python.
PII_CANDIDATE_RE2 = "@|%40|" + _PHONE.format(space=_RE2_SPACE)


def _private_value(key: bytes, value: Any) -> Any:
    """A JSON value with every e-mail and phone in its strings replaced (`private_text`), and a number that is a
    whole phone number (`6281234567890`) replaced by its token. Keys are left as they are."""
    if isinstance(value, str):
        return private_text(key, value)
    if isinstance(value, dict):
        return {name: _private_value(key, item) for name, item in value.items()}
    if isinstance(value, list):
        return [_private_value(key, item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and PHONE_PATTERN.fullmatch(str(value)):
        return _token(key, "phone", str(value)) or value
    return value


def private_json(key: bytes, text: str) -> str:
    """A JSON column's text (properties, context, traits) with its e-mails and phones replaced (`_private_value`), as
    compact JSON; unchanged when nothing was found."""
    try:
        parsed = loads(text)
    except ValueError:  # not JSON after all: its text is replaced as text
        return private_text(key, text)
    replaced = _private_value(key, parsed)
    if replaced == parsed:
        return text
    try:
        return json.dumps(replaced, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a number past a float's range (1e400) read as infinity, which JSON cannot write back
        as_text = private_text(key, text)
        return as_text if _is_json(as_text) else text


def _is_json(text: str) -> bool:
    try:
        loads(text)
    except ValueError:
        return False
    return True


def redact_events(key: bytes, rows: pa.Table) -> pa.Table:
    """Events (any of the REDACTED_* columns, with `email_hash` and `phone_hash`) with no e-mail or phone left in
    clear: see `private_text`, `private_json` and REDACTED_IDS."""
    columns: dict[str, list[Any]] = {name: rows.column(name).to_pylist() for name in rows.column_names}
    for name in REDACTED_TEXT:
        if name in columns:
            columns[name] = [value if value is None else private_text(key, value) for value in columns[name]]
    for name in REDACTED_JSON:
        if name in columns:
            columns[name] = [value if value is None else private_json(key, value) for value in columns[name]]
    for name in REDACTED_IDS:
        if name in columns:
            columns[name] = [_private_id(key, value, row, columns) for row, value in enumerate(columns[name])]
    return pa.table({name: pa.array(values, rows.schema.field(name).type) for name, values in columns.items()})


def _private_id(key: bytes, value: str | None, row: int, columns: Mapping[str, list[Any]]) -> str | None:
    """An id with its e-mails and phones replaced; a whole e-mail or phone also fills the row's empty hash column."""
    if value is None:
        return None
    for kind, pattern in (("email", EMAIL_PATTERN), ("phone", PHONE_PATTERN)):
        hash_column = f"{kind}_hash"
        if pattern.fullmatch(value.strip()) and hash_column in columns and columns[hash_column][row] is None:
            columns[hash_column][row] = _hash_of(key, kind, value.strip())
    return private_text(key, value)


def mask_pii(text: str) -> str:
    """Mask e-mails and phone numbers in a quarantined row's raw text.

    The quarantine keeps the row so it can be fixed, but identifiers are only
    ever stored as HMACs (DESIGN.md §3); the source file still has the originals.

    Example:
        >>> mask_pii('{"email": "Ana@Example.com", "phone": "0812-3456-7890", "total": "150000"}')
        '{"email": "<e-mail removed>", "phone": "<phone removed>", "total": "150000"}'
    """
    return PHONE_PATTERN.sub(MASK_PHONE, EMAIL_PATTERN.sub(MASK_EMAIL, text))
