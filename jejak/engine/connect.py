"""Connect to the compute engine once, with every quirk set in one place.

DuckDB: UTC session time zone, threads and memory limit from the settings.
Spark: local[N] (or a master URL), UTC session time zone, UI off, few shuffle
partitions, log level ERROR; loaded lazily because it is an optional extra.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from jejak.core.errors import EngineError, MissingExtraError
from jejak.core.settings import DEFAULT_SETTINGS, Settings


@dataclass
class Engine:
    """An Ibis backend plus the few engine-specific operations jejak needs."""

    name: str
    backend: Any
    temp_dir: Path | None = None

    def read_parquet(self, path: Path | str, table_name: str | None = None) -> ir.Table:
        """Read a Parquet file, directory or glob as an Ibis table."""
        target = str(path)
        if self.name == "duckdb" and Path(target).is_dir():
            target = str(Path(target) / "**" / "*.parquet")
        try:
            if self.name == "duckdb":
                return self.backend.read_parquet(target, table_name=table_name, hive_partitioning=False)
            return self.backend.read_parquet(target, table_name=table_name)
        except Exception as exc:  # the backends raise many unrelated types for a missing path
            raise EngineError(f"Could not read Parquet at {path}: {exc}") from exc

    def to_pyarrow(self, expr: ir.Expr) -> Any:
        """Execute an expression and return a pyarrow Table."""
        return expr.to_pyarrow()

    def _duckdb(self) -> Any:
        if self.name != "duckdb":
            raise EngineError("Raw SQL runs only on the embedded DuckDB engine (file import and fast paths).")
        return self.backend.con

    def execute_sql(self, query: str, parameters: list[Any] | None = None) -> None:
        """Run a DuckDB SQL statement (file import and engine-specific fast paths only)."""
        self._duckdb().execute(query, parameters or [])

    def fetch_arrow(self, query: str, parameters: list[Any] | None = None) -> Any:
        """Run a DuckDB query and return a pyarrow Table."""
        return self._duckdb().execute(query, parameters or []).fetch_arrow_table()

    def register_arrow(self, name: str, table: Any) -> None:
        """Expose an in-memory pyarrow Table to DuckDB SQL under `name`."""
        self._duckdb().register(name, table)

    def unregister(self, name: str) -> None:
        """Forget a registered table."""
        self._duckdb().unregister(name)

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """Compute an expression once and keep it as a temporary table for the following steps."""
        if self.name == "duckdb":
            return self.backend.create_table(name, expr, temp=True, overwrite=True)
        # Spark: caching keeps the plan short for iterative algorithms (label propagation).
        self.backend.create_view(name, expr, overwrite=True)
        table = self.backend.table(name)
        self.backend._session.table(name).cache()
        return table

    def write_parquet(self, expr: ir.Table, directory: Path) -> None:
        """Write an expression's result as a directory of Parquet files (the derived-table layout)."""
        directory.mkdir(parents=True, exist_ok=True)
        if self.name == "duckdb":
            sql = self.backend.compile(expr)
            self.backend.con.execute(
                f"COPY ({sql}) TO '{directory / 'part-0.parquet'}' (FORMAT parquet, COMPRESSION zstd)"
            )
        else:
            frame = self.backend._session.sql(self.backend.compile(expr))
            frame.write.mode("overwrite").parquet(str(directory / "spark"))

    def write_arrow(self, table: Any, path: Path, file_format: str) -> None:
        """Write an in-memory pyarrow Table to one file as csv, parquet or jsonl (nested structs become JSON objects).

        DuckDB writes all three formats in one vectorised pass, much faster than Python's json/csv modules.
        """
        if self.name != "duckdb":
            raise EngineError("write_arrow runs on DuckDB.")
        options = {
            "csv": "FORMAT csv, HEADER true",
            "parquet": "FORMAT parquet, COMPRESSION zstd",
            "jsonl": "FORMAT json",
        }
        if file_format not in options:
            raise EngineError(f"Unknown file format {file_format!r}; expected one of {', '.join(options)}.")
        con = self.backend.con
        con.register("_jejak_write_arrow", table)
        try:
            escaped = str(path).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM _jejak_write_arrow) TO '{escaped}' ({options[file_format]})")
        finally:
            con.unregister("_jejak_write_arrow")

    def close(self) -> None:
        """Release the backend."""
        try:
            self.backend.disconnect()
        except Exception:
            pass


def _connect_duckdb(settings: Settings, database: str) -> Engine:
    import duckdb

    con = duckdb.connect(database)
    con.execute("SET TimeZone = 'UTC'")
    if settings.duckdb_threads:
        con.execute(f"SET threads = {int(settings.duckdb_threads)}")
    if settings.duckdb_memory_limit_mb:
        con.execute(f"SET memory_limit = '{int(settings.duckdb_memory_limit_mb)}MB'")
    con.execute("SET preserve_insertion_order = false")
    return Engine("duckdb", ibis.duckdb.from_connection(con))


def _connect_spark(settings: Settings) -> Engine:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingExtraError(
            "The Spark engine needs the spark extra. Install it with `pip install 'jejak[spark]'` "
            "(or `uv sync --extra spark`), and make sure Java 17 is installed."
        ) from None
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
    session = (
        SparkSession.builder.master(settings.spark_master)
        .appName("jejak")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return Engine("spark", ibis.pyspark.connect(session))


def connect(settings: Settings = DEFAULT_SETTINGS, *, engine: str | None = None, database: str = ":memory:") -> Engine:
    """Connect to the engine the settings (or `engine=`) name.

    Example:
        >>> eng = connect()
        >>> eng.name
        'duckdb'
    """
    name = engine or settings.engine
    if name == "duckdb":
        return _connect_duckdb(settings, database)
    if name == "spark":
        return _connect_spark(settings)
    raise EngineError(f"Unknown engine {name!r}. Expected 'duckdb' or 'spark'.")
