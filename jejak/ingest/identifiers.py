"""Hash the distinct e-mails and phones of a chunk with the project key (never stored in clear)."""

from __future__ import annotations

import re
from collections.abc import Iterable

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


def mask_pii(text: str) -> str:
    """Mask e-mails and phone numbers in a quarantined row's raw text.

    The quarantine keeps the row so it can be fixed, but identifiers are only
    ever stored as HMACs (DESIGN.md §3); the source file still has the originals.

    Example:
        >>> mask_pii('{"email": "Ana@Example.com", "phone": "0812-3456-7890", "total": "150000"}')
        '{"email": "<e-mail removed>", "phone": "<phone removed>", "total": "150000"}'
    """
    return PHONE_PATTERN.sub(MASK_PHONE, EMAIL_PATTERN.sub(MASK_EMAIL, text))
