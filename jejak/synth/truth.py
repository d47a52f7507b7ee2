"""The planted truth, written next to the data: who is who, every true journey and touch, and the parameters.

`truth/` holds params.json (the process and what an importer and models must
find), identifiers.parquet (which identifier belongs to which true person),
journeys.parquet, touches.parquet and people.parquet.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jejak.synth import text
from jejak.synth.catalogue import MARKETPLACES, PAGES, PRODUCTS, SHOP_PHONE, SHOP_PHONE_NORMALISED
from jejak.synth.chain import CHANNELS, SimulatedJourneys
from jejak.synth.devices import APP, MAX_DEVICES, MODELS
from jejak.synth.events import SHOP_PHONE_FORMAT
from jejak.synth.identities import PHONE_FORMATS
from jejak.synth.kinds import FUNNEL_STEPS, KINDS, ORDER_KINDS, PAGE_KINDS, EventKind, is_kind
from jejak.synth.personas import PERSONA_NAMES
from jejak.synth.render import Renderer
from jejak.synth.touches import FLASH_SALE_BOUNCE, FUNNEL_STEP_PROBABILITIES, OTHER_BOUNCE, Template

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
UTC_MICROS = pa.timestamp("us", tz="UTC")
IDENTIFIER_KINDS = ("user_id", "anonymous_id", "email", "phone")


@dataclass(frozen=True)
class TruthTables:
    """The truth tables, before they are written."""

    identifiers: Any
    journeys: Any
    touches: Any
    people: Any


def _first_rows(codes: IntArray, rows: IntArray) -> IntArray:
    """For each distinct code (ascending), the first row that has it."""
    _, first = np.unique(codes, return_index=True)
    return rows[first]


def identifier_table(renderer: Renderer) -> Any:
    """One row per identifier as written in the data, with its normalised form and true person."""
    events, touches = renderer.events, renderer.touches
    everything = np.arange(events.size, dtype=np.int64)
    person = touches.person[events.touch]
    kinds = events.kind
    pieces: list[tuple[str, IntArray, Any, Any]] = []  # kind, person, value, normalised

    user_rows = everything[events.has_user_id]
    user_codes = person[user_rows] * 3 + np.select(
        [
            kinds[user_rows] == EventKind.MARKETPLACE_ORDER,
            is_kind(kinds[user_rows], (EventKind.STORE_VISIT, EventKind.STORE_ORDER)),
        ],
        [1, 2],
        0,
    )
    rows = _first_rows(user_codes, user_rows)
    values = renderer.user_ids(renderer.view(rows))
    pieces.append(("user_id", person[rows], values, values))

    device_rows = everything[events.device >= 0]
    rows = _first_rows(events.device[device_rows], device_rows)
    values = renderer.anonymous_ids(renderer.view(rows))
    pieces.append(("anonymous_id", person[rows], values, values))

    email_rows = everything[events.email_case >= 0]
    rows = _first_rows(person[email_rows] * 8 + events.email_case[email_rows], email_rows)
    pieces.append(
        (
            "email",
            person[rows],
            renderer.emails(renderer.view(rows)),
            renderer.identities.normalised_emails(person[rows]),
        )
    )

    phone_rows = everything[(events.phone_format >= 0) & (events.phone_format != SHOP_PHONE_FORMAT)]
    rows = _first_rows(person[phone_rows] * 8 + events.phone_format[phone_rows], phone_rows)
    pieces.append(
        (
            "phone",
            person[rows],
            renderer.phones(renderer.view(rows)),
            renderer.identities.normalised_phones(person[rows]),
        )
    )

    persona_names = text.vocabulary(PERSONA_NAMES)
    kind_names = text.vocabulary(IDENTIFIER_KINDS)
    tables = [
        pa.table(
            {
                "kind": text.pick(kind_names, np.full(len(owner), IDENTIFIER_KINDS.index(kind))),
                "value": value,
                "normalised": normalised,
                "true_person": pa.array(owner, type=pa.int64()),
                "persona": text.pick(persona_names, renderer.population.persona[owner]),
            }
        )
        for kind, owner, value, normalised in pieces
    ]
    if (events.phone_format == SHOP_PHONE_FORMAT).any():
        tables.append(
            pa.table(
                {
                    "kind": ["phone"],
                    "value": [SHOP_PHONE],
                    "normalised": [SHOP_PHONE_NORMALISED],
                    "true_person": pa.array([-1], type=pa.int64()),
                    "persona": ["over_shared"],
                }
            )
        )
    return pa.concat_tables(tables)


def _timestamps(seconds: IntArray, present: BoolArray | None = None) -> Any:
    mask = None if present is None else ~present
    return pa.array(seconds * 1_000_000, type=pa.int64(), mask=mask).cast(UTC_MICROS)


def _conversion_times(renderer: Renderer) -> IntArray:
    """Per touch: time of its order event, -1 when it has none."""
    events = renderer.events
    at = np.full(renderer.touches.size, -1, dtype=np.int64)
    orders = is_kind(events.kind, ORDER_KINDS)
    at[events.touch[orders]] = events.time[orders]
    return at


def journey_table(renderer: Renderer, journeys: SimulatedJourneys, refunded_idr: IntArray) -> Any:
    """One row per true journey; `refunded_idr` is what was refunded of each touch's order."""
    touches = renderer.touches
    channel_names = text.vocabulary(CHANNELS)
    offsets = np.concatenate([journeys.first_touch, [touches.size]]).astype(np.int32)
    paths = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(offsets), channel_names.take(pa.array(touches.channel))), " > "
    )
    last = journeys.first_touch + journeys.touches - 1
    converted = journeys.converted
    categories = text.vocabulary([p.category for p in PRODUCTS])
    gross = np.where(converted, touches.value_idr[last], 0)
    refunded = np.where(converted, refunded_idr[last], 0)
    return pa.table(
        {
            "true_person": pa.array(journeys.person, type=pa.int64()),
            "journey_index": pa.array(journeys.index, type=pa.int64()),
            "path": paths,
            "touches": pa.array(journeys.touches, type=pa.int64()),
            "converted": pa.array(converted),
            "revenue": pa.array(gross - refunded, type=pa.int64()),  # net of refunds, as a build counts it
            "gross_revenue": pa.array(gross, type=pa.int64()),
            "refunded_revenue": pa.array(refunded, type=pa.int64()),
            "category": text.pick(categories, touches.product[last], converted),
            "first_touch_at": _timestamps(touches.time[journeys.first_touch]),
            "conversion_at": _timestamps(_conversion_times(renderer)[last], converted),
        }
    )


def touch_table(renderer: Renderer) -> Any:
    """One row per true touch (= one session), in person and time order."""
    touches, events = renderer.touches, renderer.events
    counts = touches.counts.astype(np.int64)
    per_touch = counts.sum(axis=1)
    # Events are stored touch by touch in time order, so a touch's last event closes it.
    last_event = events.time[np.cumsum(per_touch) - 1]
    web = touches.template == Template.WEB
    kind = np.where(touches.device_kind == APP, len(Template), touches.template)
    kind_names = text.vocabulary([*(t.name.lower() for t in Template), "app"])
    device_kind_type = text.vocabulary(["desktop", "mobile", "tablet", "mobile"])
    return pa.table(
        {
            "true_person": pa.array(touches.person, type=pa.int64()),
            "journey_index": pa.array(touches.journey_index, type=pa.int64()),
            "touch_index": pa.array(np.arange(touches.size) - _journey_start(touches.journey), type=pa.int64()),
            "channel": text.pick(text.vocabulary(CHANNELS), touches.channel),
            "kind": text.pick(kind_names, kind),
            "device_type": text.pick(device_kind_type, touches.device_kind),
            "started_at": _timestamps(touches.time),
            "ended_at": _timestamps(last_event),
            "events": pa.array(per_touch, type=pa.int64()),
            "page_views": pa.array(counts[:, list(PAGE_KINDS)].sum(axis=1), type=pa.int64()),
            "landing_path": text.pick(text.vocabulary([p.path for p in PAGES]), touches.landing_page, web),
            "bounced": pa.array(touches.bounced),
            "converting": pa.array(touches.converting),
        }
    )


def _journey_start(journey: IntArray) -> IntArray:
    starts = np.r_[0, np.flatnonzero(journey[1:] != journey[:-1]) + 1]
    return np.repeat(starts, np.diff(np.r_[starts, journey.size]))


_TYPE_NAMES = ("desktop", "mobile", "tablet")


def people_table(renderer: Renderer, journeys: SimulatedJourneys, refunded_idr: IntArray) -> Any:
    """One row per true person: persona, devices used, and what they did (revenue net of refunds)."""
    events, touches, population = renderer.events, renderer.touches, renderer.population
    people = population.size
    used_devices = np.flatnonzero(np.bincount(events.device[events.device >= 0], minlength=people * MAX_DEVICES))
    owner = used_devices // MAX_DEVICES
    model = renderer.devices.model.ravel()[used_devices]
    type_of_model = np.array([_TYPE_NAMES.index(m.device_type) for m in MODELS])
    codes = np.unique(owner * len(_TYPE_NAMES) + type_of_model[model])
    type_owner, type_code = codes // len(_TYPE_NAMES), codes % len(_TYPE_NAMES)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(type_owner, minlength=people))]).astype(np.int32)
    uses_app = np.zeros(people, dtype=bool)
    uses_app[owner[np.array([m.kind for m in MODELS])[model] == APP]] = True
    last = journeys.first_touch + journeys.touches - 1
    revenue = np.bincount(
        journeys.person,
        weights=np.where(journeys.converted, touches.value_idr[last] - refunded_idr[last], 0),
        minlength=people,
    )
    return pa.table(
        {
            "true_person": pa.array(np.arange(people), type=pa.int64()),
            "persona": text.pick(text.vocabulary(PERSONA_NAMES), population.persona),
            "device_types": pa.ListArray.from_arrays(
                pa.array(offsets), text.pick(text.vocabulary(_TYPE_NAMES), type_code)
            ),
            "uses_app": pa.array(uses_app),
            "member": pa.array(population.member),
            "marketplace": text.pick(text.vocabulary(MARKETPLACES), population.marketplace),
            "journeys": pa.array(np.bincount(journeys.person, minlength=people), type=pa.int64()),
            "conversions": pa.array(
                np.bincount(journeys.person, weights=journeys.converted, minlength=people).astype(np.int64)
            ),
            "revenue": pa.array(np.round(revenue).astype(np.int64)),
        }
    )


def bounce_summary(renderer: Renderer) -> dict[str, Any]:
    """Planted bounce probabilities and the realised counts per landing page."""
    touches = renderer.touches
    web = touches.template == Template.WEB
    realised: dict[str, dict[str, int]] = {}
    for page in np.unique(touches.landing_page[web]):
        landed = web & (touches.landing_page == page)
        realised[PAGES[int(page)].path] = {
            "sessions": int(landed.sum()),
            "non_converting_sessions": int((landed & ~touches.converting).sum()),
            "bounced": int((landed & touches.bounced).sum()),
        }
    return {
        "definition": "a bounced touch is one page or screen view; only non-converting touches bounce, NPS survey visits never",
        "planted_probability": {"/promo/flash-sale": FLASH_SALE_BOUNCE, "other landing pages": OTHER_BOUNCE},
        "realised_by_landing_path": realised,
    }


def funnel_summary(renderer: Renderer) -> dict[str, Any]:
    """Planted step probabilities and realised web and app sessions reaching each funnel step."""
    counts = renderer.touches.counts
    reached = {KINDS[step].event: int((counts[:, step] > 0).sum()) for step in FUNNEL_STEPS}
    names = list(reached)
    ratios = {f"{a} -> {b}": reached[b] / reached[a] if reached[a] else None for a, b in itertools.pairwise(names)}
    return {
        "steps": names,
        "planted_step_probabilities": {
            "applies_to": "non-converting web and app touches that did not bounce; converting touches complete every step",
            **FUNNEL_STEP_PROBABILITIES,
        },
        "realised_sessions_per_step": reached,
        "realised_note": "web and app sessions (orders by marketplace, WhatsApp, store and phone are not in this funnel)",
        "realised_step_ratios": ratios,
        "largest_drop_off": {"from": "Checkout Started", "to": "Payment Info Entered"},
    }


def over_shared_summary(renderer: Renderer) -> dict[str, Any]:
    """The shop phone: where it appears and how many members it would wrongly join."""
    events = renderer.events
    shop = events.phone_format == SHOP_PHONE_FORMAT
    members = np.unique(renderer.touches.person[events.touch[shop]])
    return {
        "kind": "phone",
        "value": SHOP_PHONE,
        "normalised": SHOP_PHONE_NORMALISED,
        "rows": int(shop.sum()),
        "members": int(members.size),
        "note": "typed by cashiers on store purchases of members; each member also has a row with the real phone",
    }


def identity_summary(identifiers: Any) -> dict[str, Any]:
    """Counts of identifiers per kind, and the phone formats used."""
    kinds = identifiers.column("kind").to_pylist()
    return {
        "identifiers_per_kind": {kind: kinds.count(kind) for kind in IDENTIFIER_KINDS},
        "phone_formats": list(PHONE_FORMATS),
        "expected_components": "one per true person (true_person >= 0) once the over-shared phone is ignored",
    }


def event_kind_counts(renderer: Renderer) -> dict[str, int]:
    """Events per kind, for orientation."""
    counts = np.bincount(renderer.events.kind, minlength=len(EventKind))
    return {kind.name.lower(): int(counts[kind]) for kind in EventKind}


def write_tables(directory: Path, tables: TruthTables) -> list[Path]:
    """Write the truth tables as Parquet files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("identifiers", "journeys", "touches", "people"):
        path = directory / f"{name}.parquet"
        pq.write_table(getattr(tables, name), str(path), compression="zstd")
        written.append(path)
    return written


def write_params(directory: Path, params: dict[str, Any]) -> Path:
    """Write params.json (sorted keys are not used: the order is the reading order)."""
    path = directory / "params.json"
    path.write_text(json.dumps(params, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
