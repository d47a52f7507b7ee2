"""Markov transition counts aggregated on the engine, from the unique-paths table.

Each path is split into its channels (its positions unnested, each touch keeping its
path's list); a step's state is the last `order` channels up to it (fewer at the
start of a path), and its next symbol is the following channel, or CONVERSION / NULL
after the last one. Grouping by
(state, next) gives the counts `markov.chain_from_counts` turns into the chain, so
only the counts, never the journeys, leave the engine. Portable Ibis (no windows,
no ordered aggregates; list elements read by index): the same counts on DuckDB and Spark.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.attribution.markov import CONVERSION, NULL, START_STATE, STATE_SEPARATOR, _check_order


def transition_counts(paths: ir.Table, *, order: int, separator: str = " > ") -> ir.Table:
    """(state, next, journeys) for the chain of `order` over `paths` (path, conversions, non_conversions)."""
    _check_order(order)
    split = paths.select(
        # Stripped once per path, not once per touch.
        channels=paths.path.split(separator).map(lambda name: name.strip()),
        conversions=paths.conversions.cast("float64"),
        non_conversions=paths.non_conversions.cast("float64"),
    )
    # A path with no channels takes no step (as unnesting an empty list gives no row).
    split = split.filter(split.channels.length() > 0)
    length = split.channels.length()
    journeys = split.conversions + split.non_conversions

    def state_at(channel: ir.StringValue, earlier: list[ir.StringValue]) -> ir.StringValue:
        """The last `order` channels up to `channel` (`earlier`: the one before it, then the one before that…)."""
        state = channel
        for before in earlier:
            state = ibis.ifelse(before.isnull(), state, before + ibis.literal(STATE_SEPARATOR) + state)
        return state

    def back(steps: int) -> ir.ArrayValue:
        """The channels moved `steps` places on: element i is channel i − steps (NULL before the path starts)."""
        return ibis.array([ibis.null("string")] * steps).concat(split.channels)

    # Every step inside a path, from one list of (channel, next, earlier channels…) per path, unnested: zipped lists
    # are padded with NULL to the longest, so a path's last channel has no next and padding rows no channel.
    zipped = split.channels.zip(split.channels[1:], *[back(b) for b in range(1, order)])
    steps_in_paths = split.select(journeys=journeys, step=zipped.unnest())
    step = steps_in_paths.step
    fields = list(step.type().names)
    onwards = steps_in_paths.filter(step[fields[0]].notnull() & step[fields[1]].notnull()).select(
        state=state_at(step[fields[0]], [step[name] for name in fields[2:]]),
        next=step[fields[1]],
        journeys=steps_in_paths.journeys,
    )
    # A path's first and last steps, read off its list by index (its length is at least 1).
    starts = split.select(state=ibis.literal(START_STATE), next=split.channels[0], journeys=journeys)
    earlier_at_end = [
        ibis.ifelse(length - 1 - b >= 0, split.channels[ibis.greatest(length - 1 - b, 0)], ibis.null("string"))
        for b in range(1, order)
    ]
    end_state = state_at(split.channels[length - 1], earlier_at_end)
    converted = split.select(state=end_state, next=ibis.literal(CONVERSION), journeys=split.conversions)
    lost = split.select(state=end_state, next=ibis.literal(NULL), journeys=split.non_conversions)
    every = ibis.union(starts, onwards, converted, lost)
    every = every.filter(every.journeys > 0)
    return every.group_by(["state", "next"]).aggregate(journeys=every.journeys.sum())
