"""Refunds subtracted from the revenue of the orders they name.

A refund event (the `refund_events` setting: `Order Refunded`, as Segment's e-commerce spec and GA4's `refund` are
imported) names its order in `properties.order_id` (Segment) or `properties.transaction_id` (GA4). An order is a
conversion, known by the same properties, else by its event id (a shop's or a till's export maps its order
number there; `ingest.orders` reads order ids, for the import too). The refund's amount (its revenue, a minus sign
or none) is subtracted from that conversion's revenue, never below zero, so the conversions, journeys, paths and
every attribution model count revenue net of refunds, as GA4's purchase revenue does. The conversion still counts:
the order was placed.

An order's own row may say what was refunded of it: Shopify's orders export gives a partially refunded order's
`Refunded Amount`, TikTok Shop's its `Order Refund Amount`, imported as the order's `properties.refunded_revenue`
(`core.vocabulary.REFUNDED_PROPERTY`). That amount is what was refunded of the order to date, so it already holds
every refund of it: an order with both gives back the larger of the two, its stated amount or its refund events'
sum, never both. A refund event without an amount of its own (no revenue) gives back its stated one.

A refund is subtracted only when exactly one conversion has the id it names. Each refund's outcome is kept in the
`refunds` table, so a report can say what was not subtracted and why:

- `subtracted`: from the one conversion with its order id;
- `stated_on_order`: an order's own statement (its `refund_event_id` is the order's event id, its `refunded_at`
  NULL: the row does not say when);
- `no_order_id`: it names no order (an order exported with the status refunded is such an event: it never was a
  conversion, so nothing is subtracted);
- `order_not_found`: no conversion has the id (the order was not imported, or under another id);
- `several_orders`: more than one conversion has it (two tills numbering their receipts from 1).

Example:
    >>> import datetime as dt, ibis, pyarrow as pa
    >>> from jejak.engine import connect
    >>> at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    >>> members = pa.array([[("order_id", "A1")], [("order_id", "B9")], []], pa.map_(pa.string(), pa.string()))
    >>> refund_events = ibis.memtable(pa.table({"event_id": ["r1", "r2", "r3"], "timestamp": [at] * 3,
    ...     "revenue": [-50.0, 10.0, 5.0], "members": members}))
    >>> orders = ibis.memtable(pa.table({"conversion_event_id": ["A1", "A2"], "order_id": ["A1", "A2"],
    ...     "stated_refund": [None, 20.0]}))
    >>> rows = connect().to_pyarrow(match_refunds(refund_rows(refund_events), orders)).to_pylist()
    >>> for row in sorted((row["refund_event_id"], row["outcome"], row["amount"]) for row in rows):
    ...     print(row)
    ('A2', 'stated_on_order', 20.0)
    ('r1', 'subtracted', 50.0)
    ('r2', 'order_not_found', 10.0)
    ('r3', 'no_order_id', 5.0)
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.core.vocabulary import REFUNDED_PROPERTY
from jejak.ingest.orders import conversion_order_id, named_order_id

SUBTRACTED, STATED_ON_ORDER, NO_ORDER_ID, ORDER_NOT_FOUND, SEVERAL_ORDERS = (
    "subtracted",
    "stated_on_order",
    "no_order_id",
    "order_not_found",
    "several_orders",
)
REFUND_OUTCOMES = (SUBTRACTED, STATED_ON_ORDER, NO_ORDER_ID, ORDER_NOT_FOUND, SEVERAL_ORDERS)
# A stated amount is read only when it is a plain number (the import writes it so; a property mapped by hand may not).
_PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"


def stated_refund(members: ir.MapValue) -> ir.FloatingValue:
    """What an event's properties (as a map of texts) say was refunded of its order (REFUNDED_PROPERTY), positive
    whichever sign it was written with; NULL when they say nothing, 0, or no plain number."""
    written = members.get(REFUNDED_PROPERTY).strip()
    amount = ibis.ifelse(written.re_search(_PLAIN_NUMBER), written.cast("float64").abs(), ibis.null("float64"))
    stated: ir.FloatingValue = amount.nullif(0.0)
    return stated


def refund_rows(refund_events: ir.Table) -> ir.Table:
    """One row per refund event (`event_id`, `timestamp`, `revenue`, `members`: its properties as a map of texts):
    the order it names and its amount, positive whichever sign the file gave it: its revenue, else the refunded
    amount its properties state (a returns file's `Refunded Amount` read so), else 0."""
    own = refund_events.revenue.abs().nullif(0.0)
    return refund_events.select(
        refund_event_id=refund_events.event_id,
        refunded_at=refund_events.timestamp,
        order_id=named_order_id(refund_events.members),
        amount=ibis.coalesce(own, stated_refund(refund_events.members), 0.0),
    )


def conversion_orders(conversion_events: ir.Table) -> ir.Table:
    """Each conversion's order id (`event_id`, `members` of the conversion events): the one its properties name,
    else its event id; and what its own row says was refunded of it (`stated_refund`, NULL for most)."""
    return conversion_events.select(
        conversion_event_id=conversion_events.event_id,
        order_id=conversion_order_id(conversion_events.event_id, conversion_events.members),
        stated_refund=stated_refund(conversion_events.members),
    )


def match_refunds(refunds: ir.Table, orders: ir.Table) -> ir.Table:
    """The refunds (`refund_rows`) with the conversion each is subtracted from (`conversion_event_id`, NULL when
    none) and why (`outcome`, one of REFUND_OUTCOMES), and a row for each order (`conversion_orders`) whose own row
    states a refund."""
    per_order = orders.group_by(found_order_id=orders.order_id).aggregate(
        orders=orders.count(), only_event_id=orders.conversion_event_id.min()
    )
    joined = refunds.left_join(per_order, refunds.order_id == per_order.found_order_id)
    outcome = ibis.cases(
        (joined.order_id.isnull(), NO_ORDER_ID),
        (joined.orders.isnull(), ORDER_NOT_FOUND),
        (joined.orders > 1, SEVERAL_ORDERS),
        else_=SUBTRACTED,
    )
    events = joined.select(
        "refund_event_id",
        "refunded_at",
        "order_id",
        "amount",
        conversion_event_id=ibis.ifelse(joined.orders == 1, joined.only_event_id, ibis.null("string")),
        outcome=outcome,
    )
    stated = orders.filter(orders.stated_refund.notnull())
    on_orders = stated.select(
        refund_event_id=stated.conversion_event_id,
        refunded_at=ibis.null(refunds.refunded_at.type()),
        order_id=stated.order_id,
        amount=stated.stated_refund,
        conversion_event_id=stated.conversion_event_id,
        outcome=ibis.literal(STATED_ON_ORDER),
    )
    return events.union(on_orders)


def net_of_refunds(converted: ir.Table, matched: ir.Table) -> ir.Table:
    """The conversions with `gross_revenue` (as the event gave it), `refunded_revenue` (the refunds subtracted from
    it, at most all of it) and `revenue` net of them. `matched` is `match_refunds`' table."""
    subtracted = matched.filter(matched.outcome.isin((SUBTRACTED, STATED_ON_ORDER)))
    per_conversion = subtracted.group_by(refund_conversion_event_id=subtracted.conversion_event_id).aggregate(
        events_total=subtracted.amount.sum(where=subtracted.outcome == SUBTRACTED),
        stated_total=subtracted.amount.sum(where=subtracted.outcome == STATED_ON_ORDER),
    )
    joined = converted.left_join(
        per_conversion, converted.conversion_event_id == per_conversion.refund_conversion_event_id
    )
    # What the order's row states was refunded of it to date holds its refund events too: the larger, not both.
    given_back = ibis.greatest(joined.events_total.fill_null(0.0), joined.stated_total.fill_null(0.0))
    # Never below zero: a refund larger than the order (or one counted twice) takes no more than the order brought.
    refunded = ibis.ifelse(given_back > joined.revenue, joined.revenue, given_back)
    return joined.mutate(
        revenue=joined.revenue - refunded, gross_revenue=joined.revenue, refunded_revenue=refunded
    ).drop("refund_conversion_event_id", "events_total", "stated_total")
