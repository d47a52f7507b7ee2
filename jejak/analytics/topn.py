"""Top-N with honest truncation: the rows past N become one "Other (n rows, x % of total)" row.

Totals always reconcile: the truncated table sums to the untruncated total.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

OTHER_PREFIX = "Other"


def top_n_with_other(table: ir.Table, *, label: str, value: str, n: int, extra_sums: tuple[str, ...] = ()) -> ir.Table:
    """The `n` rows with the largest `value` (ties by label), then one Other row summing the rest.

    Example:
        >>> import ibis, pyarrow as pa
        >>> from jejak.engine import connect
        >>> t = ibis.memtable(pa.table({"path": ["A", "B", "C", "D"], "conversions": [5, 3, 1, 1]}))
        >>> connect().to_pyarrow(top_n_with_other(t, label="path", value="conversions", n=2)).to_pylist()[-1]
        {'path': 'Other (2 rows, 20.0 % of total)', 'conversions': 2}
    """
    ranked = table.mutate(_rank=ibis.row_number().over(order_by=[ibis.desc(table[value]), table[label]]))
    top = ranked.filter(ranked._rank < n).select(label, value, *extra_sums, _order=ranked._rank)
    rest = ranked.filter(ranked._rank >= n)
    grand_total = table[value].sum().as_scalar()
    other_value = rest[value].sum()
    other_rows = rest.count()
    share = ibis.ifelse(grand_total == 0, 0.0, other_value.cast("float64") * 100.0 / grand_total.cast("float64"))
    other = rest.aggregate(
        **{
            label: ibis.literal(f"{OTHER_PREFIX} (")
            + other_rows.cast("string")
            + ibis.literal(" rows, ")
            + share.round(1).cast("string")
            + ibis.literal(" % of total)"),
            value: other_value,
        },
        **{name: rest[name].sum() for name in extra_sums},
        _order=ibis.literal(n, "int64"),
        _rows=other_rows,
    )
    other = other.filter(other._rows > 0).drop("_rows")
    return ibis.union(top, other).order_by("_order").drop("_order")
