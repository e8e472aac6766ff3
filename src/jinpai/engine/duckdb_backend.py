"""Binds canonical tables held in DuckDB (a warehouse file or an in-memory load of a folder)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir

from jinpai.canonical.schema import TABLES, Kind
from jinpai.canonical.validation import sql_string, sql_type
from jinpai.metrics.context import TABLE_NAMES


def bind_duckdb(
    con: duckdb.DuckDBPyConnection,
    timezones: Mapping[str, str],
    default_timezone: str,
    schema: str | None = None,
    memory_limit: str | None = None,
) -> dict[str, ir.Table]:
    """Ibis tables over ``con``'s canonical tables with the time columns of MetricContext.

    ``schema`` names an attached warehouse (``ATTACH ... AS wh``); missing optional tables are
    bound as empty. Views are created in the connection's temp schema, so a read-only warehouse
    stays untouched. ``memory_limit`` (e.g. ``"1200MB"``) caps DuckDB's memory on ``con``: cached
    blocks and large sorts spill to disk beyond it (slower, same figures); by default the
    connection's settings are left alone.
    """
    if memory_limit is not None:
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
            raise ValueError(f"memory_limit {memory_limit!r} is not like '1200MB' or '2GB'")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        # an in-memory connection would spill into ./.tmp of whatever folder the user is in, and
        # two databases must not share a spill folder
        spill = tempfile.mkdtemp(dir=_spill_root())
        # a connection that has spilled already (loading a folder) keeps its folder
        with contextlib.suppress(duckdb.NotImplementedException):
            con.execute(f"SET temp_directory = {sql_string(spill)}")
    # results are keyed, never read in insertion order: let DuckDB drop it to save memory
    con.execute("SET preserve_insertion_order = false")
    con.execute("CREATE OR REPLACE TEMP TABLE jp_shop_tz (shop_id VARCHAR, tz VARCHAR)")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jp_default_tz AS SELECT ?::VARCHAR AS tz", [default_timezone]
    )
    if timezones:
        con.executemany("INSERT INTO jp_shop_tz VALUES (?, ?)", list(timezones.items()))
    prefix = f'"{schema}".' if schema else ""
    existing = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE (? IS NULL OR database_name = ?)"
            " UNION SELECT view_name FROM duckdb_views() WHERE NOT internal",
            [schema, schema],
        ).fetchall()
    }
    for name in TABLE_NAMES:
        source = f"{prefix}{name}" if name in existing else _empty_table_sql(name)
        con.execute(f"CREATE OR REPLACE TEMP VIEW jp_{name} AS {_bound_sql(name, source)}")
    backend = ibis.duckdb.from_connection(con)
    return {name: backend.table(f"jp_{name}") for name in TABLE_NAMES}


def close(con: duckdb.DuckDBPyConnection) -> None:
    """Close ``con`` and remove the spill folder ``bind_duckdb`` gave it, if any."""
    folder = Path(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
    con.close()
    if folder.parent == Path(_spill_root()):
        shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def _spill_root() -> str:
    """This process's folder for DuckDB spill files, removed when the process ends."""
    root = tempfile.mkdtemp(prefix="jinpai-spill-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def _empty_table_sql(name: str) -> str:
    columns = ["NULL::VARCHAR AS shop_id", "NULL::BIGINT AS seq"] + [
        f'NULL::{sql_type(c)} AS "{c.name}"' for c in TABLES[name].columns
    ]
    return f"(SELECT {', '.join(columns)} WHERE false)"


def _bound_sql(name: str, source: str) -> str:
    # Identifiers come from the canonical schema only, never from user input.
    tz = "coalesce(z.tz, d.tz)"
    extra: list[str] = []
    for column in TABLES[name].columns:
        c = f't."{column.name}"'
        if column.kind is Kind.TIMESTAMP:
            stem = column.name.removesuffix("_at")
            local = f"timezone({tz}, timezone('UTC', {c}))"
            extra += [
                f'epoch_us({c}) AS "{stem}_us"',
                f'epoch_us({local}) AS "{stem}_lus"',
                f"datediff('day', DATE '1970-01-01', CAST({local} AS DATE)) AS \"{stem}_day\"",
            ]
        elif column.kind is Kind.DATE:
            stem = column.name.removesuffix("_on")
            extra.append(f"datediff('day', DATE '1970-01-01', {c}) AS \"{stem}_day\"")
    selected = ", ".join(["t.*", *extra])
    return (
        f"SELECT {selected} FROM {source} AS t "
        "LEFT JOIN jp_shop_tz AS z ON z.shop_id = t.shop_id CROSS JOIN jp_default_tz AS d"
    )
