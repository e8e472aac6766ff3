"""Import and quarantine (``jinpai import`` / ``jinpai quarantine``, the app's upload)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from jinpai.services.errors import ImportInputError, WarehouseBusy
from jinpai.settings import Settings


@dataclass
class TableCounts:
    read: int = 0
    stored: int = 0
    updated: int = 0
    quarantined: int = 0


@dataclass
class ImportResult:
    """Per table the rows read, stored (new), updated and quarantined; files that failed."""

    tables: dict[str, TableCounts]
    files: list[Any]  # jinpai.warehouse.load_file.FileOutcome
    errors: list[str]  # one line per file that could not be read at all
    skipped: list[str]  # files of a folder that name no table
    db: Path | None = None

    @property
    def read_anything(self) -> bool:
        return any(c.read > 0 for c in self.tables.values())

    def to_json(self) -> dict[str, Any]:
        """Exactly ``{"tables": {table: {"read", "stored", "updated", "quarantined"}}}``."""
        return {
            "tables": {
                t: {
                    "read": c.read,
                    "stored": c.stored,
                    "updated": c.updated,
                    "quarantined": c.quarantined,
                }
                for t, c in self.tables.items()
            }
        }


def import_path(
    path: Path | str,
    settings: Settings,
    *,
    db: Path | str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    shop: str | None = None,
    table: str | None = None,
    mapping: Any = None,
    time_format: str | None = None,
    timezone: str | None = None,
    progress: Any = None,
    own_shop_only: bool = False,
    wait_s: float = 0.0,
    on_wait: Callable[[], None] | None = None,
) -> ImportResult:
    """Import a data folder or one file into the warehouse (``con``, else the file ``db``, else
    the settings' warehouse), all files in one transaction.

    ``mapping`` (:func:`jinpai.services.inputs.column_mapping`) maps a file's columns;
    ``time_format`` is a strptime format; ``timezone`` the shop's (default: the settings').
    Raises :class:`ImportInputError` for input that names nothing importable; files that fail
    are listed in ``errors``. ``own_shop_only`` (an upload to one shop): a row naming another
    shop than ``shop`` refuses the whole import, nothing stored (an ImportInputError).
    """
    from jinpai.canonical.schema import DEFAULT_SHOP, TABLES
    from jinpai.canonical.validation import check_timezone
    from jinpai.ingest.adapters.base import AdapterError
    from jinpai.ingest.personal import buyer_secret
    from jinpai.ingest.readers import Limits
    from jinpai.ingest.sources import folder_files
    from jinpai.warehouse import ForeignShopError, Options, WarehouseLocked, connect, load_files

    path = Path(path)
    if not path.exists():
        raise ImportInputError(f"no file or folder at {path}")
    if table is not None and table not in TABLES:
        raise ImportInputError(f"unknown table {table!r} (tables: {', '.join(TABLES)})")
    if mapping is not None and time_format:
        mapping.time_format = time_format
    try:
        tz = check_timezone(timezone or (mapping and mapping.timezone) or settings.timezone)
        secret = buyer_secret(settings)
        skipped: list[Path] = []
        if path.is_dir():
            found, skipped = folder_files(path)
            files: list[tuple[Path, str | None]] = [
                (p, t) for p, t in found if table is None or t == table
            ]
            if mapping is not None and len(files) != 1:
                raise ImportInputError("a column mapping applies to one file: give the file")
            if not files:
                raise ImportInputError(
                    f"{path}: no file named after a table ({', '.join(TABLES)}) in the folder"
                )
        else:
            files = [(path, table)]
    except (AdapterError, ValueError) as e:
        raise ImportInputError(str(e)) from None
    options = Options(
        shop=shop or DEFAULT_SHOP,
        timezone=tz,
        time_format=mapping.time_format if mapping is not None else time_format,
        buyer_secret=secret,
        own_shop_only=own_shop_only,
        limits=Limits.of(settings),
    )
    db_path = None
    own = con is None
    if own:
        db_path = Path(db) if db is not None else settings.warehouse_path
        try:
            con = connect(
                db_path, memory_limit=settings.memory_limit, wait_s=wait_s, on_wait=on_wait
            )
        except WarehouseLocked:
            raise WarehouseBusy(busy_message(wait_s)) from None
    try:
        loaded = load_files(con, files, options, mapping=mapping, progress=progress)
    except ForeignShopError as e:
        raise ImportInputError(str(e)) from None
    finally:
        if own:
            con.close()
    tables: dict[str, TableCounts] = {}
    for f in loaded.files:
        c = tables.setdefault(f.table, TableCounts())
        c.read += f.read
        c.stored += f.stored
        c.updated += f.updated
        c.quarantined += f.quarantined
    return ImportResult(
        tables,
        loaded.files,
        [e.message for e in loaded.errors],
        [str(p) for p in skipped],
        db_path,
    )


def busy_message(waited_s: float) -> str:
    """One line, in both languages, for a warehouse another process kept open."""
    return (
        f"仓库仍被另一个进程占用（jinpai serve？），已等待 {waited_s:g} 秒 / "
        f"the warehouse is still in use by another process (jinpai serve?) after {waited_s:g} s"
    )


def _read_only(db: Path | str) -> duckdb.DuckDBPyConnection:
    path = Path(db)
    if not path.is_file():
        raise ImportInputError(f"no warehouse at {path}: import data first")
    return duckdb.connect(str(path), read_only=True)


def list_quarantine(
    db: Path | str, *, import_id: int | None = None, shop: str | None = None
) -> list[dict[str, Any]]:
    """Quarantined rows (all, or of one import and/or shop), oldest import first, by row.

    ``shop_id`` is the shop the row was imported for (its shop_id cell, else ``--shop``).
    """
    from jinpai.warehouse.reads import quarantine_rows

    with _read_only(db) as con:
        return quarantine_rows(con, import_id=import_id, shop=shop)


def list_unmatched_reminders(db: Path | str) -> list[dict[str, Any]]:
    """Reminders whose order is not (yet) imported: stored, listed here, never quarantined."""
    from jinpai.warehouse.reads import unmatched_reminders

    with _read_only(db) as con:
        return unmatched_reminders(con)
