"""A discovered group in words: its traits as sentences, a suggested name, and a description, in English and Indonesian.

`segments.discovery` finds the groups and their evidence (a feature's value in the group and for everyone); this
module only writes them. The CLI writes English; the dashboard writes the page's language, so a trait is written
from its evidence when it is shown. A suggested name is English in both (it is the draft's name, which people edit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from jejak.core.numbers import number_text, whole_text
from jejak.segments.features import SHARE_FEATURES

__all__ = ["DESCRIPTION_TRAITS", "cluster_name", "description", "group_words", "rupiah", "trait_sentence"]

DESCRIPTION_TRAITS = 3  # the traits a description names


class Fact(Protocol):
    """What a trait is written from (`discovery.Evidence`)."""

    @property
    def feature(self) -> str: ...
    @property
    def cluster_value(self) -> float: ...
    @property
    def everyone_value(self) -> float: ...
    @property
    def standardised_difference(self) -> float: ...


# Per channel group and language: how a visit came (sessions) and where a journey started (journey starts).
_CHANNEL_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "social": ("comes from social media", "on social media"),
        "search": ("comes from a search engine", "on a search engine"),
        "direct": ("comes direct", "with a direct visit"),
        "email": ("comes from an e-mail", "from an e-mail"),
        "whatsapp": ("uses WhatsApp or LINE", "on WhatsApp or LINE"),
        "marketplace": ("comes through a marketplace", "on a marketplace"),
        "store": ("comes to the store", "in the store"),
        "call": ("calls the call centre", "with a call to the call centre"),
        "print": ("comes from print or a QR code", "from print or a QR code"),
        "other": ("comes from another channel", "on another channel"),
    },
    "id": {
        "social": ("datang dari media sosial", "di media sosial"),
        "search": ("datang dari mesin pencari", "di mesin pencari"),
        "direct": ("datang langsung", "dengan kunjungan langsung"),
        "email": ("datang dari e-mail", "dari e-mail"),
        "whatsapp": ("memakai WhatsApp atau LINE", "di WhatsApp atau LINE"),
        "marketplace": ("datang lewat marketplace", "di marketplace"),
        "store": ("datang ke toko", "di toko"),
        "call": ("menelepon call centre", "dengan telepon ke call centre"),
        "print": ("datang dari brosur atau kode QR", "dari brosur atau kode QR"),
        "other": ("datang dari saluran lain", "di saluran lain"),
    },
}
_DEVICE_WORDS = {
    "en": {
        "share_mobile": "uses a phone",
        "share_desktop": "uses a computer",
        "share_tablet": "uses a tablet",
        "share_offline": "is offline (store, phone)",
    },
    "id": {
        "share_mobile": "memakai ponsel",
        "share_desktop": "memakai komputer",
        "share_tablet": "memakai tablet",
        "share_offline": "offline (toko, telepon)",
    },
}
_COUNT_SENTENCES = {
    "en": {
        "sessions": "has {value} visits on average (everyone: {everyone})",
        "online_sessions": "has {value} online visits on average (everyone: {everyone})",
        "offline_sessions": "has {value} store visits or calls on average (everyone: {everyone})",
        "conversions": "places {value} orders on average (everyone: {everyone})",
        "revenue": "spends {value} in total on average (everyone: {everyone})",
        "average_order_value": "spends {value} per order on average (everyone: {everyone})",
        "days_active": "is active over {value} from first to last visit (everyone: {everyone})",
        "recency_days": "was last seen {value} before the data ends (everyone: {everyone})",
        "sessions_per_30_days": "visits {value} times per 30 days (everyone: {everyone})",
    },
    "id": {
        "sessions": "rata-rata berkunjung {value} kali (semua orang: {everyone})",
        "online_sessions": "rata-rata berkunjung online {value} kali (semua orang: {everyone})",
        "offline_sessions": "rata-rata datang ke toko atau menelepon {value} kali (semua orang: {everyone})",
        "conversions": "rata-rata memesan {value} kali (semua orang: {everyone})",
        "revenue": "rata-rata berbelanja {value} seluruhnya (semua orang: {everyone})",
        "average_order_value": "rata-rata berbelanja {value} per pesanan (semua orang: {everyone})",
        "days_active": "aktif selama {value} dari kunjungan pertama sampai terakhir (semua orang: {everyone})",
        "recency_days": "terakhir terlihat {value} sebelum data berakhir (semua orang: {everyone})",
        "sessions_per_30_days": "berkunjung {value} kali per 30 hari (semua orang: {everyone})",
    },
}
_SHARE_SENTENCES = {
    "en": ("{came} for {value} of visits (everyone: {everyone})", "starts {value} of journeys {started} (everyone: "
           "{everyone})"),
    "id": ("{came} pada {value} kunjungan (semua orang: {everyone})", "memulai {value} perjalanan {started} (semua "
           "orang: {everyone})"),
}  # fmt: skip
_MONEY = ("revenue", "average_order_value")
_DAYS = ("days_active", "recency_days")
# Compact amounts: thousands, millions and billions as each language shortens them.
_AMOUNT_UNITS = {"en": ("k", "M", "B"), "id": (" rb", " jt", " M")}


def rupiah(amount: float, lang: str = "en") -> str:
    """Rupiah in compact form: Rp 950, Rp 180k, Rp 1.2M, Rp 3B (in Indonesian Rp 180 rb, Rp 1,2 jt, Rp 3 M).

    Example:
        >>> [rupiah(x) for x in (950, 180_400, 1_249_000, 999_990, 12_500_000)]
        ['Rp 950', 'Rp 180k', 'Rp 1.2M', 'Rp 1M', 'Rp 12M']
        >>> [rupiah(x, "id") for x in (180_400, 1_249_000, 3e9)]
        ['Rp 180 rb', 'Rp 1,2 jt', 'Rp 3 M']
    """
    sign = "-" if amount < 0 else ""
    thousands, millions, billions = _AMOUNT_UNITS[lang]
    for unit, suffix in ((1e9, billions), (1e6, millions), (1e3, thousands)):
        scaled = abs(amount) / unit
        shown = round(scaled, 1) if scaled < 9.95 else round(scaled)
        if shown >= 1:
            return f"Rp {sign}{number_text(f'{shown:g}', lang)}{suffix}"
    return f"Rp {sign}{abs(amount):.0f}"


def _show(feature: str, value: float, lang: str) -> str:
    if feature in _MONEY:
        return rupiah(value, lang)
    if feature in _DAYS:
        return number_text(f"{value:.1f}", lang) + (" hari" if lang == "id" else " days")
    if feature in SHARE_FEATURES:
        return f"{value * 100:.0f} %"
    return number_text(f"{value:.1f}", lang)


def trait_sentence(fact: Fact, lang: str = "en") -> str:
    """A trait in words, with the group's and everyone's values in plain units.

    Example:
        >>> from jejak.segments.discovery import Evidence
        >>> chats = Evidence("start_share_whatsapp", 0.55, 0.05, 2.1)
        >>> trait_sentence(chats)
        'starts 55 % of journeys on WhatsApp or LINE (everyone: 5 %)'
        >>> trait_sentence(chats, "id")
        'memulai 55 % perjalanan di WhatsApp atau LINE (semua orang: 5 %)'
        >>> trait_sentence(Evidence("sessions_per_30_days", 2.25, 1.5, 0.7), "id")
        'berkunjung 2,2 kali per 30 hari (semua orang: 1,5)'
    """
    feature = fact.feature
    shown = {"value": _show(feature, fact.cluster_value, lang), "everyone": _show(feature, fact.everyone_value, lang)}
    if feature in _COUNT_SENTENCES[lang]:
        return _COUNT_SENTENCES[lang][feature].format(**shown)
    visits, journeys = _SHARE_SENTENCES[lang]
    if feature in _DEVICE_WORDS[lang]:
        return visits.format(came=_DEVICE_WORDS[lang][feature], **shown)
    group = feature.removeprefix("start_").removeprefix("share_")
    came, started = _CHANNEL_WORDS[lang][group]
    if feature.startswith("start_"):
        return journeys.format(started=started, **shown)
    return visits.format(came=came, **shown)


# Name words for a feature well above (+1) or below (-1) everyone: nouns say who, adjectives how.
_NOUNS = {
    "social": "social-media shoppers",
    "search": "searchers",
    "direct": "direct visitors",
    "email": "e-mail readers",
    "whatsapp": "WhatsApp chatters",
    "marketplace": "marketplace shoppers",
    "store": "store shoppers",
    "call": "phone buyers",
    "print": "brochure readers",
    "other": "referred visitors",
}
_ADJECTIVES = {
    ("share_mobile", 1): "mobile",
    ("share_desktop", 1): "desktop",
    ("share_tablet", 1): "tablet",
    ("share_offline", 1): "offline",
    ("revenue", 1): "high-value",
    ("revenue", -1): "low-spend",
    ("average_order_value", 1): "big-basket",
    ("conversions", 1): "repeat-buying",
    ("conversions", -1): "browsing",
    ("sessions_per_30_days", 1): "frequent",
    ("days_active", 1): "long-standing",
    ("recency_days", 1): "lapsed",
    ("recency_days", -1): "recent",
}


def cluster_name(evidence: Sequence[Fact]) -> str:
    """A suggested name from the top traits: the first adjective and the first channel noun, e.g. "Mobile
    social-media shoppers"."""
    noun = adjective = None
    for item in evidence:
        direction = 1 if item.standardised_difference > 0 else -1
        group = item.feature.removeprefix("start_").removeprefix("share_")
        if noun is None and direction > 0 and group in _NOUNS:
            noun = _NOUNS[group]
        adjective = adjective or _ADJECTIVES.get((item.feature, direction))
    words = " ".join(word for word in (adjective, noun or "visitors") if word)
    return words[0].upper() + words[1:]


def group_words(evidence: Sequence[Fact], size: int, share: float, lang: str = "en") -> tuple[list[str], str]:
    """A group's traits as sentences, and its description from the first `DESCRIPTION_TRAITS` of them, in `lang`."""
    traits = [trait_sentence(item, lang) for item in evidence]
    return traits, description(size, share, traits[:DESCRIPTION_TRAITS], lang)


def description(size: int, share: float, traits: Sequence[str], lang: str = "en") -> str:
    """How many people a group holds and what a typical one of them does (its first traits, as sentences).

    Example:
        >>> description(1, 0.1, ["uses a phone"])
        '1 person (10 % of everyone). A typical person here uses a phone.'
        >>> description(1200, 0.25, ["a", "b", "c"], "id")
        '1.200 orang (25 % dari semua orang). Orang yang khas di sini a, b dan c.'
    """
    and_word = " dan " if lang == "id" else " and "
    listed = traits[0] if len(traits) == 1 else ", ".join(traits[:-1]) + and_word + traits[-1]
    if lang == "id":
        return (
            f"{whole_text(size, lang)} orang ({share * 100:.0f} % dari semua orang). Orang yang khas di sini {listed}."
        )
    people = "person" if size == 1 else "people"
    return f"{whole_text(size, lang)} {people} ({share * 100:.0f} % of everyone). A typical person here {listed}."
