"""The `properties` JSON of each event, built kind by kind from fixed templates.

Every event kind has a fixed list of properties (the Segment e-commerce spec for
the web shop's events), so each kind's rows are rendered with one concatenation
and no per-row branching; page views, identify and alias have none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.synth import text
from jejak.synth.catalogue import (
    AGENTS,
    CALL_TOPICS,
    COMMENT_LANGUAGE,
    COMMENT_TEXTS,
    CURRENCY,
    PAYMENT_METHODS,
    PRODUCTS,
    STORES,
    WHATSAPP_TOPICS,
)
from jejak.synth.kinds import EventKind
from jejak.synth.render import Renderer, RowView

IntArray = npt.NDArray[np.int64]

# The properties of each event kind, in order; revenue and currency only go into Segment messages
# (the CSV and Parquet files have revenue and currency columns).
FIELDS: dict[EventKind, tuple[str, ...]] = {
    EventKind.PRODUCT_VIEWED: ("product_id", "name", "category", "price"),
    EventKind.PRODUCT_ADDED: ("product_id", "name", "category", "price", "quantity"),
    EventKind.CHECKOUT_STARTED: ("order_id", "value"),
    EventKind.PAYMENT_INFO_ENTERED: ("order_id", "payment_method"),
    EventKind.ORDER_COMPLETED: ("order_id", "product_id", "category", "quantity", "revenue", "currency", "payment_method"),
    EventKind.NPS_SURVEY: ("survey", "score", "comment", "language"),
    EventKind.CSAT_SURVEY: ("survey", "score", "comment", "language"),
    EventKind.WA_CHAT: ("topic", "messages", "agent"),
    EventKind.WA_ORDER: ("order_id", "product_id", "category", "quantity", "revenue", "currency", "messages", "agent"),
    # Marketplace orders are numbered by the marketplace: their invoice is the event id, not an order_id here.
    EventKind.MARKETPLACE_ORDER: ("product_id", "category", "quantity", "revenue", "currency"),
    EventKind.STORE_VISIT: ("store",),
    EventKind.STORE_ORDER: ("order_id", "product_id", "category", "quantity", "revenue", "currency", "store"),
    EventKind.CALL: ("topic", "duration_seconds", "agent"),
    EventKind.CALL_ORDER: ("order_id", "product_id", "category", "quantity", "revenue", "currency", "duration_seconds", "agent"),
}  # fmt: skip
SEGMENT_ONLY_FIELDS = ("revenue", "currency")

_PRODUCT_ID = text.vocabulary([p.product_id for p in PRODUCTS])
_PRODUCT_NAME = text.vocabulary([p.name for p in PRODUCTS])
_PRODUCT_CATEGORY = text.vocabulary([p.category for p in PRODUCTS])
_PRODUCT_PRICE = np.array([p.price_idr for p in PRODUCTS], dtype=np.int64)
_TOPIC = text.vocabulary(WHATSAPP_TOPICS + CALL_TOPICS)
_STORE = text.vocabulary(STORES)
_AGENT = text.vocabulary(AGENTS)
_PAYMENT = text.vocabulary(PAYMENT_METHODS)
_COMMENT = text.vocabulary(COMMENT_TEXTS)
_LANGUAGE = text.vocabulary(COMMENT_LANGUAGE)
_SURVEY = text.vocabulary(["nps", "csat"])
_CURRENCY = text.vocabulary([CURRENCY])


def properties_json(renderer: Renderer, v: RowView, *, with_revenue: bool) -> Any:
    """The `properties` JSON of each row (null for page views, identify and alias)."""
    pieces, positions = [], []
    for kind, fields in FIELDS.items():
        where = np.flatnonzero(v.kind == kind)
        if where.size == 0:
            continue
        sub = v.subset(where)
        parts: list[Any] = []
        for name in fields:
            if name in SEGMENT_ONLY_FIELDS and not with_revenue:
                continue
            values, quoted = _property(renderer, name, sub)
            parts.append(("," if parts else "{") + f'"{name}":' + ('"' if quoted else ""))
            parts.append(values)
            if quoted:
                parts.append('"')
        pieces.append(text.concat(*parts, "}"))
        positions.append(where)
    return text.assemble(pieces, positions, len(v))


def _property(renderer: Renderer, name: str, v: RowView) -> tuple[Any, bool]:
    """One property of rows that all have it: the values and whether they are JSON strings."""
    touches = renderer.touches
    numbers: dict[str, Callable[[], IntArray]] = {
        "price": lambda: _PRODUCT_PRICE[v.product],
        "quantity": lambda: touches.quantity[v.touch],
        "value": lambda: touches.value_idr[v.touch],
        "revenue": lambda: touches.value_idr[v.touch],
        "messages": lambda: touches.messages[v.touch],
        "duration_seconds": lambda: touches.duration_seconds[v.touch],
        "score": lambda: scores(v.kind, touches.sentiment_permille[v.touch]),
    }
    if name in numbers:
        return text.numbers(numbers[name]()), False
    # Call-centre topics follow the WhatsApp topics in the topic vocabulary.
    topic_offset = np.where(v.kind == EventKind.CALL, len(WHATSAPP_TOPICS), 0)
    strings: dict[str, Callable[[], Any]] = {
        "product_id": lambda: text.pick(_PRODUCT_ID, v.product),
        "name": lambda: text.pick(_PRODUCT_NAME, v.product),
        "category": lambda: text.pick(_PRODUCT_CATEGORY, v.product),
        "order_id": lambda: renderer.order_ids(v),
        "currency": lambda: text.pick(_CURRENCY, np.zeros(len(v), dtype=np.int64)),
        "payment_method": lambda: text.pick(_PAYMENT, touches.payment_method[v.touch]),
        "store": lambda: text.pick(_STORE, touches.store[v.touch]),
        "topic": lambda: text.pick(_TOPIC, touches.topic[v.touch] + topic_offset),
        "agent": lambda: text.pick(_AGENT, touches.agent[v.touch]),
        "survey": lambda: text.pick(_SURVEY, np.where(v.kind == EventKind.NPS_SURVEY, 0, 1)),
        "comment": lambda: text.pick(_COMMENT, touches.survey_comment[v.touch]),
        "language": lambda: text.pick(_LANGUAGE, touches.survey_comment[v.touch]),
    }
    return strings[name](), True


def scores(kind: IntArray, sentiment_permille: IntArray) -> IntArray:
    """NPS 0-10 on NPS rows, CSAT 1-5 elsewhere, from a sentiment per mille."""
    nps = np.round(sentiment_permille / 100)
    csat = 1 + np.round(sentiment_permille * 4 / 1000)
    return np.asarray(np.where(kind == EventKind.NPS_SURVEY, nps, csat), dtype=np.int64)
