"""Hash the distinct e-mails and phones of a chunk with the project key (never stored in clear)."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from jejak.core.pii import hmac_hex, normalise_email, normalise_phone

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
