"""Small portable Ibis helpers that every room may use."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def safe_div(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator, NULL where the denominator is 0 or NULL (never an error or infinity).

    Example:
        >>> import ibis, pyarrow as pa
        >>> from jejak.engine import connect
        >>> t = ibis.memtable(pa.table({"a": [1, 2], "b": [2, 0]}))
        >>> connect().to_pyarrow(t.select(ratio=safe_div(t.a, t.b))).column("ratio").to_pylist()
        [0.5, None]
    """
    return ibis.ifelse(denominator == 0, ibis.null(), numerator.cast("float64") / denominator.cast("float64"))
