"""The engine: binds canonical tables on DuckDB (embedded, default) or PySpark and builds reports.

:func:`open_tables` is the one switch between engines; everything after it (contexts, blocks,
reports) is engine-blind Ibis.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from jinpai.settings import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    import duckdb
    import ibis.expr.types as ir
    from pyspark.sql import SparkSession

    from jinpai.engine.spark_backend import ParquetSource

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")


def open_tables(
    engine: EngineName = "duckdb",
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    parquet: ParquetSource | None = None,
    schema: str | None = None,
    timezones: Mapping[str, str] | None = None,
    default_timezone: str = DEFAULT_TIMEZONE,
    spark: SparkSession | None = None,
    memory_limit: str | None = None,
) -> dict[str, ir.Table]:
    """The canonical tables bound on ``engine``, ready for ``build_report``.

    Give either ``con`` (a DuckDB connection holding the warehouse-layout tables, e.g. a folder
    loaded in memory, or an attached warehouse named by ``schema``) or ``parquet`` (a folder of
    ``<table>.parquet`` in the warehouse layout, or a table -> path(s) mapping).
    On Spark, a DuckDB ``con`` is first exported to Parquet in a temporary folder (removed at exit);
    ``spark`` defaults to a local session from :func:`jinpai.engine.spark_backend.spark_session`.
    ``memory_limit`` caps DuckDB (see :func:`jinpai.engine.duckdb_backend.bind_duckdb`).
    """
    if (con is None) == (parquet is None):
        raise ValueError("give exactly one of con= (DuckDB) or parquet= (a Parquet folder)")
    zones = dict(timezones or {})
    if engine == "duckdb":
        from jinpai.engine.duckdb_backend import bind_duckdb

        if con is None:
            con = _duckdb_over_parquet(parquet)
            schema = None
        return bind_duckdb(con, zones, default_timezone, schema=schema, memory_limit=memory_limit)
    if engine == "spark":
        try:
            from jinpai.engine import spark_backend
        except ImportError as err:  # pragma: no cover - the extra is missing
            raise RuntimeError(
                "the Spark engine needs the extra: pip install 'jinpai[spark]'"
            ) from err
        session = spark or spark_backend.spark_session()
        if parquet is None:
            folder = Path(tempfile.mkdtemp(prefix="jinpai-spark-"))
            # Spark reads lazily: the files must outlive this call
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            parquet = folder
            assert con is not None
            spark_backend.export_parquet(con, folder, schema=schema)
        return spark_backend.bind_spark(session, parquet, zones, default_timezone)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def _duckdb_over_parquet(source: ParquetSource | None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per Parquet table (nothing is copied)."""
    import duckdb

    from jinpai.canonical.validation import sql_string
    from jinpai.engine.spark_backend import table_paths

    con = duckdb.connect()
    assert source is not None
    for name, paths in table_paths(source).items():
        files = ", ".join(sql_string(_parquet_glob(p)) for p in paths)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{files}])")
    return con


def _parquet_glob(path: Path) -> str:
    return str(path / "**" / "*.parquet") if path.is_dir() else str(path)
