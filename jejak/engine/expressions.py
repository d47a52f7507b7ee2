"""Small portable Ibis helpers that every room may use."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def safe_div(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator, NULL where the denominator is 0 or NULL (never an error or infinity).

    Example:
        >>> import ibis
        >>> t = ibis.memtable({"a": [1, 2], "b": [2, 0]})
        >>> expr = safe_div(t.a, t.b)
    """
    return ibis.ifelse(denominator == 0, ibis.null(), numerator.cast("float64") / denominator.cast("float64"))
