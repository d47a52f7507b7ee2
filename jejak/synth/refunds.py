"""Refunds: a planted share of the web shop's and the app's orders comes back days later.

The shop's server sends each refund as a Segment `Order Refunded` track call: the order's userId (its anonymousId
when the order was placed before the browser logged in), the order it names in `order_id`, and the amount given back
in `total` (IDR): the whole order, or, for some orders of more than one item, one item's price. Refunds belong to no
touch: they are written after the touches' events (to `web_app.jsonl`, or the one canonical file), carry nothing of
where they came from, and a build subtracts each from its order's revenue without making it a visit.

Example:
    >>> import tempfile, pathlib, json
    >>> from jejak.synth import generate
    >>> result = generate(pathlib.Path(tempfile.mkdtemp()), events=20_000, seed=3, bad_rows=False)
    >>> planted = json.loads((result.truth_dir / "params.json").read_text())["refunds"]
    >>> planted["refunds"] > 0 and planted["refunded_revenue"] > 0
    True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jejak.synth import text
from jejak.synth.catalogue import CURRENCY
from jejak.synth.kinds import EventKind
from jejak.synth.render import Renderer

IntArray = npt.NDArray[np.int64]

REFUND_EVENT = "Order Refunded"  # Segment's e-commerce spec, and jejak's default `refund_events`
REFUND_SHARE = 0.03  # of the web shop's and the app's orders
PARTIAL_SHARE = 0.5  # of refunded orders of more than one item: one item comes back, not the order
DELAY_DAYS = (2, 14)  # the refund's time after its order, inclusive
_DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Refunds:
    """The planted refunds, in time order."""

    order_row: IntArray  # position in `Events` of the refunded `Order Completed`
    time: IntArray  # epoch seconds, UTC
    amount_idr: IntArray

    @property
    def size(self) -> int:
        """Number of refunds."""
        return int(self.order_row.size)

    def by_touch(self, renderer: Renderer) -> IntArray:
        """IDR refunded per touch: a touch has at most one order, so at most one refund."""
        refunded = np.zeros(renderer.touches.size, dtype=np.int64)
        refunded[renderer.events.touch[self.order_row]] = self.amount_idr
        return refunded

    def summary(self, renderer: Renderer) -> dict[str, Any]:
        """What `params.json` says of them."""
        full = self.amount_idr == renderer.touches.value_idr[renderer.events.touch[self.order_row]]
        return {
            "event": REFUND_EVENT,
            "share_of_web_and_app_orders": REFUND_SHARE,
            "partial_share_of_orders_of_several_items": PARTIAL_SHARE,
            "delay_days": list(DELAY_DAYS),
            "refunds": self.size,
            "full": int(full.sum()),
            "partial": int((~full).sum()),
            "refunded_revenue": int(self.amount_idr.sum()),
        }


def plan_refunds(rng: np.random.Generator, renderer: Renderer) -> Refunds:
    """Pick the refunded orders, when each comes back and how much of it."""
    events, touches = renderer.events, renderer.touches
    orders = np.flatnonzero(events.kind == EventKind.ORDER_COMPLETED)
    chosen = orders[rng.random(orders.size) < REFUND_SHARE]
    touch = events.touch[chosen]
    quantity = touches.quantity[touch]
    one_item = (quantity > 1) & (rng.random(chosen.size) < PARTIAL_SHARE)
    value = touches.value_idr[touch]
    amount = np.where(one_item, value // np.maximum(quantity, 1), value)
    delay = rng.integers(DELAY_DAYS[0] * _DAY_SECONDS, DELAY_DAYS[1] * _DAY_SECONDS + 1, chosen.size)
    time = events.time[chosen] + delay
    order = np.argsort(time, kind="stable")
    return Refunds(chosen[order], time[order], amount[order].astype(np.int64))


def _ids(renderer: Renderer, refunds: Refunds) -> tuple[Any, Any, Any, Any]:
    """Each refund's event id, the order's user id, its anonymous id where it has no user id, and the order id."""
    view = renderer.view(refunds.order_row)
    event_ids = text.hex_ids("rf-", text.mix64(refunds.order_row.astype(np.uint64), renderer.key + 5))
    user_ids = text.dense(renderer.user_ids(view))
    no_user_id = pc.is_null(user_ids).to_numpy(zero_copy_only=False)
    anonymous_ids = text.masked(text.dense(renderer.anonymous_ids(view)), no_user_id)
    return event_ids, user_ids, anonymous_ids, renderer.order_ids(view)


def refund_lines(renderer: Renderer, refunds: Refunds) -> Any:
    """One Segment message per refund, each ending with a newline; a server's call, so its time is UTC."""
    event_ids, user_ids, anonymous_ids, order_ids = _ids(renderer, refunds)
    properties = text.concat(
        '{"order_id":"', order_ids, '","total":', text.numbers(refunds.amount_idr), f',"currency":"{CURRENCY}"}}'
    )
    return text.concat_present(
        '{"type":"track","messageId":"',
        event_ids,
        '"',
        text.json_field("userId", user_ids),
        text.json_field("anonymousId", anonymous_ids),
        f',"event":"{REFUND_EVENT}"',
        text.json_field("properties", properties, quoted=False),
        text.json_field("timestamp", renderer.utc_timestamps(refunds.time)),
        "}\n",
    )


def refund_table(renderer: Renderer, refunds: Refunds, schema: Any) -> Any:
    """The refunds as rows of the canonical file whose chunks have `schema`; columns they don't fill are null."""
    event_ids, user_ids, anonymous_ids, order_ids = _ids(renderer, refunds)
    rows = refunds.size
    filled = {
        "event_id": event_ids,
        "timestamp": renderer.local_timestamps(refunds.time),
        "type": pa.array(["track"] * rows, pa.string()),
        "event": pa.array([REFUND_EVENT] * rows, pa.string()),
        "user_id": user_ids,
        "anonymous_id": anonymous_ids,
        "revenue": pa.array(refunds.amount_idr),
        "currency": pa.array([CURRENCY] * rows, pa.string()),
        "properties": text.concat('{"order_id":"', order_ids, '"}'),
    }
    columns = [filled[f.name].cast(f.type) if f.name in filled else pa.nulls(rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def followed_by_refunds(tables: Iterator[Any], renderer: Renderer, refunds: Refunds) -> Iterator[Any]:
    """The canonical file's chunks, then its refunds in a last chunk of the same schema."""
    schema = None
    for table in tables:
        schema = table.schema
        yield table
    if refunds.size and schema is not None:
        yield refund_table(renderer, refunds, schema)
