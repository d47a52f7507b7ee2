"""Cost per conversion and return on ad spend, per channel (or campaign) and model.

Spend per channel or per campaign comes from the spend import (`ingest/spend.py`),
summed over the run's date range. For each model: cost per conversion = spend /
credited conversions, ROAS = credited revenue / spend. Spend and revenue are assumed to
be in the same currency (the `currency` setting). A channel (campaign) with spend but no
credit shows its spend with no cost per conversion; spend on a name no touchpoint
carries is reported, since it usually means the names differ (`Google Ads` vs `Paid
Search`, `Ramadan 2026` vs `ramadan`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc


def with_spend(comparison: pa.Table, spend: Mapping[str, float], *, key: str = "channel") -> pa.Table:
    """The comparison table with `spend`, `cost_per_conversion` and `roas` columns, matched on column `key`."""
    names = comparison.column(key).to_pylist()
    amounts = pa.array([spend.get(name) for name in names], pa.float64())
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


def unmatched_spend(comparison: pa.Table, spend: Mapping[str, float], *, key: str = "channel") -> dict[str, float]:
    """Spend on names (in column `key`: channels, or campaigns) that no credited path carries."""
    known = set(comparison.column(key).to_pylist())
    return {name: amount for name, amount in spend.items() if name not in known}
