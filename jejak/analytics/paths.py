"""Top conversion paths by channel, source / medium or campaign (UA's Top Conversion Paths).

The journeys are rebuilt from the build's touchpoints and conversions with each touch
labelled by the chosen dimension, inside the lookback window, with the `exposure`
transform (repeats in a row collapse) or none. A conversion with no touch of its own
journey takes its own session's value, as the build does for channels. The top N
paths by conversions come with an "Other (n rows, x % of total)" row, so the
conversions and revenue always add up to the untruncated totals.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.analytics.topn import top_n_with_other
from jejak.engine import safe_div
from jejak.journeys.dimensions import dimension_key, label_by_dimension
from jejak.journeys.journeys import journey_touches, journeys, unique_paths


def conversion_paths(
    touchpoints: ir.Table,
    conversions: ir.Table,
    *,
    lookback_days: int,
    dimension: str,
    exposure: bool,
    in_window: ir.Table | None = None,
    converting_only: bool = False,
) -> ir.Table:
    """Unique paths labelled by `dimension` (path, conversions, non_conversions, revenue, …).

    With `converting_only`, journeys without a conversion are left out (their paths, and the
    non-conversions of every path, are then missing): enough for the top conversion paths.

    `in_window` is the build's `journey_touches` table (found again from `touchpoints` without it).
    """
    return unique_paths(
        _journeys_by(touchpoints, conversions, lookback_days, dimension, exposure, in_window, converting_only)
    )


def converting_journey_paths(
    touchpoints: ir.Table,
    conversions: ir.Table,
    *,
    lookback_days: int,
    dimension: str,
    exposure: bool = True,
    in_window: ir.Table | None = None,
) -> ir.Table:
    """Every converting journey's path by `dimension`, with what its conversion was.

    Columns: person_id, journey_index, path (the journey's `conversion_paths` path), revenue,
    conversion_at, conversion_type. A journey's path does not depend on which other
    conversions are counted, so the top paths of any set of conversions (dates, a persona)
    are these rows filtered by their conversion's columns, then `top_paths_by`.
    """
    return built_journey_paths(
        _journeys_by(touchpoints, conversions, lookback_days, dimension, exposure, in_window, converting_only=True)
    )


def _journeys_by(
    touchpoints: ir.Table,
    conversions: ir.Table,
    lookback_days: int,
    dimension: str,
    exposure: bool,
    in_window: ir.Table | None,
    converting_only: bool,
) -> ir.Table:
    """The journeys rebuilt with each touch labelled by `dimension`, under the exposure transform or none."""
    labelled, relabelled = label_by_dimension(touchpoints, conversions, dimension)
    if in_window is None:
        in_window = journey_touches(labelled, relabelled, lookback_days=lookback_days)
    else:
        in_window = in_window.mutate(channel=dimension_key(in_window, dimension))
    if converting_only:
        # The journeys that did not convert are most of the touches and none of the top paths.
        in_window = in_window.filter(in_window.converted)
    return journeys(
        in_window,
        relabelled,
        transform="exposure" if exposure else "unique",
        transform_channel="Direct",
        max_touches=0,
    )


def built_journey_paths(journey_table: ir.Table) -> ir.Table:
    """The converting journeys of a journeys table as `converting_journey_paths` shapes them."""
    converted = journey_table.filter(journey_table.converted)
    return converted.select(
        "person_id",
        "journey_index",
        path=converted.path_text,
        revenue=converted.revenue,
        conversion_at=converted.conversion_at,
        conversion_type=converted.conversion_type,
    )


def top_paths_by(journey_paths: ir.Table, *, n: int = 10) -> ir.Table:
    """The top `n` paths of `converting_journey_paths`' rows (any subset of them), then Other."""
    grouped = journey_paths.group_by("path").aggregate(
        conversions=journey_paths.count(), revenue=journey_paths.revenue.sum()
    )
    return top_of_paths(grouped, n=n)


def top_conversion_paths(
    touchpoints: ir.Table,
    conversions: ir.Table,
    *,
    lookback_days: int,
    dimension: str = "channel",
    exposure: bool = True,
    n: int = 10,
    in_window: ir.Table | None = None,
) -> ir.Table:
    """The `n` paths with most conversions, an Other row, each with its share of conversions and revenue."""
    paths = conversion_paths(
        touchpoints,
        conversions,
        lookback_days=lookback_days,
        dimension=dimension,
        exposure=exposure,
        in_window=in_window,
        converting_only=True,
    )
    return top_of_paths(paths, n=n)


def top_of_paths(paths: ir.Table, *, n: int = 10) -> ir.Table:
    """Top `n` converting paths of a unique-paths table (the build's, or `conversion_paths`'), then Other."""
    converting = paths.filter(paths.conversions > 0)
    whole = ibis.window()
    # Shares first, so the Other row's share is the sum of the rows it stands for (and the order survives).
    shared = converting.select(
        "path",
        "conversions",
        "revenue",
        conversion_share=safe_div(converting.conversions, converting.conversions.sum().over(whole)),
        revenue_share=safe_div(converting.revenue, converting.revenue.sum().over(whole)),
    )
    return top_n_with_other(
        shared, label="path", value="conversions", n=n, extra_sums=("revenue", "conversion_share", "revenue_share")
    )
