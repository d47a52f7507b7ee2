"""The kinds of synthetic event, in the order they occur inside one touch, and the file each lands in.

A touch's events are written kind by kind in this order, so the enum's order is
the order of events within a session (landing first, survey answers last).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt


class EventKind(IntEnum):
    """What one event is; the value orders events inside a touch."""

    LANDING = 0  # first page or screen view of a web or app touch
    IDENTIFY = 1
    ALIAS = 2
    NPS_SURVEY = 3
    BROWSE = 4  # further page or screen views
    PRODUCT_VIEWED = 5
    PRODUCT_ADDED = 6
    CHECKOUT_STARTED = 7
    PAYMENT_INFO_ENTERED = 8
    ORDER_COMPLETED = 9  # web shop or app order
    CSAT_SURVEY = 10
    WA_CHAT = 11
    WA_ORDER = 12
    MARKETPLACE_ORDER = 13
    STORE_VISIT = 14
    STORE_ORDER = 15
    CALL = 16
    CALL_ORDER = 17


KIND_COUNT = len(EventKind)
WEB_APP_FILE = "web_app.jsonl"
MARKETPLACE_FILE = "marketplace_orders.csv"
WHATSAPP_FILE = "whatsapp_chats.csv"
STORE_FILE = "store_visits.csv"
CALL_FILE = "call_centre.csv"
SURVEY_FILE = "surveys.csv"
MIXED_FILES = (WEB_APP_FILE, MARKETPLACE_FILE, WHATSAPP_FILE, STORE_FILE, CALL_FILE, SURVEY_FILE)


@dataclass(frozen=True)
class KindInfo:
    """How an event kind is written: its event type, name and (mixed format) file."""

    type: str  # "page" means page on the web and screen in the app
    event: str  # "" means the page or screen name
    file: str


KINDS: dict[EventKind, KindInfo] = {
    EventKind.LANDING: KindInfo("page", "", WEB_APP_FILE),
    EventKind.IDENTIFY: KindInfo("identify", "Identify", WEB_APP_FILE),
    EventKind.ALIAS: KindInfo("alias", "Alias", WEB_APP_FILE),
    EventKind.NPS_SURVEY: KindInfo("track", "Survey Answered", SURVEY_FILE),
    EventKind.BROWSE: KindInfo("page", "", WEB_APP_FILE),
    EventKind.PRODUCT_VIEWED: KindInfo("track", "Product Viewed", WEB_APP_FILE),
    EventKind.PRODUCT_ADDED: KindInfo("track", "Product Added", WEB_APP_FILE),
    EventKind.CHECKOUT_STARTED: KindInfo("track", "Checkout Started", WEB_APP_FILE),
    EventKind.PAYMENT_INFO_ENTERED: KindInfo("track", "Payment Info Entered", WEB_APP_FILE),
    EventKind.ORDER_COMPLETED: KindInfo("track", "Order Completed", WEB_APP_FILE),
    EventKind.CSAT_SURVEY: KindInfo("track", "Survey Answered", SURVEY_FILE),
    EventKind.WA_CHAT: KindInfo("track", "wa_chat", WHATSAPP_FILE),
    EventKind.WA_ORDER: KindInfo("track", "Order Completed", WHATSAPP_FILE),
    EventKind.MARKETPLACE_ORDER: KindInfo("track", "Order Completed", MARKETPLACE_FILE),
    EventKind.STORE_VISIT: KindInfo("offline", "store_visit", STORE_FILE),
    EventKind.STORE_ORDER: KindInfo("offline", "Order Completed", STORE_FILE),
    EventKind.CALL: KindInfo("offline", "call_centre_call", CALL_FILE),
    EventKind.CALL_ORDER: KindInfo("offline", "Order Completed", CALL_FILE),
}
ORDER_KINDS = (
    EventKind.ORDER_COMPLETED,
    EventKind.WA_ORDER,
    EventKind.MARKETPLACE_ORDER,
    EventKind.STORE_ORDER,
    EventKind.CALL_ORDER,
)
PAGE_KINDS = (EventKind.LANDING, EventKind.BROWSE)
# Kinds sent by the web shop or the app (they carry a device and its anonymous id).
DEVICE_KINDS = tuple(kind for kind, info in KINDS.items() if info.file == WEB_APP_FILE)
FUNNEL_STEPS = (
    EventKind.PRODUCT_VIEWED,
    EventKind.PRODUCT_ADDED,
    EventKind.CHECKOUT_STARTED,
    EventKind.PAYMENT_INFO_ENTERED,
    EventKind.ORDER_COMPLETED,
)


def is_kind(kinds: npt.NDArray[np.int64], chosen: Iterable[EventKind]) -> npt.NDArray[np.bool_]:
    """Rows whose kind is one of `chosen` (a table lookup: faster than np.isin on millions of rows)."""
    lookup = np.zeros(KIND_COUNT, dtype=bool)
    lookup[[int(kind) for kind in chosen]] = True
    return np.asarray(lookup[kinds])
