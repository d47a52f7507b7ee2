"""Top-N with honest truncation: the rows past N become one "Other (n rows, x % of total)" row.

Totals always reconcile: the truncated table sums to the untruncated total. One row past N is shown as itself:
"Other (1 row, …)" would hide its name and save no space.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

OTHER_PREFIX = "Other"


def other_label(
    rows: ir.IntegerValue, part: ir.NumericValue, total: ir.NumericValue, of: str = "total"
) -> ir.StringValue:
    """The text "Other (n rows, x % of <of>)" for `rows` rows holding `part` of `total`."""
    share = ibis.ifelse(total == 0, 0.0, part.cast("float64") * 100.0 / total.cast("float64"))
    return (
        ibis.literal(f"{OTHER_PREFIX} (")
        + rows.cast("string")
        + ibis.ifelse(rows == 1, ibis.literal(" row, "), ibis.literal(" rows, "))
        + share.round(1).cast("string")
        + ibis.literal(f" % of {of})")
    )


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
    other = rest.aggregate(
        **{label: ibis.ifelse(other_rows == 1, rest[label].max(), other_label(other_rows, other_value, grand_total))},
        **{value: other_value},
        **{name: rest[name].sum() for name in extra_sums},
        _order=ibis.literal(n, "int64"),
        _rows=other_rows,
    )
    other = other.filter(other._rows > 0).drop("_rows")
    return ibis.union(top, other).order_by("_order").drop("_order")
