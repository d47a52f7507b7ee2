"""The five buyer personas of Kopi Jejak and how they differ.

Personas share the channel chain (chain.py) and differ in where journeys start,
how many repeat purchases they make, their devices, what they buy and how much.
Those differences are large on purpose, so that a clustering of behavioural
features can find the personas again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.synth.catalogue import CATEGORIES
from jejak.synth.chain import CHANNEL_INDEX, CHANNELS

DEVICE_KINDS: tuple[str, ...] = ("desktop", "mobile_web", "tablet", "app")


@dataclass(frozen=True)
class Persona:
    """One buyer persona; probabilities are shares of people or of touches as named."""

    name: str
    description: str
    share: float  # of people
    start: Mapping[str, float]  # channel of a journey's first touch
    max_journeys: int  # a first purchase plus at most max_journeys - 1 repeat purchases
    device_odds: Mapping[str, float]  # P(owning each device kind)
    categories: Mapping[str, float]  # category of what they look at and buy
    quantity: tuple[int, int]  # items per order, inclusive range
    member_share: float  # loyalty-card members among them
    tokopedia_share: float  # their marketplace is Tokopedia, else Shopee
    kemang_share: float  # their store is Kemang (Jakarta), else Braga (Bandung)
    alias_share: float  # people whose extra devices send `alias` rather than `identify`
    journey_position: tuple[float, float]  # Beta(a, b) of where a journey sits in its time slot
    satisfaction: float  # mean survey sentiment, 0 (unhappy) to 1 (happy)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="instagram_youth",
        description="Young, mobile-first; finds Kopi Jejak on Instagram; small orders of single origins and blends.",
        share=0.30,
        start={"Paid Social": 0.45, "Organic Social": 0.30, "Organic Search": 0.10, "Referral": 0.05, "Direct": 0.05, "Paid Search": 0.05},
        max_journeys=3,
        device_odds={"desktop": 0.10, "mobile_web": 0.90, "tablet": 0.05, "app": 0.45},
        categories={"single_origin": 0.55, "blend": 0.40, "drip_bag": 0.05},
        quantity=(1, 1),
        member_share=0.15,
        tokopedia_share=0.3,
        kemang_share=0.7,
        alias_share=0.3,
        journey_position=(1.0, 1.0),
        satisfaction=0.65,
    ),
    Persona(
        name="office_marketplace",
        description="Office worker who orders on Tokopedia from a desktop; mid-sized orders of drip bags and blends.",
        share=0.25,
        start={"Marketplace": 0.45, "Organic Search": 0.25, "Paid Search": 0.20, "Direct": 0.10},
        max_journeys=3,
        device_odds={"desktop": 0.95, "mobile_web": 0.35, "tablet": 0.05, "app": 0.05},
        categories={"drip_bag": 0.55, "blend": 0.35, "single_origin": 0.10},
        quantity=(1, 3),
        member_share=0.10,
        tokopedia_share=0.8,
        kemang_share=0.8,
        alias_share=0.1,
        journey_position=(1.0, 1.0),
        satisfaction=0.55,
    ),
    Persona(
        name="cafe_owner",
        description="Cafe owner buying wholesale by WhatsApp and the call centre; large, frequent orders.",
        share=0.10,
        start={"WhatsApp": 0.45, "Call Centre": 0.30, "Organic Search": 0.15, "Referral": 0.10},
        max_journeys=5,
        device_odds={"desktop": 0.50, "mobile_web": 0.70, "tablet": 0.15, "app": 0.10},
        categories={"wholesale": 0.85, "equipment": 0.15},
        quantity=(4, 12),
        member_share=0.30,
        tokopedia_share=0.5,
        kemang_share=0.5,
        alias_share=0.1,
        journey_position=(1.0, 1.0),
        satisfaction=0.6,
    ),
    Persona(
        name="gift_buyer",
        description="Picks up a brochure, scans its QR code and buys gift sets in the store before Lebaran.",
        share=0.15,
        start={"Print / QR": 0.45, "Offline Store": 0.35, "Organic Search": 0.10, "Paid Search": 0.10},
        max_journeys=2,
        device_odds={"desktop": 0.20, "mobile_web": 1.0, "tablet": 0.25, "app": 0.05},
        categories={"gift_set": 0.85, "single_origin": 0.15},
        quantity=(1, 3),
        member_share=0.75,
        tokopedia_share=0.5,
        kemang_share=0.6,
        alias_share=0.1,
        # Journeys crowd towards the end of the window, the weeks before Lebaran.
        journey_position=(4.0, 1.3),
        satisfaction=0.7,
    ),
    Persona(
        name="loyal_subscriber",
        description="Subscriber who comes back by e-mail and the app; many repeat orders of the monthly subscription.",
        share=0.20,
        start={"Email": 0.50, "Direct": 0.40, "WhatsApp": 0.05, "Organic Search": 0.05},
        max_journeys=7,
        device_odds={"desktop": 0.45, "mobile_web": 0.30, "tablet": 0.10, "app": 0.80},
        categories={"subscription": 0.75, "single_origin": 0.25},
        quantity=(1, 1),
        member_share=0.60,
        tokopedia_share=0.5,
        kemang_share=0.5,
        alias_share=0.5,
        journey_position=(1.0, 1.0),
        satisfaction=0.8,
    ),
)  # fmt: skip
PERSONA_NAMES: tuple[str, ...] = tuple(p.name for p in PERSONAS)


def _vector(mapping: Mapping[str, float], names: tuple[str, ...]) -> npt.NDArray[np.float64]:
    unknown = set(mapping) - set(names)
    if unknown:
        raise ValueError(f"Unknown names {sorted(unknown)}; expected some of {', '.join(names)}.")
    vector = np.array([mapping.get(name, 0.0) for name in names], dtype=np.float64)
    return vector


def start_matrix() -> npt.NDArray[np.float64]:
    """(personas, channels) start distributions."""
    rows = np.stack([_vector(p.start, CHANNELS) for p in PERSONAS])
    return np.asarray(rows / rows.sum(axis=1, keepdims=True), dtype=np.float64)


def category_matrix() -> npt.NDArray[np.float64]:
    """(personas, categories) probabilities of the category of interest."""
    rows = np.stack([_vector(p.categories, CATEGORIES) for p in PERSONAS])
    return np.asarray(rows / rows.sum(axis=1, keepdims=True), dtype=np.float64)


def device_odds_matrix() -> npt.NDArray[np.float64]:
    """(personas, device kinds) P(owning a device of each kind)."""
    return np.stack([_vector(p.device_odds, DEVICE_KINDS) for p in PERSONAS])


def column(attribute: str) -> npt.NDArray[Any]:
    """One numeric attribute of every persona, in persona order."""
    return np.array([getattr(p, attribute) for p in PERSONAS])


def describe() -> list[dict[str, Any]]:
    """Every persona's parameters, for params.json."""
    described = []
    for persona in PERSONAS:
        row = asdict(persona)
        row["start"] = dict(persona.start)
        row["start_channel_index"] = {c: CHANNEL_INDEX[c] for c in persona.start}
        described.append(row)
    return described
