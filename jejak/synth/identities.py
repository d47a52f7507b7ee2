"""Who each synthetic person is: phone, e-mail, account and loyalty ids, written the messy ways people write them.

Every identifier comes from a keyed bijection of the person's number, so two
people never share one by accident; the only shared identifier is the shop's own
phone, planted on purpose (catalogue.SHOP_PHONE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jejak.synth import text
from jejak.synth.catalogue import EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, MARKETPLACES

IntArray = npt.NDArray[np.int64]

# How people and systems write the same Indonesian mobile number.
PHONE_FORMATS: tuple[str, ...] = (
    "0812-3456-7890",
    "+62 812-3456-7890",
    "6281234567890",
    "081234567890",
    "+62 812 3456 7890",
)
PHONE_FORMAT_WEIGHTS = (0.35, 0.15, 0.15, 0.25, 0.10)
EMAIL_CASES: tuple[str, ...] = ("lower", "Title", "UPPER")
EMAIL_CASE_WEIGHTS = (0.6, 0.3, 0.1)
_OPERATOR_PREFIXES = np.array([811, 812, 813, 821, 822, 852, 853, 857, 858, 877, 878, 895, 896], dtype=np.int64)


def _coprime_multiplier(modulus: int, seed_value: int) -> int:
    """A multiplier coprime to the modulus, so that p -> (p * a + b) mod m is a bijection."""
    candidate = (seed_value % modulus) | 1
    while math.gcd(candidate, modulus) != 1:
        candidate += 2
    return candidate


def _bijection(values: IntArray, modulus: int, key: int) -> IntArray:
    """Distinct values below the modulus map to distinct, scattered values below it."""
    if modulus > 3 * 10**9:
        raise ValueError(f"Bijection modulus {modulus} is too large for int64 arithmetic.")
    multiplier = _coprime_multiplier(modulus, (key * 2654435761) % modulus + modulus // 3)
    offset = key % modulus
    # values < modulus and multiplier < modulus <= 3e9 keep the product below 2**63.
    return (values.astype(np.int64) % modulus * multiplier + offset) % modulus


@dataclass(frozen=True)
class Identities:
    """The identifiers of every person; strings are rendered on demand for the rows that need them."""

    key: int
    phone_digits: IntArray  # national significant number, 11 digits starting with 8 (0812... without the 0)
    first_name: IntArray
    last_name: IntArray
    email_domain: IntArray
    email_number: IntArray

    def user_ids(self, people: IntArray) -> Any:
        """Web-shop account ids, e.g. `u-3f9a...`."""
        return text.hex_ids("u-", text.mix64(people.astype(np.uint64), self.key))

    def buyer_ids(self, people: IntArray, marketplace: IntArray) -> Any:
        """Marketplace buyer ids, e.g. `tokopedia:482019374`."""
        numbers = _bijection(people, 10**9, self.key + 11)
        prefix = text.pick(text.vocabulary([f"{m}:" for m in MARKETPLACES]), marketplace)
        return text.concat(prefix, text.zero_padded(numbers, 9))

    def member_ids(self, people: IntArray) -> Any:
        """Loyalty-card ids, e.g. `member:KJ04829173`."""
        return text.concat("member:KJ", text.zero_padded(_bijection(people, 10**8, self.key + 13), 8))

    def phones(self, people: IntArray, formats: IntArray) -> Any:
        """The person's phone written in the given PHONE_FORMATS."""
        digits = text.digit_chars(self.phone_digits[people], 11)
        rendered = [text.fixed_width(_phone_chars(digits, f)) for f in range(len(PHONE_FORMATS))]
        return pc.choose(pa.array(formats.astype(np.int8)), *rendered)

    def normalised_phones(self, people: IntArray) -> Any:
        """E.164 form, as jejak.core.pii.normalise_phone gives it."""
        return text.concat("+62", text.zero_padded(self.phone_digits[people], 11))

    def emails(self, people: IntArray, cases: IntArray) -> Any:
        """The person's e-mail in the given EMAIL_CASES."""
        lower = self.normalised_emails(people)
        return pc.choose(pa.array(cases.astype(np.int8)), lower, pc.utf8_title(lower), pc.utf8_upper(lower))

    def normalised_emails(self, people: IntArray) -> Any:
        """Lower-case e-mail, as jejak.core.pii.normalise_email gives it."""
        first = text.pick(text.vocabulary([n.lower() for n in FIRST_NAMES]), self.first_name[people])
        last = text.pick(text.vocabulary([n.lower() for n in LAST_NAMES]), self.last_name[people])
        domain = text.pick(text.vocabulary(EMAIL_DOMAINS), self.email_domain[people])
        number = text.numbers(self.email_number[people])
        return text.concat(first, ".", last, number, "@", domain)

    def names(self, people: IntArray) -> Any:
        """Full names for identify traits, e.g. `Budi Santoso`."""
        first = text.pick(text.vocabulary(FIRST_NAMES), self.first_name[people])
        last = text.pick(text.vocabulary(LAST_NAMES), self.last_name[people])
        return text.concat(first, " ", last)


def _phone_chars(digits: npt.NDArray[np.uint8], style: int) -> npt.NDArray[np.uint8]:
    rows = digits.shape[0]

    def lit(value: str) -> npt.NDArray[np.uint8]:
        return text.constant_chars(rows, value)

    head, middle, tail = digits[:, :3], digits[:, 3:7], digits[:, 7:]
    pieces = {
        0: [lit("0"), head, lit("-"), middle, lit("-"), tail],
        1: [lit("+62 "), head, lit("-"), middle, lit("-"), tail],
        2: [lit("62"), digits],
        3: [lit("0"), digits],
        4: [lit("+62 "), head, lit(" "), middle, lit(" "), tail],
    }[style]
    return np.concatenate(pieces, axis=1)


def make_identities(rng: np.random.Generator, people: int, key: int) -> Identities:
    """Draw names and numbers for `people` persons; every phone and e-mail is unique."""
    index = np.arange(people, dtype=np.int64)
    subscriber = _bijection(index, 10**8, key + 7)  # the last 8 digits identify the person on their own
    operator = _OPERATOR_PREFIXES[rng.integers(0, _OPERATOR_PREFIXES.size, people)]
    phone_digits = operator * 10**8 + subscriber
    names = len(FIRST_NAMES) * len(LAST_NAMES) * len(EMAIL_DOMAINS)
    numbers = 10 ** max(3, math.ceil(math.log10(max(4 * people / names, 1))))
    code = _bijection(index, names * numbers, key + 5)
    email_number, rest = code % numbers, code // numbers
    email_domain, rest = rest % len(EMAIL_DOMAINS), rest // len(EMAIL_DOMAINS)
    last_name, first_name = rest % len(LAST_NAMES), rest // len(LAST_NAMES)
    return Identities(key, phone_digits, first_name, last_name, email_domain, email_number)


def draw_formats(rng: np.random.Generator, rows: int, weights: tuple[float, ...]) -> IntArray:
    """A random format code per row."""
    return rng.choice(len(weights), size=rows, p=np.asarray(weights) / sum(weights)).astype(np.int64)
