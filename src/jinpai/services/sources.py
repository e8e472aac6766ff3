"""Where a use case's canonical tables come from: a data folder (read in memory through the real
importers) or a warehouse file (opened read-only), bound for the engine."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import ibis.expr.types as ir

from jinpai.services.errors import ReportInputError, ReportWarehouseBusy
from jinpai.settings import Settings


@dataclass(frozen=True)
class ReportSource:
    """A data folder (loaded in memory) or a warehouse; neither: the settings' warehouse."""

    data: Path | None = None
    db: Path | None = None
    engine: str = "duckdb"  # or "spark": the same figures on PySpark (reads Parquet)


@dataclass
class BoundTables:
    tables: dict[str, ir.Table]
    timezones: dict[str, str]  # per shop, where the warehouse knows it
    default_timezone: str
    con: duckdb.DuckDBPyConnection  # keeps the tables alive

    def timezone_of(self, shop: str | None) -> str:
        if shop is not None:
            return self.timezones.get(shop, self.default_timezone)
        zones = set(self.timezones.values())
        return zones.pop() if len(zones) == 1 else self.default_timezone

    def _data_shops(self) -> list[str]:
        """The shops with chats or orders, sorted."""
        m, o = self.tables["messages"], self.tables["orders"]
        shops = m.select("shop_id").union(o.select("shop_id")).distinct().to_pyarrow()
        return sorted(shops.column("shop_id").to_pylist())

    def shop_ids(self) -> list[str]:
        """The shops with chats or orders (``default`` when there are none)."""
        return self._data_shops() or ["default"]

    def check_shop(self, shop: str | None) -> None:
        if shop is None:
            return
        known = self._data_shops()
        if shop not in known:
            raise ReportInputError(
                f"no shop {shop!r} in the data (shops: {', '.join(known) or '-'})"
            )

    def first_chat_day(self, shop: str | None, timezone: str) -> date | None:
        """The shop-local day of the first message: chats, not orders (order history reaches back
        for the customer metrics; the team's work, what a KPI scores, begins with a message)."""
        from jinpai.engine.report import local_time

        m = self.tables["messages"]
        if shop is not None:
            m = m.filter(m.shop_id == shop)
        first = m.sent_us.min().to_pyarrow().as_py()
        return local_time(first, timezone).date() if first is not None else None


def warehouse_path(source: ReportSource, settings: Settings) -> Path:
    return Path(source.db) if source.db is not None else settings.warehouse_path


@contextlib.contextmanager
def open_tables(source: ReportSource, settings: Settings) -> Iterator[BoundTables]:
    """The canonical tables of ``source`` bound for the engine; a warehouse is opened read-only."""
    from jinpai.engine import ENGINES
    from jinpai.engine import open_tables as bind_on_engine
    from jinpai.engine.duckdb_backend import close
    from jinpai.warehouse.reads import attach_read_only, shop_timezones

    if source.engine not in ENGINES:
        raise ReportInputError(f"unknown engine {source.engine!r} (engines: {', '.join(ENGINES)})")
    if source.data is not None and source.db is not None:
        raise ReportInputError("give either --data FOLDER or --db PATH, not both")
    if source.data is not None:
        con, schema = _load_folder(Path(source.data), settings), None
    else:
        path = warehouse_path(source, settings)
        if not path.is_file():
            raise ReportInputError(f"no warehouse at {path}: import data first or give --data")
        try:
            con, schema = attach_read_only(path), "wh"
        except duckdb.Error as exc:
            from jinpai.warehouse import locked_by_another

            if locked_by_another(exc):  # an import of another process: not the caller's fault
                raise ReportWarehouseBusy(
                    f"the warehouse {path} is in use by another process"
                ) from None
            raise ReportInputError(f"cannot open the warehouse {path}: {exc}") from None
    try:
        timezones = shop_timezones(con, schema)
        tables = bind_on_engine(
            source.engine,
            con=con,
            schema=schema,
            timezones=timezones,
            default_timezone=settings.timezone,
            memory_limit=settings.memory_limit or None,
        )
        yield BoundTables(tables, timezones, settings.timezone, con)
    finally:
        close(con)  # and its spill folder


def _load_folder(folder: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    if not folder.is_dir():
        raise ReportInputError(f"no data folder at {folder}")
    # the warehouse loads a folder through the real importers into an in-memory DuckDB
    from jinpai.ingest.personal import buyer_secret
    from jinpai.warehouse import open_memory_warehouse_from_folder

    try:
        return open_memory_warehouse_from_folder(
            folder, timezone=settings.timezone, buyer_secret=buyer_secret(settings)
        )
    except (OSError, ValueError, LookupError) as exc:
        raise ReportInputError(f"cannot read the data folder {folder}: {exc}") from None
