"""Idempotent upsert of a staged table into its canonical table, keyed by (shop_id, row_key).

A staged row whose key is new is inserted; one whose key exists with different data updates the
stored row (with the new lineage); an identical one leaves the stored row untouched, keeping its
original ``seq``.
"""

from __future__ import annotations

import duckdb

from jinpai.canonical.schema import TableSchema
from jinpai.warehouse.tables import data_columns, q, stored_columns


def upsert(con: duckdb.DuckDBPyConnection, schema: TableSchema, stage: str) -> tuple[int, int]:
    """Merge ``stage`` (same columns as the table) into the table; returns (stored, updated)."""
    target = q(schema.name)
    data = [n for n, _ in data_columns(schema)]
    changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in data)
    sets = ", ".join(
        f"{q(c)} = s.{q(c)}" for c in [*data, "source_file", "source_row", "seq", "import_id"]
    )
    updated = con.execute(
        f"UPDATE {target} AS t SET {sets} FROM {q(stage)} AS s "
        f"WHERE t.shop_id = s.shop_id AND t.row_key = s.row_key AND ({changed})"
    ).fetchall()
    cols = ", ".join(q(n) for n, _ in stored_columns(schema))
    stored = con.execute(
        f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {q(stage)} AS s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {target} AS t "
        f"WHERE t.shop_id = s.shop_id AND t.row_key = s.row_key)"
    ).fetchall()
    return int(stored[0][0]), int(updated[0][0])
