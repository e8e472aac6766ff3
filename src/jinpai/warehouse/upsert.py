"""Idempotent upsert of a staged table into its canonical table, keyed by (shop_id, row_key).

A staged row whose key is new is inserted; one whose key exists with different data updates the
stored row (with the new lineage); an identical one leaves the stored row untouched, keeping its
original ``seq``. An update writes only the columns the file gives: a column left out of a file
keeps its stored values (an export of a few columns never wipes the others), while a column the
file has sets every row it names, an empty cell too (it empties the stored value, or sets the
column's default).
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from jinpai.canonical.schema import TableSchema
from jinpai.warehouse.tables import data_columns, q, stored_columns


def upsert(
    con: duckdb.DuckDBPyConnection,
    schema: TableSchema,
    stage: str,
    given: Collection[str] | None = None,
) -> tuple[int, int]:
    """Merge ``stage`` (same columns as the table) into the table; returns (stored, updated).

    ``given``: the data columns the file gives (None: all); an update leaves the others alone.
    """
    target = q(schema.name)
    data = [n for n, _ in data_columns(schema) if given is None or n in given]
    changed = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in data) or "false"
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
