"""The journeys one attribution run reads: path transform, lookback and filters chosen per run.

The build writes journeys and paths under the settings' transform and lookback. A run
may ask for others, or for a conversion type or a date range: the journeys are then
rebuilt from the build's touchpoints and conversions on the engine (the same functions
the build uses), filtered, and aggregated into unique paths there.

Filters (applied before any model):
- conversion types: converting journeys that end in another type are left out of the
  run altogether (they are neither conversions nor non-conversions of the chosen type);
  non-converting journeys stay, since Markov needs them;
- date range: journeys that end inside it (the conversion time, or the last touch for a
  journey that did not convert), both ends inclusive, in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from jejak.journeys.journeys import journey_touches, journeys, unique_paths


def run_journeys(
    touchpoints: ir.Table,
    conversions: ir.Table,
    *,
    transform: str,
    transform_channel: str,
    max_touches: int,
    lookback_days: int,
) -> ir.Table:
    """Journeys rebuilt from a build's touchpoints and conversions under this run's transform and lookback."""
    in_window = journey_touches(touchpoints, conversions, lookback_days=lookback_days)
    return journeys(
        in_window, conversions, transform=transform, transform_channel=transform_channel, max_touches=max_touches
    )


def filter_journeys(
    journey_table: ir.Table,
    *,
    conversion_types: Sequence[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ir.Table:
    """Journeys kept by the run's filters (see the module docstring)."""
    kept = journey_table
    if conversion_types:
        kept = kept.filter(~kept.converted | kept.conversion_type.isin(list(conversion_types)))
    ended = ibis.ifelse(kept.converted, kept.conversion_at, kept.last_touch_at)
    if start is not None:
        kept = kept.filter(ended >= ibis.timestamp(dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)))
    if end is not None:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        kept = kept.filter(ended < ibis.timestamp(after))
    return kept


def run_paths(journey_table: ir.Table) -> ir.Table:
    """Unique paths of the run's journeys (the build's own aggregation)."""
    return unique_paths(journey_table)
