"""Time lag and path length of conversions, in Universal Analytics' Multi-Channel Funnels buckets.

- Time lag: whole days from a journey's first touch to its conversion (the first
  touch inside the lookback window), bucketed 0, 1, … 11, 12–30, 31–60, 61–90 and
  91+ (lookback windows can be longer than UA's 90 days).
- Path length: touches in the journey before any path transform (every session that
  touched it, as UA counts interactions), bucketed 1, 2, … 11 and 12+.

Each table has one row per bucket that has conversions, in bucket order, with
conversions, revenue and shares; `lag_summary` gives the median and mean. Both can be
split by the channel of the first touch. Only converting journeys count, so the
buckets' conversions always sum to the conversions.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.engine import SECONDS_PER_DAY, safe_div, whole_epoch_seconds

# (label, first value, last value) in order; None: no upper end.
LAG_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    *((str(day), day, day) for day in range(12)),
    ("12-30", 12, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91+", 91, None),
)
LENGTH_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    *((str(touches), touches, touches) for touches in range(1, 12)),
    ("12+", 12, None),
)


def _bucket(value: ir.IntegerValue, buckets: tuple[tuple[str, int, int | None], ...]) -> tuple[ir.Value, ir.Value]:
    """The label and order of the bucket a value falls in."""
    cases = []
    orders = []
    for order, (label, low, high) in enumerate(buckets):
        inside = value >= low if high is None else (value >= low) & (value <= high)
        cases.append((inside, label))
        orders.append((inside, order))
    return ibis.cases(*cases, else_=None), ibis.cases(*orders, else_=None)


def _lag_seconds(journeys: ir.Table) -> ir.IntegerValue:
    lag: ir.IntegerValue = whole_epoch_seconds(journeys.conversion_at) - whole_epoch_seconds(journeys.first_touch_at)
    return lag


def _lag_days(journeys: ir.Table) -> ir.IntegerValue:
    days: ir.IntegerValue = (_lag_seconds(journeys) // SECONDS_PER_DAY).cast("int64")
    return days


def _histogram(
    journeys: ir.Table, value: ir.IntegerValue, buckets: tuple[tuple[str, int, int | None], ...], by_first_channel: bool
) -> ir.Table:
    label, order = _bucket(value, buckets)
    rows = journeys.mutate(_label=label, _order=order, _first_channel=journeys.path[0]).filter(journeys.converted)
    keys = ["_first_channel", "_order", "_label"] if by_first_channel else ["_order", "_label"]
    grouped = rows.group_by(keys).aggregate(conversions=rows.count(), revenue=rows.revenue.sum())
    totals = ["_first_channel"] if by_first_channel else []
    window = ibis.window(group_by=totals) if totals else ibis.window()
    shaped = grouped.mutate(
        conversion_share=safe_div(grouped.conversions, grouped.conversions.sum().over(window)),
        revenue_share=safe_div(grouped.revenue, grouped.revenue.sum().over(window)),
    )
    ordered = shaped.order_by([*totals, "_order"])
    named = {"first_channel": ordered._first_channel} if by_first_channel else {}
    return ordered.select(
        **named,
        bucket=ordered._label,
        conversions=ordered.conversions,
        conversion_share=ordered.conversion_share,
        revenue=ordered.revenue,
        revenue_share=ordered.revenue_share,
    )


def time_lag(journeys: ir.Table, *, by_first_channel: bool = False) -> ir.Table:
    """Conversions and revenue by days from first touch to conversion (see the module docstring)."""
    return _histogram(journeys, _lag_days(journeys), LAG_BUCKETS, by_first_channel)


def path_length(journeys: ir.Table, *, by_first_channel: bool = False) -> ir.Table:
    """Conversions and revenue by touches per conversion (see the module docstring)."""
    touches: ir.IntegerValue = journeys.touches_before_transform.cast("int64")
    return _histogram(journeys, touches, LENGTH_BUCKETS, by_first_channel)


def lag_summary(journeys: ir.Table) -> ir.Table:
    """One row: conversions, median and mean days from first touch to conversion, median and mean touches."""
    converted = journeys.filter(journeys.converted)
    days = _lag_seconds(converted).cast("float64") / SECONDS_PER_DAY
    touches = converted.touches_before_transform.cast("float64")
    return converted.aggregate(
        conversions=converted.count(),
        # Exact, interpolated medians (quantile_cont on DuckDB, percentile on Spark), never approximate ones.
        median_lag_days=days.quantile(0.5),
        mean_lag_days=days.mean(),
        median_touches=touches.quantile(0.5),
        mean_touches=touches.mean(),
    )
