"""Cost per conversion and return on ad spend, per channel and model.

Spend per channel comes from the spend import (`ingest/spend.py`), summed over the
run's date range. For each model: cost per conversion = spend / credited
conversions, ROAS = credited revenue / spend. Spend and revenue are assumed to be in
the same currency (the `currency` setting). A channel with spend but no credit shows
its spend with no cost per conversion; spend on a channel name no touchpoint carries is
reported, since it usually means the names differ (`Google Ads` vs `Paid Search`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc


def with_spend(comparison: pa.Table, spend: Mapping[str, float]) -> pa.Table:
    """The comparison table with `spend`, `cost_per_conversion` and `roas` columns."""
    channels = comparison.column("channel").to_pylist()
    amounts = pa.array([spend.get(channel) for channel in channels], pa.float64())
    conversions = comparison.column("conversions")
    revenue = comparison.column("revenue")
    has_conversions = pc.greater(conversions, 0.0)
    has_spend = pc.greater(amounts, 0.0)
    cost = pc.if_else(has_conversions, pc.divide(amounts, pc.if_else(has_conversions, conversions, 1.0)), None)
    roas = pc.if_else(has_spend, pc.divide(revenue, pc.if_else(has_spend, amounts, 1.0)), None)
    return (
        comparison.append_column("spend", amounts)
        .append_column("cost_per_conversion", cost)
        .append_column("roas", roas)
    )


def unmatched_spend(comparison: pa.Table, spend: Mapping[str, float]) -> dict[str, float]:
    """Spend on channels that no credited path carries."""
    known = set(comparison.column("channel").to_pylist())
    return {channel: amount for channel, amount in spend.items() if channel not in known}
