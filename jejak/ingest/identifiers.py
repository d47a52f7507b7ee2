"""Hash the distinct e-mails and phones of a chunk with the project key (never stored in clear)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import pyarrow as pa

from jejak.core.pii import hmac_hex, normalise_email, normalise_phone

# What looks like an e-mail; a phone is an international number (+ or 00, then 8-15 digits) or an Indonesian
# mobile (0 8…, 62 8…): dates, amounts and order ids must stay readable in the quarantine.
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_PATTERN = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\d(?:[\s().-]?\d){7,14}|(?:62|0)[\s.-]?8(?:[\s().-]?\d){7,11})(?![\w])"
)
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
    every event (`source_file`, `source_name`): WhatsApp names a chat with a number not saved as a contact after
    that number (`Chat WhatsApp dengan +62 812-3456-7890.txt`). Applied twice, it changes nothing more.

    Example:
        >>> private_text(b"k", "/data/Chat WhatsApp dengan +62 812-3456-7890.txt")
        '/data/Chat WhatsApp dengan phone_223fa3e0d419.txt'
    """

    def hashed(kind: str, normalise: Callable[[str], str | None]) -> Callable[[re.Match[str]], str]:
        def replace(found: re.Match[str]) -> str:
            normalised = normalise(found.group())
            return found.group() if normalised is None else f"{kind}_{hmac_hex(key, normalised)[:12]}"

        return replace

    text = EMAIL_PATTERN.sub(hashed("email", normalise_email), text)
    return PHONE_PATTERN.sub(hashed("phone", normalise_phone), text)


def mask_pii(text: str) -> str:
    """Mask e-mails and phone numbers in a quarantined row's raw text.

    The quarantine keeps the row so it can be fixed, but identifiers are only
    ever stored as HMACs (DESIGN.md §3); the source file still has the originals.

    Example:
        >>> mask_pii('{"email": "Ana@Example.com", "phone": "0812-3456-7890", "total": "150000"}')
        '{"email": "<e-mail removed>", "phone": "<phone removed>", "total": "150000"}'
    """
    return PHONE_PATTERN.sub(MASK_PHONE, EMAIL_PATTERN.sub(MASK_EMAIL, text))
