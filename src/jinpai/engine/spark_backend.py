"""Binds canonical tables held as Parquet (the warehouse layout) on PySpark.

The bound columns are those of :func:`jinpai.engine.duckdb_backend.bind_duckdb`, so every catalogue
expression runs unchanged. Spark is fed from Parquet only (never from pandas), and its session is
set up to behave like DuckDB where it matters for metrics (see :data:`SEMANTICS_CONF`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from jinpai.canonical.schema import DEFAULT_SHOP, TABLES, Column, Kind
from jinpai.canonical.validation import sql_string
from jinpai.metrics.context import TABLE_NAMES

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import Column as SparkColumn
    from pyspark.sql import DataFrame, SparkSession

# Parquet sources: a folder holding ``<table>.parquet`` (file or directory) or ``<table>/``, or a
# mapping of table name -> one path or several.
ParquetSource = str | Path | Mapping[str, str | Path | Sequence[str | Path]]

# What the figures depend on: applied to any session that binds tables.
SEMANTICS_CONF: dict[str, str] = {
    # stored timestamps are naive UTC: read and cast them as UTC, whatever the machine's zone
    "spark.sql.session.timeZone": "UTC",
    # x / 0 is NULL as on DuckDB (ANSI mode raises instead); ratios guard 0 themselves anyway
    "spark.sql.ansi.enabled": "false",
    # DuckDB writes naive TIMESTAMP as isAdjustedToUTC=false: read it as TIMESTAMP_NTZ
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}

# The local session of spark_session(): the above plus speed settings for 2 cores.
SESSION_CONF: dict[str, str] = {
    **SEMANTICS_CONF,
    # small local data: few shuffle partitions, no UI, Arrow for results
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "2g",
}

_SPARK_TYPES = {
    Kind.TEXT: "string",
    Kind.CHOICE: "string",
    Kind.TIMESTAMP: "timestamp_ntz",
    Kind.DATE: "date",
    Kind.BOOL: "boolean",
    Kind.INTEGER: "int",
    Kind.SCORE: "double",
}


def _patch_ordered_group_concat() -> None:
    """Ibis 12 refuses ``group_concat(order_by=...)`` on PySpark, but Spark 4 has
    ``listagg(x, sep) WITHIN GROUP (ORDER BY ...)``: compile it so (as DuckDB's ordered
    group_concat, NULL over no rows)."""
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.base import NULL
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    def visit_group_concat(self, op, *, arg, sep, where, order_by):  # type: ignore[no-untyped-def]
        if where is not None:
            arg = self.if_(where, arg, NULL)
        out = self.f.listagg(arg, sep)
        if order_by:
            out = sge.WithinGroup(this=out, expression=sge.Order(expressions=order_by))
        return out

    PySparkCompiler.visit_GroupConcat = visit_group_concat


_patch_ordered_group_concat()


def spark_type(column: Column) -> str:
    if column.kind is Kind.DECIMAL:
        return f"decimal(18,{getattr(column, 'scale', 2)})"
    return _SPARK_TYPES[column.kind]


def spark_session(
    master: str = "local[2]", app_name: str = "jinpai", conf: Mapping[str, str] | None = None
) -> SparkSession:
    """A local SparkSession configured for jinpai (or the active one, re-configured)."""
    from pyspark.sql import SparkSession

    settings = {**SESSION_CONF, **(conf or {})}
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # getOrCreate may return a running session: set what can change at runtime
    for key, value in settings.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return session


def configure(session: SparkSession) -> None:
    """Apply SEMANTICS_CONF to a session (possibly made elsewhere)."""
    for key, value in SEMANTICS_CONF.items():
        session.conf.set(key, value)


def bind_spark(
    session: SparkSession,
    source: ParquetSource,
    timezones: Mapping[str, str],
    default_timezone: str,
) -> dict[str, ir.Table]:
    """Ibis tables over Parquet canonical tables with the time columns of MetricContext.

    Every canonical column is cast to its canonical type; a missing optional column takes its
    default, a missing ``shop_id`` is ``default`` and a missing ``seq`` is the file's row order.
    Missing tables are bound empty. Each call registers its own temp views, so two bindings in one
    session never see each other's data.
    """
    configure(session)
    paths = table_paths(source)
    backend = ibis.pyspark.connect(session)
    tag = uuid.uuid4().hex[:8]
    out: dict[str, ir.Table] = {}
    for name in TABLE_NAMES:
        frame = (
            session.read.parquet(*[str(p) for p in paths[name]])
            if paths.get(name)
            else _empty_frame(session, name)
        )
        view = f"jp_{tag}_{name}"
        _bound_frame(frame, name, timezones, default_timezone).createOrReplaceTempView(view)
        out[name] = backend.table(view)
    return out


def table_paths(source: ParquetSource) -> dict[str, list[Path]]:
    if isinstance(source, Mapping):
        out: dict[str, list[Path]] = {}
        for name, value in source.items():
            if name not in TABLES:
                raise ValueError(f"unknown canonical table {name!r}")
            out[name] = [Path(value)] if isinstance(value, str | Path) else [Path(v) for v in value]
        return out
    folder = Path(source)
    if not folder.is_dir():
        raise FileNotFoundError(f"no Parquet folder at {folder}")
    found: dict[str, list[Path]] = {}
    for name in TABLE_NAMES:
        for candidate in (folder / f"{name}.parquet", folder / name):
            if candidate.exists():
                found[name] = [candidate]
                break
    return found


def _empty_frame(session: SparkSession, name: str) -> DataFrame:
    columns = ["CAST(NULL AS STRING) AS shop_id", "CAST(NULL AS BIGINT) AS seq"] + [
        f"CAST(NULL AS {spark_type(c)}) AS `{c.name}`" for c in TABLES[name].columns
    ]
    return session.sql(f"SELECT {', '.join(columns)} WHERE false")


def _bound_frame(
    frame: DataFrame, name: str, timezones: Mapping[str, str], default_timezone: str
) -> DataFrame:
    from pyspark.sql import functions as F

    present = set(frame.columns)
    if "shop_id" not in present:
        frame = frame.withColumn("shop_id", F.lit(DEFAULT_SHOP))
    if "seq" not in present:
        frame = frame.withColumn("seq", F.monotonically_increasing_id())
    tz = _timezone_of(F.col("shop_id"), timezones, default_timezone)
    typed: dict[str, SparkColumn] = {
        "shop_id": F.col("shop_id").cast("string"),
        "seq": F.col("seq").cast("bigint"),
    }
    extra: dict[str, SparkColumn] = {}
    for column in TABLES[name].columns:
        if column.name in present:
            # a timestamp with a zone (LTZ) becomes naive UTC through the UTC session zone
            value = F.col(f"`{column.name}`").cast(spark_type(column))
        else:
            default = None if column.default is None else F.lit(column.default)
            value = (default if default is not None else F.lit(None)).cast(spark_type(column))
        typed[column.name] = value
        if column.kind is Kind.TIMESTAMP:
            stem = column.name.removesuffix("_at")
            utc = value.cast("timestamp")
            local = F.from_utc_timestamp(utc, tz)
            extra[f"{stem}_us"] = F.unix_micros(utc).cast("bigint")
            extra[f"{stem}_lus"] = F.unix_micros(local).cast("bigint")
            extra[f"{stem}_day"] = F.unix_date(local.cast("date")).cast("bigint")
        elif column.kind is Kind.DATE:
            extra[f"{column.name.removesuffix('_on')}_day"] = F.unix_date(value).cast("bigint")
    kept = [F.col(f"`{c}`") for c in frame.columns if c not in typed]  # lineage and extras
    base = frame.select(*kept, *(v.alias(k) for k, v in typed.items()))
    return base.select("*", *(v.alias(k) for k, v in extra.items()))


def _timezone_of(
    shop: SparkColumn, timezones: Mapping[str, str], default_timezone: str
) -> SparkColumn:
    from pyspark.sql import functions as F

    if not timezones:
        return F.lit(default_timezone)
    pairs = [F.lit(x) for item in timezones.items() for x in item]
    return F.coalesce(F.create_map(*pairs)[shop], F.lit(default_timezone))


def export_parquet(
    con: duckdb.DuckDBPyConnection, folder: str | Path, schema: str | None = None
) -> dict[str, Path]:
    """Write the canonical tables of a DuckDB warehouse (or a golden case) as ``<table>.parquet``
    files in ``folder``, for :func:`bind_spark`. Tables the warehouse lacks are not written."""
    out_dir = Path(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE (? IS NULL OR database_name = ?)"
            " UNION SELECT view_name FROM duckdb_views() WHERE NOT internal"
            " AND (? IS NULL OR database_name = ?)",
            [schema, schema, schema, schema],
        ).fetchall()
    }
    prefix = f'"{schema}".' if schema else ""
    written: dict[str, Path] = {}
    for name in TABLE_NAMES:
        if name not in existing:
            continue
        target = out_dir / f"{name}.parquet"
        # identifiers come from the canonical schema only; ordered by seq to keep file order
        order = " ORDER BY seq" if _has_column(con, prefix, name, "seq") else ""
        con.execute(
            f"COPY (SELECT * FROM {prefix}{name}{order}) TO {sql_string(str(target))} (FORMAT parquet)"
        )
        written[name] = target
    return written


def _has_column(con: duckdb.DuckDBPyConnection, prefix: str, name: str, column: str) -> bool:
    names = [d[0] for d in con.execute(f"SELECT * FROM {prefix}{name} LIMIT 0").description]
    return column in names
