"""Markov transition counts aggregated on the engine, from the unique-paths table.

Each path is split into its channels (unnest with positions); a step's state is the
last `order` channels up to it (fewer at the start of a path), and its next symbol
is the following channel, or CONVERSION / NULL after the last one. Grouping by
(state, next) gives the counts `markov.chain_from_counts` turns into the chain, so
only the counts, never the journeys, leave the engine. Portable Ibis (windows with a
tie-breaker, no ordered aggregates): the same counts on DuckDB and Spark.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.attribution.markov import CONVERSION, NULL, START_STATE, STATE_SEPARATOR, _check_order


def transition_counts(paths: ir.Table, *, order: int, separator: str = " > ") -> ir.Table:
    """(state, next, journeys) for the chain of `order` over `paths` (path, conversions, non_conversions)."""
    _check_order(order)
    split = paths.select(
        path=paths.path,
        channels=paths.path.split(separator),
        conversions=paths.conversions.cast("float64"),
        non_conversions=paths.non_conversions.cast("float64"),
    )
    touches = split.unnest("channels", offset="position")
    touches = touches.mutate(channel=touches.channels.strip())
    along = ibis.window(group_by=touches.path, order_by=touches.position)
    state = touches.channel
    for back in range(1, order):
        earlier = touches.channel.lag(back).over(along)
        state = ibis.ifelse(earlier.isnull(), state, earlier + ibis.literal(STATE_SEPARATOR) + state)
    journeys = touches.conversions + touches.non_conversions
    stepped = touches.mutate(state=state, following=touches.channel.lead(1).over(along), journeys=journeys)
    starts = stepped.filter(stepped.position == 0).select(
        state=ibis.literal(START_STATE), next=stepped.channel, journeys=stepped.journeys
    )
    onwards = stepped.filter(stepped.following.notnull()).select(
        state=stepped.state, next=stepped.following, journeys=stepped.journeys
    )
    ends = stepped.filter(stepped.following.isnull())
    converted = ends.select(state=ends.state, next=ibis.literal(CONVERSION), journeys=ends.conversions)
    lost = ends.select(state=ends.state, next=ibis.literal(NULL), journeys=ends.non_conversions)
    steps = ibis.union(starts, onwards, converted, lost)
    steps = steps.filter(steps.journeys > 0)
    return steps.group_by(["state", "next"]).aggregate(journeys=steps.journeys.sum())
