"""Assisted conversions: which channels open, help and close conversions (UA Multi-Channel Funnels).

For every conversion, the touches of its journey inside the lookback window, in time
order, before any path transform:
- first interaction: the first touch's channel (or source / medium, or campaign);
- last interaction: the last touch's;
- assisted: every distinct value that appears on a touch other than the last. A value
  on several earlier touches assists once; a value that is both earlier and last counts
  as an assist and as the last interaction, as in UA.
A conversion with no touch of its own journey (a second purchase in the same session)
takes its own session's touch as its only one. Revenue follows the same rules.

The assisted / last-interaction ratio says what a channel mostly does: at or under 0.5
it mostly closes, 0.5–1.5 it assists and closes alike, at or over 1.5 it mostly
assists; with no last-interaction conversions it only assists.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from jejak.engine import safe_div
from jejak.journeys.dimensions import DIMENSIONS, dimension_key
from jejak.journeys.journeys import journey_touches


def conversion_touches(
    touchpoints: ir.Table,
    conversions: ir.Table,
    *,
    lookback_days: int,
    dimensions: Sequence[str] = DIMENSIONS,
    in_window: ir.Table | None = None,
) -> ir.Table:
    """Every converting journey's touches in time order, with what its conversion was.

    Columns: person_id, journey_index, position, touches, one column per dimension in
    `dimensions` (named for it: the touch's value, `dimension_key`), revenue, conversion_at and
    conversion_type. A row belongs to one conversion whatever the others are, so the rows of
    any set of conversions (a date range, a persona) are these rows filtered by their
    conversion's columns (`journeys.filters.Filters.conversions`).

    `in_window` is the build's `journey_touches` table; without it the touches in the
    lookback window are found again from `touchpoints` (slower: a window over every touch).
    """
    if in_window is None:
        in_window = journey_touches(touchpoints, conversions, lookback_days=lookback_days)
    touched = in_window.filter(in_window.converted)
    touched = touched.select(
        person_id=touched.person_id,
        journey_index=touched.journey_index,
        epoch_seconds=touched.epoch_seconds,
        session_id=touched.session_id,
        **{dimension: dimension_key(touched, dimension) for dimension in dimensions},
    )
    # Conversions without a touch of their own journey take their session's touch.
    has_touch = touched.select(has_person_id=touched.person_id, has_index=touched.journey_index).distinct()
    bare = conversions.anti_join(
        has_touch,
        (conversions.person_id == has_touch.has_person_id) & (conversions.conversion_index == has_touch.has_index),
    )
    own = touchpoints.select(
        own_session_id=touchpoints.session_id,
        own_epoch_seconds=touchpoints.epoch_seconds,
        **{f"own_{dimension}": dimension_key(touchpoints, dimension) for dimension in dimensions},
    )
    fallback = bare.join(own, bare.session_id == own.own_session_id)
    fallback = fallback.select(
        person_id=fallback.person_id,
        journey_index=fallback.conversion_index,
        epoch_seconds=fallback.own_epoch_seconds,
        session_id=fallback.session_id,
        **{dimension: fallback[f"own_{dimension}"] for dimension in dimensions},
    )
    rows = ibis.union(touched, fallback)
    journey = ibis.window(group_by=[rows.person_id, rows.journey_index], order_by=[rows.epoch_seconds, rows.session_id])
    whole = ibis.window(group_by=[rows.person_id, rows.journey_index])
    ordered = rows.mutate(position=ibis.row_number().over(journey), touches=rows.count().over(whole))
    values = conversions.select(
        value_person_id=conversions.person_id,
        value_index=conversions.conversion_index,
        revenue=conversions.revenue,
        conversion_at=conversions.conversion_at,
        conversion_type=conversions.conversion_type,
    )
    joined = ordered.join(
        values, (ordered.person_id == values.value_person_id) & (ordered.journey_index == values.value_index)
    )
    return joined.select(
        "person_id",
        "journey_index",
        "position",
        "touches",
        *dimensions,
        "revenue",
        "conversion_at",
        "conversion_type",
    )


# What `reading` says of a ratio, in the order of the cases that choose it (the dashboard translates them).
READINGS = ("only assists", "mostly closes", "assists and closes", "mostly assists")


def assisted_conversions(
    touchpoints: ir.Table,
    conversions: ir.Table,
    *,
    lookback_days: int,
    dimension: str = "channel",
    in_window: ir.Table | None = None,
) -> ir.Table:
    """First-interaction, assisted and last-interaction conversions and revenue per value of `dimension`."""
    touches = conversion_touches(
        touchpoints, conversions, lookback_days=lookback_days, dimensions=(dimension,), in_window=in_window
    )
    return assisted_of_touches(touches, dimension)


def assisted_of_touches(touches: ir.Table, dimension: str) -> ir.Table:
    """`assisted_conversions` from the rows of `conversion_touches` (any subset of conversions, whole)."""
    touches = touches.mutate(key=touches[dimension])
    first = touches.filter(touches.position == 0)
    first = first.group_by(first_key=first.key).aggregate(
        first_interaction_conversions=first.count(), first_interaction_revenue=first.revenue.sum()
    )
    last = touches.filter(touches.position == touches.touches - 1)
    last = last.group_by(last_key=last.key).aggregate(
        last_interaction_conversions=last.count(), last_interaction_revenue=last.revenue.sum()
    )
    earlier = touches.filter(touches.position < touches.touches - 1)
    earlier = earlier.select("person_id", "journey_index", "key", "revenue").distinct()
    assisted = earlier.group_by(assist_key=earlier.key).aggregate(
        assisted_conversions=earlier.count(), assisted_revenue=earlier.revenue.sum()
    )
    keys = ibis.union(
        first.select(key=first.first_key), last.select(key=last.last_key), assisted.select(key=assisted.assist_key)
    ).distinct()
    table = keys.left_join(first, keys.key == first.first_key)
    table = table.left_join(last, table.key == last.last_key)
    table = table.left_join(assisted, table.key == assisted.assist_key)
    counts = {
        "first_interaction_conversions": table.first_interaction_conversions.fill_null(0),
        "first_interaction_revenue": table.first_interaction_revenue.fill_null(0.0),
        "assisted_conversions": table.assisted_conversions.fill_null(0),
        "assisted_revenue": table.assisted_revenue.fill_null(0.0),
        "last_interaction_conversions": table.last_interaction_conversions.fill_null(0),
        "last_interaction_revenue": table.last_interaction_revenue.fill_null(0.0),
    }
    shaped = table.select(table.key.name(dimension), **counts)
    ratio = safe_div(shaped.assisted_conversions, shaped.last_interaction_conversions)
    only_assists, mostly_closes, assists_and_closes, mostly_assists = READINGS
    reading = ibis.cases(
        (shaped.last_interaction_conversions == 0, only_assists),
        (ratio <= 0.5, mostly_closes),
        (ratio < 1.5, assists_and_closes),
        else_=mostly_assists,
    )
    result = shaped.mutate(assisted_to_last_ratio=ratio, reading=reading)
    return result.order_by([ibis.desc("assisted_conversions"), ibis.desc("last_interaction_conversions"), dimension])
