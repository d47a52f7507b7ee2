"""What happens in each touch: its template, device, landing, funnel depth, order and event counts.

A touch is one session. Its channel comes from the chain; this module decides
how that channel shows up in the data (see docs/demo-data.md):

* web channels: a page view landing with the channel's referrer or utm, then maybe
  more pages and the e-commerce funnel; Direct may instead be an app session;
* WhatsApp: a `wa_chat` (support topic) or, 20 % of non-converting touches, a web
  visit from https://wa.me/; a converting WhatsApp touch is a chat followed by an
  `Order Completed` row in whatsapp_chats.csv (chat commerce);
* Marketplace: a web visit from the marketplace, or, when converting, the order row;
* Offline Store / Call Centre: one row each (visit or purchase, call or phone order).

Planted effects: a non-converting web touch landing on /promo/flash-sale bounces
with probability 0.8, any other landing with 0.3; among non-converting web touches
that start checkout only 15 % enter payment details (worry about payment safety).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from jejak.synth import landing
from jejak.synth.catalogue import (
    AGENTS,
    CALL_TOPICS,
    CATEGORIES,
    COMMENT_BAND,
    COMMENT_LANGUAGE,
    FLASH_SALE_PAGE,
    NPS_PAGE,
    ORDER_CHAT_TOPIC,
    PAGE_INDEX,
    PAYMENT_METHODS,
    PRODUCTS,
)
from jejak.synth.chain import CHANNEL_INDEX, CHANNELS, SimulatedJourneys, sample_rows
from jejak.synth.devices import APP, DESKTOP, MOBILE_WEB, TABLET, Devices
from jejak.synth.kinds import KIND_COUNT, EventKind
from jejak.synth.personas import DEVICE_KINDS, PERSONAS, category_matrix, column, device_odds_matrix
from jejak.synth.population import Population

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

FLASH_SALE_BOUNCE = 0.8
OTHER_BOUNCE = 0.3
WHATSAPP_WEB_SHARE = 0.2  # non-converting WhatsApp touches that are a web visit from wa.me
NPS_SHARE = 0.5  # non-converting Email touches after a first purchase that answer the NPS survey
CSAT_SHARE = 0.3  # web and app orders followed by a CSAT answer
HOME_STORE_SHARE = 0.9
# Funnel of non-converting, non-bounced web touches: P(reach step | reached the previous step).
FUNNEL_STEP_PROBABILITIES: dict[str, float] = {
    "Product Viewed": 0.5,
    "Product Added": 0.6,
    "Checkout Started": 0.75,
    "Payment Info Entered": 0.15,  # the planted largest drop-off
}


class Template(IntEnum):
    """How a touch is rendered."""

    WEB = 0  # web shop or app session
    WA_CHAT = 1
    WA_ORDER = 2
    MARKETPLACE_ORDER = 3
    STORE_VISIT = 4
    STORE_ORDER = 5
    CALL = 6
    CALL_ORDER = 7


def _affinity() -> npt.NDArray[np.float64]:
    """(channels, device kinds) how much more likely a channel reaches a person on each device kind."""
    table = np.ones((len(CHANNELS), len(DEVICE_KINDS)))
    table[:, APP] = 0.0  # only Direct opens the app
    table[CHANNEL_INDEX["Direct"], APP] = 3.0
    table[CHANNEL_INDEX["Print / QR"], [DESKTOP, MOBILE_WEB, TABLET]] = (0.05, 8.0, 2.0)
    for social in ("Paid Social", "Organic Social", "WhatsApp"):
        table[CHANNEL_INDEX[social], [DESKTOP, MOBILE_WEB]] = (0.5, 3.0)
    for desk in ("Email", "Marketplace"):
        table[CHANNEL_INDEX[desk], DESKTOP] = 1.5
    return table


AFFINITY = _affinity()


@dataclass(frozen=True)
class Touches:
    """Per touch (ordered by person, then time); `counts[t, k]` is how many events of kind k touch t has."""

    person: IntArray
    journey: IntArray
    journey_index: IntArray
    channel: IntArray
    time: IntArray  # epoch seconds (UTC) of the first event
    converting: BoolArray
    template: IntArray
    device_slot: IntArray  # -1 when the touch has no device
    device_kind: IntArray
    landing_page: IntArray
    referrer: IntArray
    campaign: IntArray
    gclid: BoolArray
    bounced: BoolArray
    nps: BoolArray
    counts: npt.NDArray[np.int16]
    category: IntArray
    product: IntArray
    quantity: IntArray
    value_idr: IntArray
    payment_method: IntArray
    topic: IntArray
    agent: IntArray
    store: IntArray
    messages: IntArray
    duration_seconds: IntArray
    sentiment_permille: IntArray  # survey sentiment 0..1000: CSAT = 1 + 4 s, NPS = 10 s (rounded)
    survey_comment: IntArray

    @property
    def size(self) -> int:
        """Number of touches."""
        return int(self.person.size)


def plan_touches(
    rng: np.random.Generator,
    journeys: SimulatedJourneys,
    touch_time: IntArray,
    population: Population,
    devices: Devices,
) -> Touches:
    """Decide everything about every touch at once."""
    journey = journeys.touch_journey
    person = journeys.person[journey]
    persona = population.persona[person]
    channel = journeys.touch_channel
    size = channel.size
    step = np.arange(size) - journeys.first_touch[journey]
    converting = (step == journeys.touches[journey] - 1) & journeys.converted[journey]
    template = _templates(rng, channel, converting)
    web = template == Template.WEB

    slot = np.full(size, -1, dtype=np.int64)
    slot[web] = _device_slots(rng, channel[web], persona[web], devices.kind[person[web]])
    device_kind = np.where(slot >= 0, devices.kind[person, np.maximum(slot, 0)], -1)
    app = device_kind == APP

    journey_index = journeys.index[journey]
    nps = web & ~app & ~converting & (channel == CHANNEL_INDEX["Email"]) & (journey_index >= 1)
    nps &= rng.random(size) < NPS_SHARE
    landing_page = np.full(size, -1, dtype=np.int64)
    landing_page[web] = landing.landing_pages(rng, channel[web])
    landing_page[app] = PAGE_INDEX["/"]
    landing_page[nps] = NPS_PAGE
    referrer = np.full(size, -1, dtype=np.int64)
    on_site = web & ~app
    referrer[on_site] = landing.referrers(rng, channel[on_site], population.marketplace[person[on_site]])
    campaign = np.full(size, -1, dtype=np.int64)
    gclid = np.zeros(size, dtype=bool)
    campaign[on_site], gclid[on_site] = landing.campaigns(
        rng, channel[on_site], landing_page[on_site], population.home_store[person[on_site]], nps[on_site]
    )
    bounce_probability = np.where(landing_page == FLASH_SALE_PAGE, FLASH_SALE_BOUNCE, OTHER_BOUNCE)
    bounced = web & ~converting & ~nps & (rng.random(size) < bounce_probability)

    counts = _event_counts(rng, template, converting, bounced, nps)
    _add_identity_events(rng, counts, person, slot, web, bounced, devices, population)

    category = _categories(rng, persona)
    product = random_products(rng, category)
    low, high = (column("quantity")[:, i].astype(np.int64)[persona] for i in (0, 1))
    quantity = rng.integers(low, high + 1)
    price = np.array([p.price_idr for p in PRODUCTS], dtype=np.int64)
    sentiment, comment = _survey_answers(rng, persona)
    wa_topic = np.where(template == Template.WA_ORDER, ORDER_CHAT_TOPIC, rng.integers(0, ORDER_CHAT_TOPIC, size))
    call_topic = rng.integers(0, len(CALL_TOPICS), size)
    home = population.home_store[person]
    return Touches(
        person=person,
        journey=journey,
        journey_index=journey_index,
        channel=channel,
        time=touch_time,
        converting=converting,
        template=template,
        device_slot=slot,
        device_kind=device_kind,
        landing_page=landing_page,
        referrer=referrer,
        campaign=campaign,
        gclid=gclid,
        bounced=bounced,
        nps=nps,
        counts=counts,
        category=category,
        product=product,
        quantity=quantity,
        value_idr=price[product] * quantity,
        payment_method=rng.integers(0, len(PAYMENT_METHODS), size),
        topic=np.where(np.isin(template, (Template.CALL, Template.CALL_ORDER)), call_topic, wa_topic),
        agent=rng.integers(0, len(AGENTS), size),
        store=np.where(rng.random(size) < HOME_STORE_SHARE, home, 1 - home),
        messages=rng.integers(3, 26, size),
        duration_seconds=rng.integers(60, 901, size),
        sentiment_permille=sentiment,
        survey_comment=comment,
    )


def _templates(rng: np.random.Generator, channel: IntArray, converting: BoolArray) -> IntArray:
    template = np.full(channel.size, Template.WEB, dtype=np.int64)
    whatsapp = channel == CHANNEL_INDEX["WhatsApp"]
    chat = whatsapp & ~converting & (rng.random(channel.size) >= WHATSAPP_WEB_SHARE)
    template[chat] = Template.WA_CHAT
    template[whatsapp & converting] = Template.WA_ORDER
    template[(channel == CHANNEL_INDEX["Marketplace"]) & converting] = Template.MARKETPLACE_ORDER
    store = channel == CHANNEL_INDEX["Offline Store"]
    template[store] = np.where(converting[store], Template.STORE_ORDER, Template.STORE_VISIT)
    call = channel == CHANNEL_INDEX["Call Centre"]
    template[call] = np.where(converting[call], Template.CALL_ORDER, Template.CALL)
    return template


def _device_slots(rng: np.random.Generator, channel: IntArray, persona: IntArray, kinds: IntArray) -> IntArray:
    """Pick one of the person's devices, weighted by persona preference and the channel's device affinity."""
    known = np.maximum(kinds, 0)
    weights = device_odds_matrix()[persona[:, None], known] * AFFINITY[channel[:, None], known] * (kinds >= 0)
    cumulative = np.cumsum(weights, axis=1)
    return sample_rows(cumulative / cumulative[:, -1:], rng.random(channel.size))


def _event_counts(
    rng: np.random.Generator, template: IntArray, converting: BoolArray, bounced: BoolArray, nps: BoolArray
) -> npt.NDArray[np.int16]:
    size = template.size
    counts = np.zeros((size, KIND_COUNT), dtype=np.int16)
    web = template == Template.WEB
    funnel = web & ~converting & ~bounced & ~nps
    closing = web & converting
    counts[web, EventKind.LANDING] = 1
    counts[nps, EventKind.NPS_SURVEY] = 1
    # Exactly one more page after landing: a visit that did not bounce has two page views.
    counts[:, EventKind.BROWSE] = nps | funnel | closing
    p = FUNNEL_STEP_PROBABILITIES
    viewed = funnel & (rng.random(size) < p["Product Viewed"])
    added = viewed & (rng.random(size) < p["Product Added"])
    checkout = added & (rng.random(size) < p["Checkout Started"])
    payment = checkout & (rng.random(size) < p["Payment Info Entered"])
    counts[:, EventKind.PRODUCT_VIEWED] = viewed | closing
    counts[:, EventKind.PRODUCT_ADDED] = added | closing
    counts[:, EventKind.CHECKOUT_STARTED] = checkout | closing
    counts[:, EventKind.PAYMENT_INFO_ENTERED] = payment | closing
    counts[:, EventKind.ORDER_COMPLETED] = closing
    counts[:, EventKind.CSAT_SURVEY] = closing & (rng.random(size) < CSAT_SHARE)
    single = {
        Template.WA_CHAT: (EventKind.WA_CHAT,),
        Template.WA_ORDER: (EventKind.WA_CHAT, EventKind.WA_ORDER),
        Template.MARKETPLACE_ORDER: (EventKind.MARKETPLACE_ORDER,),
        Template.STORE_VISIT: (EventKind.STORE_VISIT,),
        Template.STORE_ORDER: (EventKind.STORE_ORDER,),
        Template.CALL: (EventKind.CALL,),
        Template.CALL_ORDER: (EventKind.CALL_ORDER,),
    }
    for kind_template, kinds in single.items():
        for kind in kinds:
            counts[template == kind_template, kind] = 1
    return counts


def _add_identity_events(
    rng: np.random.Generator,
    counts: npt.NDArray[np.int16],
    person: IntArray,
    slot: IntArray,
    web: BoolArray,
    bounced: BoolArray,
    devices: Devices,
    population: Population,
) -> None:
    """Each device used gets one identify (or alias) in one of its sessions, not necessarily the first.

    The device of a person's first web touch always sends `identify` with e-mail and
    phone traits, which links their account to everything else they do; other devices
    of alias users send `alias` (previousId = the device's anonymousId) instead.
    """
    web_touches = np.flatnonzero(web)
    device = devices.global_id(person[web_touches], slot[web_touches])
    # Prefer a session that did not bounce, so that bounced sessions stay a single page view.
    preference = rng.random(web_touches.size) + bounced[web_touches]
    order = np.lexsort((preference, device))
    first_of_device = np.r_[True, device[order][1:] != device[order][:-1]]
    chosen = web_touches[order[first_of_device]]
    _, first_web = np.unique(person[web_touches], return_index=True)
    primary = np.full(population.size, -1, dtype=np.int64)
    primary[person[web_touches[first_web]]] = device[first_web]
    chosen_device = devices.global_id(person[chosen], slot[chosen])
    alias = population.alias_user[person[chosen]] & (chosen_device != primary[person[chosen]])
    counts[chosen[~alias], EventKind.IDENTIFY] = 1
    counts[chosen[alias], EventKind.ALIAS] = 1


def _categories(rng: np.random.Generator, persona: IntArray) -> IntArray:
    return sample_rows(np.cumsum(category_matrix(), axis=1)[persona], rng.random(persona.size))


def random_products(rng: np.random.Generator, category: IntArray) -> IntArray:
    """A product of the touch's category, uniformly."""
    by_category = [np.array([i for i, p in enumerate(PRODUCTS) if p.category == c]) for c in CATEGORIES]
    sizes = np.array([len(products) for products in by_category])
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.concatenate(by_category)
    chosen = flat[first[category] + (rng.random(category.size) * sizes[category]).astype(np.int64)]
    return np.asarray(chosen, dtype=np.int64)


def _survey_answers(rng: np.random.Generator, persona: IntArray) -> tuple[IntArray, IntArray]:
    """A survey sentiment per touch (per mille) and a comment of the matching tone."""
    satisfaction = np.array([p.satisfaction for p in PERSONAS])[persona]
    sentiment = np.clip(rng.normal(satisfaction, 0.25), 0.0, 1.0)
    band = np.digitize(sentiment, [0.4, 0.7])
    language = np.where(rng.random(persona.size) < 0.8, "id", "en")
    comment = np.zeros(persona.size, dtype=np.int64)
    comment_band = np.asarray(COMMENT_BAND)
    comment_language = np.asarray(COMMENT_LANGUAGE)
    for b in range(3):
        for lang in ("id", "en"):
            rows = (band == b) & (language == lang)
            options = np.flatnonzero((comment_band == b) & (comment_language == lang))
            comment[rows] = options[rng.integers(0, options.size, int(rows.sum()))]
    return np.round(sentiment * 1000).astype(np.int64), comment
