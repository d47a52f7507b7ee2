"""Orders as shops number them, and the customer of the order a refund names.

A refund names its order in `properties.order_id` (Segment) or `properties.transaction_id` (GA4); an order is a
conversion, known by the same properties, else by its event id (a shop's or a till's export maps its order number
there). Both the build (`journeys.refunds`, which subtracts a refund from its order) and the import (below) read
order ids so, with `order_number`.

A returns sheet (a till's refunds, a shop's list of returns) often names the order and no customer: the order's row
named them. Such a refund would be quarantined as naming no one (or, with `--keep-anonymous`, be a person of its own
who never bought). `order_owners` finds the one conversion whose order each refund names, so that the import gives
the refund that conversion's identifiers (`importer._give_refunds_their_customers`): the refund is then an event of
the order's customer, as it would be had the sheet named them.

Example:
    >>> import ibis, pyarrow as pa
    >>> from jejak.engine import connect
    >>> texts = pa.map_(pa.string(), pa.string())
    >>> named = [[("order_id", "1001.0")], [("order_id", "7")], [("transaction_id", "9")], []]
    >>> refunds = ibis.memtable(pa.table({"refund_row": [0, 1, 2, 3], "members": pa.array(named, texts)}))
    >>> orders = ibis.memtable(pa.table({"event_id": ["1001", "x1", "x2"],
    ...     "members": pa.array([[], [("order_id", "9")], [("order_id", "9")]], texts),
    ...     "user_id": ["budi", "ana", "sari"], "anonymous_id": [None] * 3, "email_hash": [None] * 3,
    ...     "phone_hash": [None] * 3}))
    >>> found = connect().to_pyarrow(order_owners(refunds, orders).order_by("refund_row"))
    >>> for row in found.select(["refund_row", "order_id", "orders", "user_id"]).to_pylist():
    ...     print(row)
    {'refund_row': 0, 'order_id': '1001', 'orders': 1, 'user_id': 'budi'}
    {'refund_row': 1, 'order_id': '7', 'orders': 0, 'user_id': None}
    {'refund_row': 2, 'order_id': '9', 'orders': 2, 'user_id': None}
    {'refund_row': 3, 'order_id': None, 'orders': 0, 'user_id': None}
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

# The properties that name an order, in the order they are read: Segment's e-commerce spec, then GA4's parameter.
ORDER_ID_PROPERTIES = ("order_id", "transaction_id")
# What says whose an event is (`identity.graph` joins them): what a refund takes from its order.
OWNER_COLUMNS = ("user_id", "anonymous_id", "email_hash", "phone_hash")


def order_number(written: ir.StringValue) -> ir.StringValue:
    """An order id as its shop numbers it, whichever file wrote it: trimmed (NULL when blank), and a whole number
    written as a float (`1001.0`, as pandas writes a column with gaps) or after a spreadsheet's text mark (`'1001`)
    is the number, as the importer reads a customer's id. A refunds sheet saved so still names order 1001."""
    trimmed = written.strip().nullif("")
    # No backreferences: DuckDB and Spark write them differently in a replacement.
    number: ir.StringValue = ibis.cases(
        (trimmed.re_search(r"^[0-9]+\.0+$"), trimmed.re_replace(r"\.0+$", "")),
        (trimmed.re_search(r"^'[0-9]+$"), trimmed.substr(1)),
        else_=trimmed,
    )
    return number


def named_order_id(members: ir.MapValue) -> ir.StringValue:
    """The order id an event's properties (as a map of texts) name (`order_number`); NULL when none does."""
    order_id: ir.StringValue = ibis.coalesce(*(order_number(members.get(key)) for key in ORDER_ID_PROPERTIES))
    return order_id


def conversion_order_id(event_id: ir.StringValue, members: ir.MapValue) -> ir.StringValue:
    """A conversion's order id: the one its properties name, else its event id (`order_number` of each)."""
    order_id: ir.StringValue = ibis.coalesce(named_order_id(members), order_number(event_id))
    return order_id


def order_owners(refunds: ir.Table, orders: ir.Table) -> ir.Table:
    """Each refund (`refund_row`, `members`: its properties as a map of texts) with the order id it names, how many of
    `orders` (conversions: `event_id`, `members` and OWNER_COLUMNS, one row per event) have that id (`orders`, 0 when
    none or when it names none), and, when exactly one has, that conversion's OWNER_COLUMNS (else NULL).

    One conversion or none: the build subtracts a refund only from the one conversion with its order id
    (`journeys.refunds`), and two tills that number their receipts from 1 give two customers' sales one id."""
    keyed = orders.mutate(owned_order_id=conversion_order_id(orders.event_id, orders.members))
    per_order = keyed.group_by("owned_order_id").aggregate(
        owned_orders=keyed.count(), **{f"owned_{column}": keyed[column].min() for column in OWNER_COLUMNS}
    )
    named = refunds.select("refund_row", order_id=named_order_id(refunds.members))
    joined = named.left_join(per_order, named.order_id == per_order.owned_order_id)
    one = joined.owned_orders == 1
    return joined.select(
        "refund_row",
        "order_id",
        orders=joined.owned_orders.fill_null(0),
        **{column: ibis.ifelse(one, joined[f"owned_{column}"], ibis.null("string")) for column in OWNER_COLUMNS},
    )
