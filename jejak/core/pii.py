"""Normalise e-mails and phone numbers and hash them with a keyed HMAC-SHA256.

A plain hash of an e-mail is not anonymous (anyone can hash a list of
addresses), so identifiers are only ever stored as HMACs under a project key
kept outside the data directory.

Example:
    >>> normalise_phone("0812-3456-7890")
    '+6281234567890'
    >>> normalise_email("  Ana@Example.COM ")
    'ana@example.com'
    >>> normalise_phone("62812****7890") is None, normalise_email("b*****8@gmail.com") is None
    (True, True)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

KEY_BYTES = 32
_NON_DIGITS = re.compile(r"[^0-9]")
INDONESIA_COUNTRY_CODE = "62"


# A number a spreadsheet wrote as a float: `6281234567890.0` is the phone 6281234567890, and `6.28123E+12` has lost
# its last digits (no phone can be read from it).
_WHOLE_FLOAT = re.compile(r"\.0+$")
_EXPONENT = re.compile(r"\d[eE][+-]?\d+$")

# What hides some of an identifier: a marketplace exports a buyer's number as `62812****7890` and an e-mail as
# `b*****8@gmail.com`; a CRM writes `0812xxxx7890` or dots. Read as an identifier, what is left would be another
# person's (`+628127890`), or the same for every buyer whose visible characters agree, who would be merged into one.
# RE2 reads the same patterns (the import's quarantine message says a value is masked).
MASKED_EMAIL_RE = r"[*•●…]"
MASKED_PHONE_RE = r"[*•●…]|[xX]{2}"
_MASKED_EMAIL = re.compile(MASKED_EMAIL_RE)
_MASKED_PHONE = re.compile(MASKED_PHONE_RE)


# An address as a mail's `From` line writes it with its owner's name (`Budi Santoso <budi@example.com>`, as an inbox's
# or a help desk's export gives a sender): the address is what the angle brackets hold.
_NAMED_ADDRESS = re.compile(r"[^<>]*<([^<>]*)>")
# The other ways a name sits beside an address, in parentheses: after it, as older mail writes a `From` line
# (`budi@example.com (Budi Santoso)`), or around it, as some CRMs and forms export a contact (`Budi Santoso
# (budi@example.com)`). The address is whichever side is one.
_PARENTHESISED = re.compile(r"([^()]*)\(([^()]*)\)")
# What an address is, lower-cased: a local part without spaces or the marks that part addresses in a list, one @, and
# a domain of dot-separated labels (letters and digits in any script, hyphens between) ending in a name of letters
# (`example.co.id`, `bücher.de`, `xn--bcher-kva.de`). Anything else (`ana@gmail`, `ana@gmail,com`, two addresses in
# one cell) would hash to an identifier no other source gives: it joins no one, and is no e-mail.
_LABEL = r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?"
_ADDRESS = re.compile(rf"[^\s@<>()\[\],;:\"]+@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,}}|xn--[a-z0-9-]+)")


def normalise_email(raw: str) -> str | None:
    """Lower-case and trim an e-mail (a `mailto:` link's address, without its query or a trailing dot; the address
    a `Name <address>`, `address (Name)` or `Name (address)` gives); None when it is no address (`_ADDRESS`), or is
    masked (`b*****8@gmail.com`).

    Example:
        >>> normalise_email("Budi Santoso <Budi@Kopi.id>"), normalise_email("mailto:ana@example.com?subject=Kopi")
        ('budi@kopi.id', 'ana@example.com')
        >>> normalise_email("budi@kopi.id (Budi)"), normalise_email("Budi Santoso (budi@kopi.id)")
        ('budi@kopi.id', 'budi@kopi.id')
        >>> normalise_email("ana@gmail") is None, normalise_email("ana@example.com; budi@example.com") is None
        (True, True)
    """
    value = raw.strip().lower()
    named = _NAMED_ADDRESS.fullmatch(value)
    if named:
        value = named.group(1).strip()
    beside = _PARENTHESISED.fullmatch(value)
    if beside:
        outside, inside = beside.group(1).strip(), beside.group(2).strip()
        # Exactly one side is an address: `ana@example.com (budi@example.com)` names two, and is none of them.
        sides = [side for side in (outside, inside) if _ADDRESS.fullmatch(side.rstrip("."))]
        if len(sides) == 1:
            value = sides[0]
    if value.startswith("mailto:"):
        value = value.removeprefix("mailto:").split("?", 1)[0]
    value = value.rstrip(".")
    if _MASKED_EMAIL.search(value) or not _ADDRESS.fullmatch(value):
        return None
    return value


def normalise_phone(raw: str, country_code: str = INDONESIA_COUNTRY_CODE) -> str | None:
    """E.164 form (`+62…`) of a phone number; a leading 0 is the national trunk prefix, and so is `(0)` after the
    country code (`+62 (0)812…`). A whole number written as a float loses its `.0`; one in exponent notation is
    no phone (its last digits are gone, and what is left would match other numbers), and so is a masked one
    (`62812****7890`, `0812xxxx7890`)."""
    value = raw.strip()
    if _EXPONENT.search(value) or _MASKED_PHONE.search(value):
        return None
    value = _WHOLE_FLOAT.sub("", value).replace("(0)", "")
    had_plus = value.startswith("+")
    digits = _NON_DIGITS.sub("", value)
    if value.startswith("00"):
        digits, had_plus = digits[2:], True
    if not had_plus:
        if digits.startswith("0"):
            digits = country_code + digits[1:]
        elif not digits.startswith(country_code):
            digits = country_code + digits
    if not 8 <= len(digits) <= 15:
        return None
    return "+" + digits


def hmac_hex(key: bytes, value: str) -> str:
    """Hex HMAC-SHA256 of a normalised identifier."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def erasure_secret(key: bytes) -> str:
    """The secret an erased identifier's key starts from (`erased_key`): derived from the project key, so the key
    itself is never written into a query."""
    return hmac_hex(key, "jejak: erased identifiers")


def erased_key(secret: str, node: str) -> str:
    """What the list of erased identifiers keeps of one identity node (`1u:C0042`, `3e:<e-mail hmac>`): a SHA-256
    of the secret and the node, which DuckDB's `sha256(secret || node)` gives too, so an import can test every row's
    identifiers in one vectorised query (the list never holds an id in clear).

    Example:
        >>> erased_key("s", "1u:ana") == hashlib.sha256(b"s1u:ana").hexdigest()
        True
    """
    return hashlib.sha256((secret + node).encode("utf-8")).hexdigest()


def create_key(path: Path) -> None:
    """Write a new random key readable only by its owner; never overwrites one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES))


def load_key(path: Path) -> bytes:
    """Read the project key (raises FileNotFoundError when init has not made it)."""
    key = path.read_bytes()
    if len(key) < 16:
        raise ValueError(
            f"The key file {path} is too short ({len(key)} bytes); it should hold {KEY_BYTES} random bytes."
        )
    return key
