"""Read models of the warehouse: the small, parameterised queries the use cases ask of it (who
the shops are, their roster, the latest import, the quarantine). Every SQL string that reads the
warehouse outside the metric engine lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from jinpai.canonical.validation import sql_string


def attach_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the warehouse file attached read-only as ``wh`` (the engine
    keeps its spill files and temp tables out of the warehouse)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_string(str(path))} AS wh (READ_ONLY)")
    except duckdb.Error:
        con.close()
        raise
    return con


def shop_timezones(con: duckdb.DuckDBPyConnection, schema: str | None) -> dict[str, str]:
    """Per-shop timezones, when the warehouse holds a ``shops`` table with them."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE table_name = 'shops'"
        " AND column_name = 'timezone' AND (? IS NULL OR database_name = ?)",
        [schema, schema],
    ).fetchall()
    if not rows:
        return {}
    prefix = f'"{schema}".' if schema else ""
    found = con.execute(
        f"SELECT shop_id, timezone FROM {prefix}shops WHERE timezone IS NOT NULL"
    ).fetchall()
    return {str(shop): str(tz) for shop, tz in found}


def latest_import_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(id), 0) FROM imports").fetchone()
    return int(row[0]) if row else 0


def shop_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every shop with chats, orders or agents."""
    rows = con.execute(
        "SELECT shop_id FROM messages UNION SELECT shop_id FROM orders"
        " UNION SELECT shop_id FROM agents ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] is not None]


@dataclass(frozen=True)
class RosterAgent:
    agent_id: str
    name: str | None
    role: str | None
    level: str | None
    group: str | None


def read_roster(con: duckdb.DuckDBPyConnection, shop: str) -> list[RosterAgent]:
    """The shop's agents as the warehouse's ``agents`` table lists them."""
    rows = con.execute(
        'SELECT agent_id, name, role, level, "group" FROM agents WHERE shop_id = ?'
        " ORDER BY role, agent_id",
        [shop],
    ).fetchall()
    return [RosterAgent(*r) for r in rows]


def agent_row(con: duckdb.DuckDBPyConnection, shop: str, agent_id: str) -> dict[str, Any] | None:
    """One agent's row of the ``agents`` table (every column), or None."""
    cursor = con.execute(
        "SELECT * FROM agents WHERE shop_id = ? AND agent_id = ?", [shop, agent_id]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def latest_event(con: duckdb.DuckDBPyConnection, shop: str) -> datetime | None:
    """The shop's latest message, order or payment (stored as UTC)."""
    row = con.execute(
        "SELECT greatest((SELECT max(sent_at) FROM messages WHERE shop_id = $s),"
        " (SELECT max(greatest(created_at, paid_at)) FROM orders WHERE shop_id = $s))",
        {"s": shop},
    ).fetchone()
    return row[0] if row else None


QUARANTINE_FIELDS = ("import_id", "shop_id", "table", "file", "row", "column", "reason", "raw")


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, *, import_id: int | None = None, shop: str | None = None
) -> list[dict[str, Any]]:
    """Quarantined rows (all, or of one import and/or shop), oldest import first, by row."""
    rows = con.execute(
        "SELECT import_id, shop_id, table_name, file, source_row, column_name, reason, "
        "raw_json FROM quarantine WHERE ($id IS NULL OR import_id = $id) "
        "AND ($shop IS NULL OR shop_id = $shop) ORDER BY import_id, source_row",
        {"id": import_id, "shop": shop},
    ).fetchall()
    return [dict(zip(QUARANTINE_FIELDS, r, strict=True)) for r in rows]


def shop_quarantine(
    con: duckdb.DuckDBPyConnection,
    shop: str,
    import_ids: Sequence[int] | None = None,
    owned: Sequence[int] = (),
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Quarantined rows of a shop, newest import first: rows naming it, and rows of the imports
    made for it (``owned``: a file without a shop column is the uploader's shop)."""
    has_shop = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'quarantine'"
        " AND column_name = 'shop_id'"
    ).fetchone()
    # newer warehouses keep the row's shop; older ones only have it in the raw row
    shop_of_row = (
        "coalesce(shop_id, json_extract_string(raw_json, '$.shop_id'))"
        if has_shop and has_shop[0]
        else "json_extract_string(raw_json, '$.shop_id')"
    )
    rows = con.execute(
        "SELECT import_id, table_name, file, source_row, column_name, reason, raw_json"
        f" FROM quarantine WHERE ({shop_of_row} = $s"
        " OR list_contains($owned, import_id))"
        " AND ($ids IS NULL OR list_contains($ids, import_id))"
        " ORDER BY import_id DESC, source_row LIMIT $limit",
        {
            "s": shop,
            "owned": [int(i) for i in owned],
            "ids": [int(i) for i in import_ids] if import_ids is not None else None,
            "limit": int(limit),
        },
    ).fetchall()
    names = ("import_id", "table", "file", "row", "column", "reason", "raw")
    return [dict(zip(names, r, strict=True)) for r in rows]


def unmatched_reminders(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Reminders whose order is not (yet) imported: stored, listed, never quarantined."""
    rows = con.execute(
        "SELECT r.shop_id, r.order_id, r.agent_id, r.sent_at, r.channel, r.source_file, "
        "r.source_row FROM reminders AS r WHERE NOT EXISTS (SELECT 1 FROM orders AS o "
        "WHERE o.shop_id = r.shop_id AND o.order_id = r.order_id) ORDER BY r.sent_at, r.seq"
    ).fetchall()
    names = ("shop_id", "order_id", "agent_id", "sent_at", "channel", "file", "row")
    return [dict(zip(names, r, strict=True)) for r in rows]
