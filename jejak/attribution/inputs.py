"""The journeys one attribution run reads: path transform, lookback and filters chosen per run.

The build writes journeys and paths under the settings' transform and lookback. A run
may ask for others, or for a conversion type or a date range: the journeys are then
rebuilt from the build's touchpoints and conversions on the engine (the same functions
the build uses), filtered, and aggregated into unique paths there.

Filters (applied before any model) are `journeys.filters.filter_journeys`: converting
journeys of other conversion types are left out of the run altogether (neither
conversions nor non-conversions of the chosen type); non-converting journeys stay,
since Markov needs them; a date range keeps journeys that end inside it.

A run by campaign (or source / medium) rebuilds the journeys with every touch labelled
by that dimension (`journeys.dimensions`), so every model credits campaigns. The
`remove_if_*` transforms then set aside the dimension's Direct label (`(not set)` by
campaign) instead of the channel the `path_transform_channel` setting names, since a
channel name never labels a campaign touch.
"""

from __future__ import annotations

import ibis.expr.types as ir

from jejak.journeys.dimensions import direct_label, label_by_dimension
from jejak.journeys.journeys import journey_touches, journeys, unique_paths


def run_journeys(
    touchpoints: ir.Table,
    conversions: ir.Table,
    *,
    transform: str,
    transform_channel: str,
    max_touches: int,
    lookback_days: int,
    dimension: str = "channel",
) -> ir.Table:
    """Journeys rebuilt from a build's touchpoints and conversions under this run's transform and lookback.

    Paths are made of `dimension` values (see the module docstring for what Direct means then).
    """
    if dimension != "channel":
        touchpoints, conversions = label_by_dimension(touchpoints, conversions, dimension)
        transform_channel = direct_label(dimension)
    in_window = journey_touches(touchpoints, conversions, lookback_days=lookback_days)
    return journeys(
        in_window, conversions, transform=transform, transform_channel=transform_channel, max_touches=max_touches
    )


def run_paths(journey_table: ir.Table) -> ir.Table:
    """Unique paths of the run's journeys (the build's own aggregation)."""
    return unique_paths(journey_table)
