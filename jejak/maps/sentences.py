"""What the journey map's rules write, in each language the map is drawn in (English and Indonesian).

A pain point or a suggestion is found once (`journey_map.assemble`) and drawn in the page's language
(`maps.render`), so each is written in every language when it is found: `in_languages` gives the English text
(the item's `text`, as the JSON and CSV twins keep it) and the others by language. Numbers are written as the
language writes them (`1,193` / `1.193`), shares as whole percents, stages by their name in the language.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jejak.core.numbers import number_text, whole_text

LANGUAGES = ("en", "id")

STAGE_NAMES_ID = {
    "Awareness": "Kesadaran",
    "Consideration": "Pertimbangan",
    "Decision": "Keputusan",
    "Experience": "Pengalaman",
    "Loyalty": "Loyalitas",
}

# Each rule's sentence. A fact named `share`, `rate` or `average` is a share (0–1), `days` a number of days; a stage
# is named in the language; a whole number gets its thousands separated; any other text is written as it is. A count
# followed by its noun is written `{count:one/many}`: "1 person", "2 people" (`_Sentence`).
SENTENCES: dict[str, dict[str, str]] = {
    "largest_drop": {
        "en": "Largest drop-off: {share} of people in {stage} never reach a later stage ({lost} of {people})",
        "id": "Penurunan terbesar: {share} orang di tahap {stage} tidak pernah mencapai tahap sesudahnya "
        "({lost} dari {people})",
    },
    "high_bounce": {
        "en": "High bounce: {rate} of visits landing on {page} leave after one page (map average {average}; "
        "{bounces} of {entrances})",
        "id": "Pentalan tinggi: {rate} kunjungan yang mendarat di {page} pergi setelah satu halaman "
        "(rata-rata peta {average}; {bounces} dari {entrances})",
    },
    "slow": {
        "en": "Slow: people stay {days} days in {stage} before moving on (next longest: {next_days})",
        "id": "Lambat: orang bertahan {days} hari di tahap {stage} sebelum lanjut (terlama berikutnya: {next_days})",
    },
    "funnel_drop": {
        "en": "Funnel drop-off: {share} of people who reach {step_from} never reach {step_to} ({lost} of {people})",
        "id": "Penurunan funnel: {share} orang yang mencapai {step_from} tidak pernah mencapai {step_to} "
        "({lost} dari {people})",
    },
    "support": {
        "en": "Support: {share} of people in {stage} contacted support ({contacted:person/people}, "
        "{contacts:contact/contacts})",
        "id": "Dukungan: {share} orang di tahap {stage} menghubungi layanan pelanggan ({contacted} orang, "
        "{contacts} kontak)",
    },
    "low_scores": {
        "en": "Low scores: {share} of answers in {stage} are negative ({low_scores} of {answers})",
        "id": "Skor rendah: {share} jawaban di tahap {stage} negatif ({low_scores} dari {answers})",
    },
}

# The suggestion each rule's pain point calls for.
SUGGESTIONS: dict[str, dict[str, str]] = {
    "funnel_drop": {
        "en": "Suggestion: Make {step_to} easier for people who reach {step_from}: fewer fields, payment methods they "
        "trust, and a reminder to those who stop.",
        "id": "Saran: Permudah {step_to} bagi orang yang sudah mencapai {step_from}: isian lebih sedikit, metode "
        "pembayaran yang mereka percayai, dan pengingat bagi yang berhenti.",
    },
    "largest_drop": {
        "en": "Suggestion: Follow up with people who stop at {stage}: a reminder or an offer that answers why they "
        "hesitate.",
        "id": "Saran: Hubungi lagi orang yang berhenti di tahap {stage}: pengingat atau penawaran yang menjawab "
        "keraguan mereka.",
    },
    "high_bounce": {
        "en": "Suggestion: Rework {page}: match it to what the ad or link promised, and make it load fast.",
        "id": "Saran: Perbaiki {page}: samakan isinya dengan yang dijanjikan iklan atau tautannya, dan buat cepat "
        "dimuat.",
    },
    "slow": {
        "en": "Suggestion: Shorten {stage}: answer the open questions sooner (reviews, chat, clear delivery times).",
        "id": "Saran: Persingkat tahap {stage}: jawab pertanyaan yang masih terbuka lebih cepat (ulasan, chat, "
        "waktu pengiriman yang jelas).",
    },
    "support": {
        "en": "Suggestion: Turn the most common support questions into help articles and order-status messages.",
        "id": "Saran: Jadikan pertanyaan yang paling sering ke layanan pelanggan artikel bantuan dan pesan status "
        "pesanan.",
    },
    "low_scores": {
        "en": "Suggestion: Read the negative comments in {stage} and fix the most common complaint.",
        "id": "Saran: Baca komentar negatif di tahap {stage} dan perbaiki keluhan yang paling sering.",
    },
}

SHARES = ("share", "rate", "average")
DAYS = ("days", "next_days")


def whole_percent(share: float) -> str:
    """A share (0–1) as a whole percent, as the map writes every share in both languages: `77 %`."""
    return f"{share * 100:.0f} %"


def stage_label(stage: str, lang: str) -> str:
    """A stage's name in `lang` (a stage the business named itself keeps its name)."""
    return STAGE_NAMES_ID.get(stage, stage) if lang == "id" else stage


def fact_text(name: str, value: object, lang: str) -> str:
    """One fact of a sentence as `lang` writes it.

    Example:
        >>> fact_text("share", 0.774, "id"), fact_text("people", 1193, "id"), fact_text("stage", "Decision", "id")
        ('77 %', '1.193', 'Keputusan')
    """
    if name in SHARES and isinstance(value, (int, float)):
        return whole_percent(float(value))
    if name in DAYS and isinstance(value, (int, float)):
        return number_text(f"{float(value):,.1f}", lang)
    if name == "stage":
        return stage_label(str(value), lang)
    if isinstance(value, int) and not isinstance(value, bool):
        return whole_text(value, lang)
    return str(value)


@dataclass(frozen=True)
class _Fact:
    name: str
    value: object


class _Sentence(string.Formatter):
    """Writes each fact as `lang` writes it (`fact_text`); a count with a format `one/many` is followed by its noun
    as the count calls for it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> _Fact:
        return _Fact(str(key), kwargs[str(key)])

    def format_field(self, value: Any, format_spec: str) -> str:
        text = fact_text(value.name, value.value, self.lang)
        if not format_spec:
            return text
        one, _, many = format_spec.partition("/")
        return f"{text} {one if value.value == 1 else many}"


def written(template: Mapping[str, str], lang: str, facts: Mapping[str, object]) -> str:
    """The template's sentence in `lang`, each fact written as `lang` writes it.

    Example:
        >>> template = {"en": "({n:person/people}, {m:contact/contacts})", "id": "({n:orang/orang}, {m:kontak/kontak})"}
        >>> written(template, "en", {"n": 1, "m": 1200}), written(template, "id", {"n": 1, "m": 1200})
        ('(1 person, 1,200 contacts)', '(1 orang, 1.200 kontak)')
    """
    return _Sentence(lang).format(template[lang], **facts)


def in_languages(templates: Mapping[str, Mapping[str, str]], rule: str, **facts: object) -> tuple[str, dict[str, str]]:
    """The rule's sentence in English, and in every other language by language."""
    template = templates[rule]
    others = {lang: written(template, lang, facts) for lang in LANGUAGES if lang != "en"}
    return written(template, "en", facts), others
