"""Binds canonical tables held in DuckDB (a warehouse file or an in-memory load of a folder)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir

from jinpai.canonical.schema import TABLES, Kind
from jinpai.canonical.validation import set_memory_limit, sql_string, sql_type
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
        set_memory_limit(con, memory_limit)
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
    sources = {
        name: f"{prefix}{name}" if name in existing else _empty_table_sql(name)
        for name in TABLE_NAMES
    }
    offset = _create_offsets(con, sources)
    for name, source in sources.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW jp_{name} AS {_bound_sql(name, source, offset)}")
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


# Converting every instant through the time zone library costs about 1.4 s per 20 million rows,
# and a report reads messages several times. Zones change their UTC offset on quarter hours
# (almost always), so the library is asked once per (zone, quarter hour) of the data and the
# offset added. A quarter hour whose offset differs between its first and its last microsecond
# holds a transition: it gets no offset, and its rows are converted one by one. When every
# instant bound has the same offset (one shop, or shops in zones alike, and no transition in the
# data: a Chinese shop), that offset is added to every row and the views need no join at all.
_BUCKET = "INTERVAL '15 minutes'"
_TZ = "coalesce(z.tz, d.tz)"  # the shop's time zone, else the default
_TZ_JOIN = "LEFT JOIN jp_shop_tz AS z ON z.shop_id = t.shop_id CROSS JOIN jp_default_tz AS d"


def _timestamp_columns(name: str) -> list[str]:
    return [c.name for c in TABLES[name].columns if c.kind is Kind.TIMESTAMP]


def _create_offsets(con: duckdb.DuckDBPyConnection, sources: Mapping[str, str]) -> int | None:
    """``jp_tz_offsets``: the UTC offset (µs) of each (zone, bucket) the bound instants fall in,
    null for a bucket that holds a transition. Returns the offset when it is the same for all."""
    buckets = [
        f'SELECT {_TZ} AS tz, time_bucket({_BUCKET}, t."{column}") AS bucket'
        f' FROM {source} AS t {_TZ_JOIN} WHERE t."{column}" IS NOT NULL'
        for name, source in sources.items()
        for column in _timestamp_columns(name)
    ]
    last = f"bucket + {_BUCKET} - INTERVAL '1 microsecond'"

    def offset(instant: str) -> str:
        return f"epoch_us(timezone(tz, timezone('UTC', {instant}))) - epoch_us({instant})"

    con.execute(
        "CREATE OR REPLACE TEMP TABLE jp_tz_offsets AS SELECT tz, bucket, "
        f"CASE WHEN {offset('bucket')} = {offset(last)} THEN {offset('bucket')} END AS offset_us"
        f" FROM ({' UNION '.join(buckets)})"
    )
    offsets, transitions, first = con.execute(
        "SELECT count(DISTINCT offset_us), count(*) - count(offset_us), min(offset_us)"
        " FROM jp_tz_offsets"
    ).fetchone()
    return int(first) if offsets == 1 and transitions == 0 else None


def _bound_sql(name: str, source: str, offset_us: int | None) -> str:
    # Identifiers come from the canonical schema only, never from user input.
    extra: list[str] = []
    joins = [] if offset_us is not None else [_TZ_JOIN]
    for i, column in enumerate(_timestamp_columns(name)):
        c, o = f't."{column}"', f"o{i}"
        stem = column.removesuffix("_at")
        if offset_us is not None:
            lus = f"epoch_us({c}) + {offset_us}"
        else:
            joins.append(
                f"LEFT JOIN jp_tz_offsets AS {o} ON {o}.tz = {_TZ}"
                f" AND {o}.bucket = time_bucket({_BUCKET}, {c})"
            )
            lus = (
                f"CASE WHEN {o}.offset_us IS NOT NULL THEN epoch_us({c}) + {o}.offset_us"
                f" ELSE epoch_us(timezone({_TZ}, timezone('UTC', {c}))) END"
            )
        extra += [f'epoch_us({c}) AS "{stem}_us"', f'{lus} AS "{stem}_lus"']
    for column in TABLES[name].columns:
        if column.kind is Kind.DATE:
            stem = column.name.removesuffix("_on")
            extra.append(
                f"datediff('day', DATE '1970-01-01', t.\"{column.name}\") AS \"{stem}_day\""
            )
    selected = ", ".join(["t.*", *extra])
    bound = f"SELECT {selected} FROM {source} AS t {' '.join(joins)}"
    # the local day of a local wall time needs no time zone
    days = [
        f"datediff('day', DATE '1970-01-01', CAST(make_timestamp(\"{stem}_lus\") AS DATE))"
        f' AS "{stem}_day"'
        for stem in (c.removesuffix("_at") for c in _timestamp_columns(name))
    ]
    return f"SELECT *, {', '.join(days)} FROM ({bound})" if days else bound
