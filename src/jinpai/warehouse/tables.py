"""The stored layout of the canonical tables (metric code reads exactly this).

Per table: ``shop_id``, the canonical columns with their types (timestamps naive UTC, money
DECIMAL(18,2)), the table's extras (orders ``status_raw``, messages ``occurrence``), then the
lineage ``source_file, source_row, seq, import_id`` and ``row_key`` (the upsert key within a
shop). ``seq`` = import_id * 2^32 + source_row orders events with equal timestamps.
"""

from __future__ import annotations

import duckdb

from jinpai.canonical.schema import SHOP_ID, TABLES, TableSchema
from jinpai.canonical.validation import EXTRA_COLUMNS, sql_type

SEQ_FACTOR = 1 << 32
LINEAGE = (
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("seq", "BIGINT"),
    ("import_id", "BIGINT"),
    ("row_key", "VARCHAR"),
)
STORED_EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    **EXTRA_COLUMNS,
    "messages": (("occurrence", "INTEGER"),),
}

IMPORTS_DDL = """
CREATE TABLE IF NOT EXISTS imports (
    id BIGINT PRIMARY KEY,
    file VARCHAR,
    sha256 VARCHAR,
    table_name VARCHAR,
    adapter VARCHAR,
    rows_read BIGINT,
    rows_stored BIGINT,
    rows_updated BIGINT,
    rows_quarantined BIGINT,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
)"""

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS quarantine (
    import_id BIGINT,
    shop_id VARCHAR,
    table_name VARCHAR,
    file VARCHAR,
    source_row BIGINT,
    column_name VARCHAR,
    reason VARCHAR,
    raw_json VARCHAR
)"""


def q(name: str) -> str:
    """Quote a schema identifier (``group`` is an SQL keyword)."""
    return '"' + name.replace('"', '""') + '"'


def data_columns(schema: TableSchema) -> list[tuple[str, str]]:
    """(name, type) of the stored columns that carry data: canonical and extras."""
    cols = [(c.name, sql_type(c)) for c in schema.columns]
    return cols + list(STORED_EXTRAS.get(schema.name, ()))


def stored_columns(schema: TableSchema) -> list[tuple[str, str]]:
    return [(SHOP_ID, "VARCHAR"), *data_columns(schema), *LINEAGE]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables, the import history and the quarantine if missing."""
    for schema in TABLES.values():
        cols = ", ".join(f"{q(n)} {t}" for n, t in stored_columns(schema))
        con.execute(f"CREATE TABLE IF NOT EXISTS {q(schema.name)} ({cols})")
    con.execute(IMPORTS_DDL)
    con.execute(QUARANTINE_DDL)
