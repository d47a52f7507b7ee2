"""Ibis over DuckDB (default) or Spark: the only room that imports duckdb or pyspark."""

from __future__ import annotations

from jejak.engine.connect import PARQUET_COPY_OPTIONS, Engine, connect
from jejak.engine.expressions import (
    SECONDS_PER_DAY,
    safe_div,
    whole_epoch_seconds,
)
from jejak.engine.regex import re2_problem

__all__ = [
    "PARQUET_COPY_OPTIONS",
    "SECONDS_PER_DAY",
    "Engine",
    "connect",
    "re2_problem",
    "safe_div",
    "whole_epoch_seconds",
]
