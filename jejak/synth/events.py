"""Expand touches into events: one row per event with its kind, time, page, product and identifiers.

Events of a touch follow each other 1 s to a few minutes apart and never span
more than 25 minutes, and touches are at least two hours apart, so a 30-minute
session gap finds every touch again as exactly one session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jejak.synth.catalogue import (
    BROWSE_PAGES,
    CART_PAGE,
    CATEGORIES,
    CATEGORY_PAGE,
    CHECKOUT_PAGE,
    NPS_THANKS_PAGE,
    ORDER_DONE_PAGE,
)
from jejak.synth.devices import APP, MAX_DEVICES
from jejak.synth.identities import EMAIL_CASE_WEIGHTS, PHONE_FORMAT_WEIGHTS, PHONE_FORMATS, draw_formats
from jejak.synth.kinds import DEVICE_KINDS, KIND_COUNT, EventKind, is_kind
from jejak.synth.population import Population
from jejak.synth.touches import Touches, random_products

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MAX_TOUCH_SECONDS = 25 * 60
SHOP_PHONE_FORMAT = len(PHONE_FORMATS)  # phone_format code of the shop's own number
SHOP_PHONE_MIN_MEMBERS = 25
SHOP_PHONE_MEMBER_SHARE = 0.02  # of the members who could carry it
_EMAIL_KINDS = (EventKind.IDENTIFY, EventKind.NPS_SURVEY, EventKind.CSAT_SURVEY)
_PHONE_KINDS = (
    EventKind.IDENTIFY,
    EventKind.WA_CHAT,
    EventKind.WA_ORDER,
    EventKind.MARKETPLACE_ORDER,
    EventKind.STORE_VISIT,
    EventKind.STORE_ORDER,
    EventKind.CALL,
    EventKind.CALL_ORDER,
)


@dataclass(frozen=True)
class Events:
    """Per event, ordered by touch then position in the touch (not by time across people)."""

    touch: IntArray
    kind: IntArray
    time: IntArray  # epoch seconds, UTC
    page: IntArray  # index into catalogue.PAGES, -1 for none
    product: IntArray  # index into catalogue.PRODUCTS, -1 for none
    device: IntArray  # global device id (person * MAX_DEVICES + slot), -1 for none
    is_app: BoolArray
    has_user_id: BoolArray  # carries the person's account (web, app) or loyalty (store) id
    email_case: IntArray  # -1 when the event carries no e-mail
    phone_format: IntArray  # -1 when the event carries no phone; SHOP_PHONE_FORMAT for the shop's number

    @property
    def size(self) -> int:
        """Number of events."""
        return int(self.kind.size)

    def time_order(self) -> IntArray:
        """Event positions sorted by time (ties keep touch order)."""
        return np.argsort(self.time, kind="stable").astype(np.int64)


def expand(rng: np.random.Generator, touches: Touches, population: Population) -> Events:
    """Turn touch plans into events."""
    counts = touches.counts
    per_touch = counts.sum(axis=1, dtype=np.int64)
    touch_start = np.concatenate([[0], np.cumsum(per_touch)[:-1]])
    total = int(per_touch.sum())
    touch = np.repeat(np.arange(touches.size, dtype=np.int64), per_touch)
    kind = np.empty(total, dtype=np.int64)
    before = touch_start.copy()  # next free position of each touch, kind by kind
    for k in range(KIND_COUNT):
        having = np.flatnonzero(counts[:, k])
        repeats = counts[having, k].astype(np.int64)
        owner = np.repeat(having, repeats)
        within = np.arange(owner.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        kind[before[owner] + within] = k
        before[having] += repeats
    time = touches.time[touch] + _offsets(rng, kind, touch, touch_start)
    device = np.where(
        is_kind(kind, DEVICE_KINDS) & (touches.device_slot[touch] >= 0),
        touches.person[touch] * MAX_DEVICES + touches.device_slot[touch],
        -1,
    )
    is_app = (touches.device_kind[touch] == APP) & (device >= 0)
    has_user_id = _user_id_known(kind, time, device, is_app, population.size)
    store_row = is_kind(kind, (EventKind.STORE_VISIT, EventKind.STORE_ORDER))
    has_user_id |= store_row & population.member[touches.person[touch]]
    has_user_id |= kind == EventKind.MARKETPLACE_ORDER
    email_case = np.where(is_kind(kind, _EMAIL_KINDS), draw_formats(rng, total, EMAIL_CASE_WEIGHTS), -1)
    phone_format = np.where(is_kind(kind, _PHONE_KINDS), draw_formats(rng, total, PHONE_FORMAT_WEIGHTS), -1)
    _plant_shop_phone(rng, phone_format, kind, touch, touches, population)
    return Events(
        touch=touch,
        kind=kind,
        time=time,
        page=_pages(rng, kind, touch, touches),
        product=_event_products(rng, kind, touch, touches),
        device=device,
        is_app=is_app,
        has_user_id=has_user_id,
        email_case=email_case,
        phone_format=phone_format,
    )


def _offsets(rng: np.random.Generator, kind: IntArray, touch: IntArray, touch_start: IntArray) -> IntArray:
    """Seconds from the touch's first event: strictly increasing, at most MAX_TOUCH_SECONDS."""
    gap = np.minimum(5 + rng.exponential(45.0, kind.size), 240.0)
    # identify and alias fire as the page loads; a chat order comes minutes into the chat; CSAT right after the order.
    for kinds, low, high in (
        ((EventKind.IDENTIFY, EventKind.ALIAS), 1, 5),
        ((EventKind.WA_ORDER,), 120, 1200),
        ((EventKind.CSAT_SURVEY,), 20, 300),
    ):
        where = np.flatnonzero(is_kind(kind, kinds))
        gap[where] = rng.uniform(low, high, where.size)
    gap[touch_start] = 0.0
    total = np.bincount(touch, weights=gap)
    # Shrink the longest touches; one second per event of rounding headroom keeps them under the cap.
    scale = np.minimum(1.0, (MAX_TOUCH_SECONDS - 20) / np.maximum(total, 1.0))[touch]
    whole = np.maximum(1, np.floor(gap * scale)).astype(np.int64)
    whole[touch_start] = 0
    running = np.cumsum(whole)
    return np.asarray(running - running[touch_start[touch]], dtype=np.int64)


def _user_id_known(kind: IntArray, time: IntArray, device: IntArray, is_app: BoolArray, people: int) -> BoolArray:
    """The app is always logged in; a browser knows the user from its identify or alias on."""
    linked_at = np.full(people * MAX_DEVICES, np.iinfo(np.int64).max, dtype=np.int64)
    linking = is_kind(kind, (EventKind.IDENTIFY, EventKind.ALIAS))
    linked_at[device[linking]] = time[linking]
    on_device = device >= 0
    known = np.zeros(kind.size, dtype=bool)
    known[on_device] = is_app[on_device] | (time[on_device] >= linked_at[device[on_device]])
    return known


def _pages(rng: np.random.Generator, kind: IntArray, touch: IntArray, touches: Touches) -> IntArray:
    page = np.full(kind.size, -1, dtype=np.int64)
    at_landing = is_kind(kind, (EventKind.LANDING, EventKind.IDENTIFY, EventKind.ALIAS))
    page[at_landing] = touches.landing_page[touch[at_landing]]
    browse = kind == EventKind.BROWSE
    choices = np.asarray(BROWSE_PAGES)
    page[browse] = np.where(
        touches.nps[touch[browse]], NPS_THANKS_PAGE, choices[rng.integers(0, choices.size, int(browse.sum()))]
    )
    category_page = np.array([CATEGORY_PAGE[c] for c in CATEGORIES])
    on_product = is_kind(kind, (EventKind.PRODUCT_VIEWED, EventKind.PRODUCT_ADDED))
    page[on_product] = category_page[touches.category[touch[on_product]]]
    page[kind == EventKind.CHECKOUT_STARTED] = CART_PAGE
    page[kind == EventKind.PAYMENT_INFO_ENTERED] = CHECKOUT_PAGE
    page[kind == EventKind.ORDER_COMPLETED] = ORDER_DONE_PAGE
    return page


def _event_products(rng: np.random.Generator, kind: IntArray, touch: IntArray, touches: Touches) -> IntArray:
    """The touch's product on cart and order events; product views also browse its siblings."""
    product = np.full(kind.size, -1, dtype=np.int64)
    with_product = is_kind(
        kind,
        (
            EventKind.PRODUCT_ADDED,
            EventKind.CHECKOUT_STARTED,
            EventKind.PAYMENT_INFO_ENTERED,
            EventKind.ORDER_COMPLETED,
            EventKind.WA_ORDER,
            EventKind.MARKETPLACE_ORDER,
            EventKind.STORE_ORDER,
            EventKind.CALL_ORDER,
        ),
    )
    product[with_product] = touches.product[touch[with_product]]
    # Product views also browse the other products of the touch's category.
    viewed = np.flatnonzero(kind == EventKind.PRODUCT_VIEWED)
    product[viewed] = random_products(rng, touches.category[touch[viewed]])
    return product


def _plant_shop_phone(
    rng: np.random.Generator,
    phone_format: IntArray,
    kind: IntArray,
    touch: IntArray,
    touches: Touches,
    population: Population,
) -> None:
    """Cashiers type the shop's own phone on one purchase of some members.

    Only members with another store row (carrying their real phone and the same
    member id) are chosen, so correct identity resolution still finds one person each.
    """
    person = touches.person[touch]
    store_rows = np.flatnonzero(
        is_kind(kind, (EventKind.STORE_VISIT, EventKind.STORE_ORDER)) & population.member[person]
    )
    rows_per_member = np.bincount(person[store_rows], minlength=population.size)
    purchases = store_rows[kind[store_rows] == EventKind.STORE_ORDER]
    eligible = purchases[rows_per_member[person[purchases]] >= 2]
    # One purchase per member: shuffle, then keep each member's first.
    shuffled = eligible[rng.permutation(eligible.size)]
    _, first = np.unique(person[shuffled], return_index=True)
    candidates = shuffled[np.sort(first)]
    wanted = max(SHOP_PHONE_MIN_MEMBERS, int(np.ceil(SHOP_PHONE_MEMBER_SHARE * candidates.size)))
    chosen = candidates[:wanted]
    phone_format[chosen] = SHOP_PHONE_FORMAT
