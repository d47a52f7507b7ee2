"""Connect to the compute engine once, with every quirk set in one place.

DuckDB: UTC session time zone, threads and memory limit from the settings.
Spark: local[N] (or a master URL), UTC session time zone, UI off, few shuffle
partitions, log level ERROR (from the JVM's first line), scratch space in a temp
directory; loaded lazily because it is an optional extra. On Spark, results come
back through Arrow, memtables go in through Arrow, and `materialize` is a local
checkpoint. On both engines, materialized and written tables carry exactly the
column types the Ibis expression declares, so a table is the same on either.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
from ibis.formats.pyarrow import PyArrowData

from jejak.core.errors import EngineError, MissingExtraError, OutputFileError
from jejak.core.settings import DEFAULT_SETTINGS, Settings

SPARK_LOG4J2_PROPERTIES = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
# PySpark's gateway counts as a shell: without its own level, Spark sets the console to WARN and says so.
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


# How DuckDB writes Parquet: zstd at level 1. At 10M events it writes the events table in 4.5 s against 6.4 s at
# zstd's default level 3, and the file is the same size (219 against 220 MB); snappy and lz4 are slower than
# level 1 and two thirds larger.
PARQUET_COPY_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"
# Under a memory limit, freed memory past this much goes back to the system (see `_connect_duckdb`).
ALLOCATOR_FLUSH_MIB = 16


class _ArrowResult(PyArrowData):  # type: ignore[misc]  # Ibis ships no types for its formats
    """Ibis's DuckDB Arrow mapper without its module's pandas import: a NULL-typed column comes back as nulls."""

    @classmethod
    def convert_scalar(cls, scalar: pa.Scalar, dtype: dt.DataType) -> pa.Scalar:
        return pa.scalar(None) if dtype.is_null() else super().convert_scalar(scalar, dtype)

    @classmethod
    def convert_column(cls, column: pa.Array, dtype: dt.DataType) -> pa.Array:
        return pa.nulls(len(column)) if dtype.is_null() else super().convert_column(column, dtype)


@dataclass
class Engine:
    """An Ibis backend plus the few engine-specific operations jejak needs."""

    name: str
    backend: Any
    temp_dir: Path | None = None

    def read_parquet(self, path: Path | str, table_name: str | None = None) -> ir.Table:
        """Read a Parquet file, directory or glob as an Ibis table."""
        target = str(path)
        is_dir = Path(target).is_dir()
        try:
            if self.name == "duckdb":
                target = str(Path(target) / "**" / "*.parquet") if is_dir else target
                return self.backend.read_parquet(target, table_name=table_name, hive_partitioning=False)
            # As on DuckDB: every Parquet file under a directory, and no columns made up from `key=value` folders.
            options = {"recursiveFileLookup": "true", "pathGlobFilter": "*.parquet"} if is_dir else {}
            return self.backend.read_parquet(target, table_name=table_name, **options)
        except Exception as exc:  # the backends raise many unrelated types for a missing path
            raise EngineError(f"Could not read Parquet at {path}: {exc}") from exc

    def to_pyarrow(self, expr: ir.Expr) -> Any:
        """Execute an expression and return a pyarrow Table (a Scalar or Array for scalar or column expressions)."""
        if self.name == "duckdb":
            # Ibis's own DuckDB `to_pyarrow` imports its pandas converter on first use (0.21 s of every CLI
            # report); the Arrow result needs only the Arrow mapper, which is what it then uses.
            arrow = self.backend._to_duckdb_relation(expr).to_arrow_table()
            return expr.__pyarrow_result__(arrow, data_mapper=_ArrowResult)
        # Ibis's PySpark to_pyarrow goes through pandas (NaN for NULL, a pandas warning); Spark's own Arrow does not.
        table = expr.as_table()
        with warnings.catch_warnings():
            # PySpark leaves closing the result socket to the garbage collector (pyspark.util._load_from_socket),
            # which happens as toArrow returns; its ResourceWarning is PySpark's, not ours.
            warnings.simplefilter("ignore", ResourceWarning)
            arrow = self._spark_frame(table).toArrow()
        # Ibis calls Spark's TIMESTAMP naive, but it is an instant: keep the UTC zone Spark's Arrow gives it.
        fields = [
            got if pa.types.is_timestamp(got.type) and pa.types.is_timestamp(wanted.type) else wanted
            for wanted, got in zip(table.schema().to_pyarrow(), arrow.schema, strict=True)
        ]
        result = arrow.cast(pa.schema(fields))
        if isinstance(expr, ir.Table):
            return result
        return result.column(0) if isinstance(expr, ir.Column) else result.column(0)[0]

    def _spark_frame(self, expr: ir.Table, *, conform: bool = False) -> Any:
        """The Spark DataFrame of an expression (in-memory tables registered first).

        With `conform`, every column is cast to the type the expression declares (Spark's SIZE is a 32-bit int
        where Ibis promises int64), so materialized and written tables have the same types as on DuckDB.
        """
        from ibis.backends.pyspark.datatypes import PySparkType

        self.backend._run_pre_execute_hooks(expr)
        frame = self.backend._session.sql(self.backend.compile(expr))
        if not conform:
            return frame
        return frame.select(
            *[frame[name].cast(PySparkType.from_ibis(dtype)).alias(name) for name, dtype in expr.schema().items()]
        )

    def _duckdb(self) -> Any:
        if self.name != "duckdb":
            raise EngineError("Raw SQL runs only on the embedded DuckDB engine (file import and fast paths).")
        return self.backend.con

    def execute_sql(self, query: str, parameters: list[Any] | dict[str, Any] | None = None) -> None:
        """Run a DuckDB SQL statement (file import and engine-specific fast paths only); `parameters` by position
        (`?`) or by name (`$name`)."""
        self._duckdb().execute(query, parameters or [])

    def fetch_arrow(self, query: str, parameters: list[Any] | None = None) -> Any:
        """Run a DuckDB query and return a pyarrow Table."""
        return self._duckdb().execute(query, parameters or []).to_arrow_table()

    def register_arrow(self, name: str, table: Any) -> None:
        """Expose an in-memory pyarrow Table to DuckDB SQL under `name`."""
        self._duckdb().register(name, table)

    def unregister(self, name: str) -> None:
        """Forget a registered table."""
        self._duckdb().unregister(name)

    def json_object_texts(self, text: ir.StringValue) -> ir.MapValue:
        """The members of JSON object text as a map of texts; NULL where the text is not a JSON object.

        A string member is its text; numbers, booleans, objects and arrays are their JSON text
        (`25`, `1500.0` for `1.5e3`, `true`, `{"city":"Bandung"}`), the same on both engines;
        a `null` member is NULL. Both engines call it `from_json`, with their own type syntax.
        """
        if self.name == "duckdb":
            # DuckDB raises on text that is not JSON (Spark gives NULL): such text is no object here either.
            valid = ibis.ifelse(_json_valid(text), text, ibis.null("string"))
            members: ir.MapValue = _from_json(valid, '"MAP(VARCHAR, VARCHAR)"')
        else:
            members = _from_json(text, "map<string,string>")
        return members

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """Compute an expression once and keep it as a temporary table for the following steps."""
        if self.name == "duckdb":
            # One CREATE … AS, not ibis' create_table: with overwrite=True it inserts into a table under another
            # name and then copies that whole table to this one (10M sessionized events: 2 s of the copy alone).
            self.backend._run_pre_execute_hooks(expr)  # registers in-memory tables the expression reads
            quoted = _quote_name(name)
            self.backend.con.execute(f"CREATE OR REPLACE TEMP TABLE {quoted} AS {self._typed_select(expr)}")
            return self.backend.table(name, database=("temp", "main"))
        # Spark: a local checkpoint computes the rows now and cuts the lineage, so the plans of iterative
        # algorithms (label propagation) stay short; Spark drops it once the view is replaced and nothing uses it.
        frame = self._spark_frame(expr, conform=True).localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        return self.backend.table(name)

    def release(self, *names: str, prefix: str | None = None, keep: tuple[str, ...] = ()) -> None:
        """Drop tables `materialize` kept whose rows are no longer needed (on DuckDB they hold memory until the
        connection closes): `names` exactly, and with `prefix` every one whose name starts with it, but `keep`."""
        if self.name == "duckdb":
            kept = self.backend.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
            temporary = [name for (name,) in kept]
        else:
            catalog = self.backend._session.catalog
            temporary = [table.name for table in catalog.listTables() if table.isTemporary]
        for name in temporary:
            if name in keep or not (name in names or (prefix is not None and name.startswith(prefix))):
                continue
            if self.name == "duckdb":
                self.backend.con.execute(f"DROP TABLE IF EXISTS temp.main.{_quote_name(name)}")
            else:
                catalog.dropTempView(name)

    def _typed_select(self, expr: ir.Table) -> str:
        """DuckDB SQL of `expr` with every column cast to the type the expression declares."""
        type_mapper = self.backend.compiler.type_mapper
        columns = ", ".join(
            f"CAST({_quote_name(name)} AS {type_mapper.from_ibis(dtype).sql('duckdb')}) AS {_quote_name(name)}"
            for name, dtype in expr.schema().items()
        )
        return f"SELECT {columns} FROM ({self.backend.compile(expr)}) AS written"

    def write_parquet(self, expr: ir.Table, directory: Path) -> None:
        """Write an expression's result as a directory of Parquet files (the derived-table layout)."""
        # Every column is cast to the type the expression declares: the engines' own result types differ
        # (DuckDB sums BIGINTs into HUGEINT, which Parquet stores as DOUBLE; Spark's SIZE is a 32-bit int).
        if self.name == "duckdb":
            directory.mkdir(parents=True, exist_ok=True)
            target = str(directory / "part-0.parquet").replace("'", "''")
            self.backend.con.execute(f"COPY ({self._typed_select(expr)}) TO '{target}' ({PARQUET_COPY_OPTIONS})")
            return
        frame = self._spark_frame(expr, conform=True)
        # One part file per task, straight into the directory; timestamps as TIMESTAMP_MICROS in UTC.
        frame.write.mode("overwrite").option("compression", "zstd").parquet(str(directory))
        for path in directory.iterdir():
            if path.suffix != ".parquet":
                path.unlink()  # Spark's .crc checksums: the directory holds Parquet files and nothing else

    def export(self, expr: ir.Table, path: Path, file_format: str) -> int:
        """Write a table expression to one file as csv, parquet or jsonl (nested structs become JSON objects); returns
        the rows written. DuckDB's COPY streams the rows in one vectorised pass: a 10M-row table is never whole in
        memory (it was read into Arrow first: 2 GB for the events table at 10M)."""
        if self.name != "duckdb":
            raise EngineError("export runs on DuckDB.")
        options = {
            "csv": "FORMAT csv, HEADER true",
            "parquet": PARQUET_COPY_OPTIONS,
            "jsonl": "FORMAT json",
        }
        if file_format not in options:
            raise EngineError(f"Unknown file format {file_format!r}; expected one of {', '.join(options)}.")
        import duckdb

        escaped = str(path).replace("'", "''")
        try:
            written = self.backend.con.execute(
                f"COPY ({self.backend.compile(expr)}) TO '{escaped}' ({options[file_format]})"
            ).fetchone()
        # Over an existing file DuckDB writes a temporary one and renames it (its USE_TMP_FILE): a failed export
        # leaves the file there was.
        except duckdb.IOException as error:  # a full disk, a folder gone or not writable since it was checked
            reason = str(error).removeprefix("IO Error: ")
            said = reason if str(path) in reason else f"Could not write {path}: {reason}"
            raise OutputFileError(f"{said}. Free some space, or name another file.") from None
        return int(written[0]) if written else 0

    @contextlib.contextmanager
    def memory_errors(self, setting_mb: int) -> Any:
        """Turn the engine's out-of-memory failure into an error that says which setting to change."""
        if self.name != "duckdb":
            yield
            return
        import duckdb

        try:
            yield
        except duckdb.OutOfMemoryException as exc:
            limit = f"{setting_mb} MiB" if setting_mb else "DuckDB's default, 80 % of RAM"
            first_line = str(exc).splitlines()[0]
            raise EngineError(
                f"DuckDB ran out of memory ({first_line}). The limit is {limit} (setting duckdb_memory_limit_mb). "
                "Raise it, set it to 0 for DuckDB's default, or lower duckdb_threads; what does not fit is spilled "
                "to disk where DuckDB can, but some steps must hold a whole group in memory."
            ) from None

    def close(self) -> None:
        """Release the backend (and Spark's scratch directory)."""
        with contextlib.suppress(Exception):  # already stopped, or the JVM is gone: nothing left to release
            self.backend.disconnect()
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def _from_json_arguments(text: str, structure: str) -> None:
    """DuckDB's and Spark's `from_json(text, type)`, as a map of texts."""


def _json_valid_arguments(text: str) -> None:
    """DuckDB's `json_valid(text)`."""


# Functions both engines have under one name, callable on Ibis values; the decorator form is untyped.
_from_json = ibis.udf.scalar.builtin(
    _from_json_arguments, name="from_json", signature=((dt.string, dt.string), dt.Map(dt.string, dt.string))
)
_json_valid = ibis.udf.scalar.builtin(_json_valid_arguments, name="json_valid", signature=((dt.string,), dt.boolean))


def _quote_name(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _nul_safe_compiler() -> Any:
    """Ibis's DuckDB compiler, but a text literal holding a NUL is built from pieces and `chr(0)`.

    Ibis writes a text literal's characters as they are, and DuckDB's parser ends the text at a NUL: a value from
    the data that holds one (a campaign name in a spend sheet, an event name) stopped any query that named it, a
    report's filter or the spend notes of attribution, as a parser error. What is typed (settings, the dashboard's
    parameters and forms, persona documents) is refused with its NUL where it enters; this covers what comes from
    the data, on every query.
    """
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

    class NulSafeDuckDBCompiler(DuckDBCompiler):  # type: ignore[misc]  # Ibis ships no types for its compilers
        def visit_NonNullLiteral(self, op: Any, *, value: Any, dtype: dt.DataType) -> Any:
            if dtype.is_string() and "\x00" in value:
                pieces: list[Any] = []
                for number, part in enumerate(value.split("\x00")):
                    pieces += [self.f.chr(0)] if number else []
                    pieces.append(sge.convert(part))
                return sge.Paren(this=self.f.concat(*pieces))
            return super().visit_NonNullLiteral(op, value=value, dtype=dtype)

    return NulSafeDuckDBCompiler()


def _connect_duckdb(settings: Settings, database: str) -> Engine:
    import duckdb

    con = duckdb.connect(database)
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB draws a progress bar on stdout for a query past two seconds: inside `jejak export -o -` or a report's
    # JSON, output a pipe would read as data. jejak shows its own progress.
    con.execute("SET enable_progress_bar = false")
    if settings.duckdb_threads:
        con.execute(f"SET threads = {int(settings.duckdb_threads)}")
    if settings.duckdb_memory_limit_mb:
        con.execute(f"SET memory_limit = '{int(settings.duckdb_memory_limit_mb)}MiB'")
        # The limit bounds DuckDB's buffer pool, not what its allocator keeps of freed memory for reuse (up to
        # 128 MiB per thread, and bulk frees up to 512 MiB, by default). Under a 900 MB limit that kept memory
        # took a 10M-event build to 1.73 GB; handed back early and by a background thread, 1.33 GB in the same
        # time. Without a limit the pool is the peak (7.6 GB), so this is left to DuckDB there.
        con.execute("SET allocator_background_threads = true")
        con.execute(f"SET allocator_flush_threshold = '{ALLOCATOR_FLUSH_MIB}MiB'")
        con.execute(f"SET allocator_bulk_deallocation_flush_threshold = '{ALLOCATOR_FLUSH_MIB}MiB'")
    con.execute("SET preserve_insertion_order = false")
    backend = ibis.duckdb.from_connection(con)
    backend.compiler = _nul_safe_compiler()  # this backend's only: Ibis's own class is left as it is
    return Engine("duckdb", backend)


def _connect_spark(settings: Settings) -> Engine:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingExtraError(
            "The Spark engine needs the spark extra. Install it with `pip install 'jejak[spark]'` "
            "(or `uv sync --extra spark`), and make sure Java 17 is installed."
        ) from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    temp_dir = Path(tempfile.mkdtemp(prefix="jejak-spark-"))
    # Spark prints its start-up warnings before setLogLevel can run; a log4j2 file silences them from the start.
    log_config = temp_dir / "log4j2.properties"
    log_config.write_text(SPARK_LOG4J2_PROPERTIES, encoding="utf-8")
    session = (
        SparkSession.builder.master(settings.spark_master)
        .appName("jejak")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config.as_uri()}")
        .config("spark.sql.warehouse.dir", str(temp_dir / "warehouse"))
        .config("spark.local.dir", str(temp_dir / "local"))
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        # Derived-table directories hold Parquet files only; no _SUCCESS marker.
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    backend = ibis.pyspark.connect(session)
    # Ibis hands memtables to PySpark through pandas, where a NULL string arrives as the text 'NaN'; go through Arrow.
    backend._register_in_memory_table = functools.partial(_register_memtable_with_arrow, session)
    return Engine("spark", backend, temp_dir=temp_dir)


def _register_memtable_with_arrow(session: Any, op: Any) -> None:
    """Expose an Ibis memtable to Spark SQL under its name, NULLs kept as NULLs."""
    from ibis.backends.pyspark.datatypes import PySparkSchema

    frame = session.createDataFrame(op.data.to_pyarrow(op.schema), schema=PySparkSchema.from_ibis(op.schema))
    frame.createOrReplaceTempView(op.name)


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
