"""Refunds quarantined because their order was not imported yet are re-tried once it is.

A returns sheet names the order it refunds and often no customer; the import gives each such refund its order's
customer (`importer._give_refunds_their_customers`). When the order is not in the lake yet (the returns imported
first, in the same command or a day before the orders), the refund is quarantined as `no_identifier`, and its
message names the order (`importer.REFUND_OF_ORDER`) and says it was not found (`importer.AWAITING_ORDER`).

After an import or a re-try from the quarantine that stored events (`retry_with_waiting_refunds`: the orders a
re-try brings in are as new to the lake as an import's), `retry_refunds_of_new_orders` looks for those orders in the
lake and re-tries the rows whose order is there now, as `jejak quarantine retry` would
(`quarantine.retry_quarantined`): each refund is stored as an event of its order's customer, or quarantined again
saying why (two orders with that id). A row whose order is still missing is left alone, so that its row id, its
time in the quarantine and the imports log do not change at every import.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from jejak.core.errors import NotFoundError
from jejak.engine import connect
from jejak.ingest.importer import AWAITING_ORDER, REFUND_OF_ORDER, owners_of_orders
from jejak.ingest.quarantine import RetrySummary, quarantine_index, retry_quarantined
from jejak.store.lake import event_files, events_glob
from jejak.store.project import Project

# `a refund of order '1002': none of user_id, …; no order in the lake or in this file has that id, …`
_AWAITING = re.compile(f"^{re.escape(REFUND_OF_ORDER)}'(.+?)': .*{re.escape(AWAITING_ORDER)}", re.DOTALL)


def awaiting_refunds(project: Project) -> dict[str, str]:
    """The quarantined refunds whose order was not imported when they were: row id → the order id they name."""
    index = quarantine_index(project, "no_identifier")
    if not index.num_rows:
        return {}
    awaiting = {}
    for part, position, message in zip(
        index["part"].to_pylist(), index["index"].to_pylist(), index["message"].to_pylist(), strict=True
    ):
        found = _AWAITING.match(message or "")
        if found is not None:
            awaiting[f"{part}:{position}"] = found.group(1)
    return awaiting


def refunds_with_orders(project: Project, awaiting: dict[str, str]) -> list[str]:
    """The rows of `awaiting` (`awaiting_refunds`) whose order id one or more of the lake's conversions has now."""
    if not awaiting or not event_files(project):
        return []
    row_ids = list(awaiting)
    named = pa.table(
        {
            "refund_row": pa.array(range(len(row_ids)), pa.int64()),
            "properties": [json.dumps({"order_id": awaiting[row_id]}) for row_id in row_ids],
        }
    )
    engine = connect(project.settings.replace(engine="duckdb"))
    try:
        lake = engine.read_parquet(events_glob(project), table_name="lake_orders")
        owners = owners_of_orders(engine, named, [lake], project.settings)
    finally:
        engine.close()
    found = owners.filter(pc.greater(owners["orders"], 0))["refund_row"].to_pylist()
    return [row_ids[row] for row in sorted(found)]


def retry_refunds_of_new_orders(project: Project) -> RetrySummary | None:
    """Re-try the quarantined refunds whose order an import has brought since (`refunds_with_orders`); None when
    there is none. Run it after an import that stored events (`jejak import` does)."""
    row_ids = refunds_with_orders(project, awaiting_refunds(project))
    if not row_ids:
        return None
    try:
        return retry_quarantined(project, row_ids=row_ids)
    except NotFoundError:
        return None  # another command re-tried or dismissed them meanwhile: nothing is left for this one to do


def retry_with_waiting_refunds(project: Project, **options: Any) -> tuple[RetrySummary, RetrySummary | None]:
    """`quarantine.retry_quarantined(project, **options)`, then, when it stored events, the refunds that waited for
    an order it brought (`retry_refunds_of_new_orders`): orders quarantined for their times and re-tried once the
    format is set must not leave their refunds waiting for the next import."""
    done = retry_quarantined(project, **options)
    return done, retry_refunds_of_new_orders(project) if done.rows_stored else None
