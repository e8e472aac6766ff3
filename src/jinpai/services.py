"""Use cases shared by every surface (CLI, API, web): import a folder, build a report, explain a
figure, ... Surfaces parse their input, call these, and render what they return."""

from __future__ import annotations

import calendar
import contextlib
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis.expr.types as ir
from pydantic import ValidationError

from jinpai.management.month import DEFAULT_SETTLE_DAYS
from jinpai.settings import get_settings

if TYPE_CHECKING:
    from jinpai.engine.explain import Explanation
    from jinpai.engine.report import ReportRequest
    from jinpai.metrics.rules import RuleSettings

# ---------------------------------------------------------------------------------------------
# Reports and explanations (jinpai report / jinpai explain)
# ---------------------------------------------------------------------------------------------


class ReportInputError(ValueError):
    """Bad input to a report (dates, metric, profile, folder): the surface prints one line."""


@dataclass(frozen=True)
class ReportSource:
    """Where the canonical tables come from: a data folder (loaded in memory) or a warehouse."""

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


@contextlib.contextmanager
def open_tables(source: ReportSource, timezone: str | None = None) -> Iterator[BoundTables]:
    """The canonical tables of ``source`` bound for the engine; a warehouse is opened read-only.

    Without a folder or a database the installation's warehouse (settings) is used.
    """
    from jinpai.canonical.validation import sql_string
    from jinpai.engine import ENGINES
    from jinpai.engine import open_tables as bind_on_engine

    if source.engine not in ENGINES:
        raise ReportInputError(f"unknown engine {source.engine!r} (engines: {', '.join(ENGINES)})")
    default_tz = timezone or get_settings().timezone
    if source.data is not None and source.db is not None:
        raise ReportInputError("give either --data FOLDER or --db PATH, not both")
    if source.data is not None:
        con = _load_folder(Path(source.data), default_tz)
        schema = None
    else:
        path = Path(source.db) if source.db is not None else get_settings().warehouse_path
        if not path.is_file():
            raise ReportInputError(f"no warehouse at {path}: import data first or give --data")
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH {sql_string(str(path))} AS wh (READ_ONLY)")
        except duckdb.Error as exc:
            con.close()
            raise ReportInputError(f"cannot open the warehouse {path}: {exc}") from None
        schema = "wh"
    try:
        timezones = _shop_timezones(con, schema)
        tables = bind_on_engine(
            source.engine,
            con=con,
            schema=schema,
            timezones=timezones,
            default_timezone=default_tz,
            memory_limit=get_settings().memory_limit or None,
        )
        yield BoundTables(tables, timezones, default_tz, con)
    finally:
        from jinpai.engine.duckdb_backend import close

        close(con)  # and its spill folder


def _load_folder(folder: Path, timezone: str) -> duckdb.DuckDBPyConnection:
    if not folder.is_dir():
        raise ReportInputError(f"no data folder at {folder}")
    # the warehouse loads a folder through the real importers into an in-memory DuckDB
    from jinpai.warehouse import open_memory_warehouse_from_folder

    try:
        return open_memory_warehouse_from_folder(folder, timezone=timezone)
    except (OSError, ValueError, LookupError) as exc:
        raise ReportInputError(f"cannot read the data folder {folder}: {exc}") from None


def _shop_timezones(con: duckdb.DuckDBPyConnection, schema: str | None) -> dict[str, str]:
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


def parse_period(start: str | None, end: str | None, month: str | None) -> tuple[date, date]:
    """``--from/--to`` (both, shop-local dates) or ``--month YYYY-MM``."""
    if month is not None:
        if start is not None or end is not None:
            raise ReportInputError("give --month or --from/--to, not both")
        try:
            year, number = (int(part) for part in month.split("-"))
            last = calendar.monthrange(year, number)[1]
            return date(year, number, 1), date(year, number, last)
        except ValueError:
            raise ReportInputError(f"bad month {month!r}: expected YYYY-MM") from None
    if start is None or end is None:
        raise ReportInputError("give the period: --from D1 --to D2 (or --month YYYY-MM)")
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise ReportInputError(f"the period ends ({last}) before it starts ({first})")
    return first, last


def parse_date(text: str, option: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportInputError(f"bad {option} {text!r}: expected YYYY-MM-DD") from None


def parse_as_of(text: str | None) -> datetime | None:
    """An ISO timestamp; without an offset it is shop-local time."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportInputError(
            f"bad --as-of {text!r}: expected an ISO time such as 2024-03-31T23:59:59"
        ) from None


def parse_metrics(text: str | Sequence[str] | None) -> list[str] | None:
    """Catalogue ids from ``a,b,c`` (or a list); None = the whole catalogue."""
    from jinpai.metrics.catalogue import CATALOGUE

    if text is None:
        return None
    parts = text.split(",") if isinstance(text, str) else list(text)
    ids = [p.strip() for p in parts if p.strip()]
    unknown = [m for m in ids if m not in CATALOGUE]
    if unknown:
        raise ReportInputError(
            f"unknown metric {unknown[0]!r} (see docs/metrics.md for the catalogue ids)"
        )
    if not ids:
        raise ReportInputError("--metrics names no metric")
    return ids


def load_rules(
    profile: str | None,
    settings_file: Path | None,
    overrides: Mapping[str, Any] | None = None,
) -> RuleSettings:
    """The rule settings: a profile, a settings file (YAML) with overrides, or both.

    ``overrides`` are a shop's stored settings; they only apply when neither a profile nor a
    settings file is given (what the user types always wins over what the shop keeps).
    """
    from jinpai.metrics.rules import load_rule_settings, rule_settings

    if settings_file is not None and not Path(settings_file).is_file():
        raise ReportInputError(f"no settings file at {settings_file}")
    try:
        if overrides is not None and profile is None and settings_file is None:
            data = dict(overrides)
            chosen = data.pop("profile", None) or get_settings().profile
            return rule_settings(chosen, **data)
        return load_rule_settings(
            Path(settings_file) if settings_file else None,
            profile or (None if settings_file else get_settings().profile),
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ReportInputError(f"bad settings: {problems}") from None
    except (ValueError, OSError) as exc:
        raise ReportInputError(str(exc).splitlines()[0]) from None


@dataclass(frozen=True)
class ReportOptions:
    """What a surface asks of a report, as the user typed it (validated by ``report_request``)."""

    start: str | None = None
    end: str | None = None
    month: str | None = None
    profile: str | None = None
    as_of: str | None = None
    settings_file: Path | None = None
    shop: str | None = None
    metrics: str | Sequence[str] | None = None
    by_agent_day: bool = False
    # a shop's stored profile and settings (profile key included); --profile/--settings win
    rule_overrides: Mapping[str, Any] | None = None


def report_request(options: ReportOptions, timezone: str) -> ReportRequest:
    from jinpai.engine.report import ReportRequest
    from jinpai.metrics.context import Period

    first, last = parse_period(options.start, options.end, options.month)
    return ReportRequest(
        period=Period(first, last),
        rules=load_rules(options.profile, options.settings_file, options.rule_overrides),
        as_of=parse_as_of(options.as_of),
        shop=options.shop,
        metrics=parse_metrics(options.metrics),
        by_agent_day=options.by_agent_day,
        timezone=timezone,
    )


def build_report(source: ReportSource, options: ReportOptions) -> dict[str, Any]:
    """The report of architecture.md's JSON contract, values exact (never rounded).

    From a warehouse, a shop's rule profile and windows kept in the store apply (as on the web
    dashboard) unless ``--profile`` or ``--settings`` say otherwise."""
    from jinpai.engine.report import build_report as engine_report

    request_check = report_request(options, get_settings().timezone)  # fail before loading data
    with open_tables(source) as bound:
        _check_shop(bound, options.shop)
        request = _with_timezones(request_check, bound, options.shop)
        if source.data is None and options.rule_overrides is None:
            shops = [options.shop] if options.shop else _shop_ids(bound)
            stored = _stored_rules(shops) if len(shops) == 1 else None
            if stored is not None:
                rules = load_rules(options.profile, options.settings_file, stored)
                request = replace(request, rules=rules)
        return engine_report(bound.tables, request)


def shop_rule_overrides(engine: Any, shop: str) -> dict[str, Any] | None:
    """A shop's stored rule profile and overrides (None: the store does not know the shop)."""
    from jinpai.store.db import session_scope
    from jinpai.store.shops import stored_rules

    with session_scope(engine) as session:
        return stored_rules(session, shop)


def _stored_rules(shops: list[str]) -> dict[str, Any] | None:
    from jinpai.store.setup import open_store

    engine = open_store(get_settings().database)
    if engine is None:
        return None
    try:
        return shop_rule_overrides(engine, shops[0])
    finally:
        engine.dispose()


def explain_metric(
    source: ReportSource,
    options: ReportOptions,
    metric_id: str,
    agent_id: str | None = None,
    limit: int | None = None,
) -> Explanation:
    """The figure of one metric for the shop or an agent over the period, with its rows."""
    from jinpai.engine.explain import explain
    from jinpai.metrics.catalogue import CATALOGUE

    if metric_id not in CATALOGUE:
        raise ReportInputError(
            f"unknown metric {metric_id!r} (see docs/metrics.md for the catalogue ids)"
        )
    if agent_id is not None and CATALOGUE[metric_id].shop_only:
        raise ReportInputError(f"metric {metric_id!r} is shop only: leave out --agent")
    request_check = report_request(options, get_settings().timezone)
    with open_tables(source) as bound:
        _check_shop(bound, options.shop)
        request = _with_timezones(request_check, bound, options.shop)
        try:
            return explain(bound.tables, request, metric_id, agent_id=agent_id, limit=limit)
        except ValueError as exc:
            raise ReportInputError(str(exc)) from None


def _with_timezones(request: ReportRequest, bound: BoundTables, shop: str | None) -> ReportRequest:
    """The report's timezone (the shop's, or the one all the shops share) and each shop's own."""
    return dataclasses.replace(
        request, timezone=bound.timezone_of(shop), timezones=dict(bound.timezones)
    )


def _check_shop(bound: BoundTables, shop: str | None) -> None:
    if shop is None:
        return
    m, o = bound.tables["messages"], bound.tables["orders"]
    shops = m.select("shop_id").union(o.select("shop_id")).distinct().to_pyarrow()
    known = sorted(shops.column("shop_id").to_pylist())
    if shop not in known:
        raise ReportInputError(f"no shop {shop!r} in the data (shops: {', '.join(known) or '-'})")


# ---------------------------------------------------------------------------------------------
# Import and quarantine (jinpai import / jinpai quarantine)
# ---------------------------------------------------------------------------------------------


class ImportInputError(ValueError):
    """Bad input to an import (path, table, mapping, timezone): the surface prints one line."""


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
    files: list[Any]  # jinpai.warehouse.load.FileOutcome
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


def _mapping(
    columns_map: str | dict[str, str] | None, map_file: Path | None, time_format: str | None
) -> Any:
    from jinpai.ingest.adapters.mapped import Mapping, load_mapping_file, parse_map_option

    if columns_map is None and map_file is None:
        return None
    mapping = load_mapping_file(Path(map_file)) if map_file is not None else Mapping()
    if columns_map:
        extra = parse_map_option(columns_map) if isinstance(columns_map, str) else columns_map
        mapping.columns.update(extra)
    if time_format:
        mapping.time_format = time_format
    return mapping


def import_path(
    path: Path | str,
    *,
    db: Path | str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    shop: str | None = None,
    table: str | None = None,
    columns_map: str | dict[str, str] | None = None,
    map_file: Path | str | None = None,
    time_format: str | None = None,
    timezone: str | None = None,
    progress: Any = None,
    own_shop_only: bool = False,
) -> ImportResult:
    """Import a data folder or one file into the warehouse (``con``, else the file ``db``, else
    the settings' warehouse), all files in one transaction.

    ``columns_map`` (``canonical=column,...``) or ``map_file`` (YAML, see
    :mod:`jinpai.ingest.adapters.mapped`) maps a file's columns; ``time_format`` is a strptime
    format; ``timezone`` the shop's (default: the settings'). Raises :class:`ImportInputError`
    for input that names nothing importable; files that fail are listed in ``errors``.
    ``own_shop_only`` (an upload to one shop): a row naming another shop than ``shop`` refuses
    the whole import, nothing stored (an ImportInputError).
    """
    from jinpai.canonical.schema import DEFAULT_SHOP, TABLES
    from jinpai.canonical.validation import check_timezone
    from jinpai.ingest.adapters.base import AdapterError
    from jinpai.ingest.personal import buyer_secret_from_settings
    from jinpai.ingest.sources import folder_files
    from jinpai.warehouse import ForeignShopError, Options, connect, load_files

    settings = get_settings()
    path = Path(path)
    if not path.exists():
        raise ImportInputError(f"no file or folder at {path}")
    if table is not None and table not in TABLES:
        raise ImportInputError(f"unknown table {table!r} (tables: {', '.join(TABLES)})")
    try:
        mapping = _mapping(columns_map, Path(map_file) if map_file else None, time_format)
        tz = check_timezone(timezone or (mapping and mapping.timezone) or settings.timezone)
        secret = buyer_secret_from_settings()
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
    except AdapterError as e:
        raise ImportInputError(str(e)) from None
    except ValueError as e:
        raise ImportInputError(str(e)) from None
    options = Options(
        shop=shop or DEFAULT_SHOP,
        timezone=tz,
        time_format=mapping.time_format if mapping is not None else time_format,
        buyer_secret=secret,
        own_shop_only=own_shop_only,
    )
    db_path = None
    own = con is None
    if own:
        db_path = Path(db) if db is not None else settings.warehouse_path
        con = connect(db_path)
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


def _open_warehouse_read_only(db: Path | str | None) -> duckdb.DuckDBPyConnection:
    path = Path(db) if db is not None else get_settings().warehouse_path
    if not path.is_file():
        raise ImportInputError(f"no warehouse at {path}: import data first")
    return duckdb.connect(str(path), read_only=True)


QUARANTINE_FIELDS = ("import_id", "shop_id", "table", "file", "row", "column", "reason", "raw")


def list_quarantine(
    db: Path | str | None = None,
    *,
    import_id: int | None = None,
    shop: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[dict[str, Any]]:
    """Quarantined rows (all, or of one import and/or shop), oldest import first, by row.

    ``shop_id`` is the shop the row was imported for (its shop_id cell, else ``--shop``).
    """
    own = con is None
    con = con or _open_warehouse_read_only(db)
    try:
        rows = con.execute(
            "SELECT import_id, shop_id, table_name, file, source_row, column_name, reason, "
            "raw_json FROM quarantine WHERE ($id IS NULL OR import_id = $id) "
            "AND ($shop IS NULL OR shop_id = $shop) ORDER BY import_id, source_row",
            {"id": import_id, "shop": shop},
        ).fetchall()
    finally:
        if own:
            con.close()
    return [dict(zip(QUARANTINE_FIELDS, r, strict=True)) for r in rows]


def export_quarantine(rows: list[dict[str, Any]], out: Path | str) -> Path:
    """Write quarantined rows to a CSV (UTF-8 with BOM, so Excel reads it) or an xlsx file."""
    import csv

    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        import xlsxwriter

        with xlsxwriter.Workbook(str(out)) as wb:
            ws = wb.add_worksheet("quarantine")
            bold = wb.add_format({"bold": True})
            ws.write_row(0, 0, QUARANTINE_FIELDS, bold)
            for i, r in enumerate(rows, start=1):
                ws.write_row(i, 0, [r[f] for f in QUARANTINE_FIELDS])
            ws.freeze_panes(1, 0)
        return out
    if out.suffix.lower() != ".csv":
        raise ImportInputError("export the quarantine as .csv or .xlsx")
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=QUARANTINE_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return out


def list_unmatched_reminders(
    db: Path | str | None = None, *, con: duckdb.DuckDBPyConnection | None = None
) -> list[dict[str, Any]]:
    """Reminders whose order is not (yet) imported: stored, listed here, never quarantined."""
    own = con is None
    con = con or _open_warehouse_read_only(db)
    try:
        rows = con.execute(
            "SELECT r.shop_id, r.order_id, r.agent_id, r.sent_at, r.channel, r.source_file, "
            "r.source_row FROM reminders AS r WHERE NOT EXISTS (SELECT 1 FROM orders AS o "
            "WHERE o.shop_id = r.shop_id AND o.order_id = r.order_id) ORDER BY r.sent_at, r.seq"
        ).fetchall()
    finally:
        if own:
            con.close()
    names = ("shop_id", "order_id", "agent_id", "sent_at", "channel", "file", "row")
    return [dict(zip(names, r, strict=True)) for r in rows]


# ---------------------------------------------------------------------------------------------
# Management (jinpai score / pay / grade / rank): scorecards, pay, grading, ranks of a month
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagementOptions:
    """A management command's input as typed. ``as_of`` applies to ``month`` only: earlier months
    (last month's grade, KPI history) use their own default as_of, as when they were paid."""

    month: str
    role: str | None = None
    profile: str | None = None
    as_of: str | None = None
    settings_file: Path | None = None
    shop: str | None = None
    plan_file: Path | None = None
    settle_days: int | None = None  # None: the store's pay settings, else 4
    # The application store (an Engine or URL) whose plans, terms, grading rules, adjustments
    # and shop settings apply; None: the plan file or the shipped defaults only.
    store: Any = None


def shop_setup(store: Any, shop_id: str, month: str) -> Any:
    """The store's setup of a shop for a month (jinpai.store.setup.ShopSetup), or None without
    a store; a broken plan in the store is bad input, not a crash."""
    from sqlalchemy.exc import SQLAlchemyError

    from jinpai.store.db import display_url
    from jinpai.store.setup import open_store
    from jinpai.store.setup import shop_setup as read_setup

    try:
        engine = open_store(store)
    except SQLAlchemyError as exc:  # a team server that is down: one line, not a traceback
        where = store if not isinstance(store, str | None) else display_url(store)
        raise ReportInputError(f"cannot read the store {where}: {exc.__class__.__name__}") from None
    if engine is None:
        return None
    try:
        return read_setup(engine, shop_id, month)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ReportInputError(
            f"bad configuration of shop {shop_id!r} in the store: {exc}"
        ) from None
    finally:
        if engine is not store:
            engine.dispose()


class _Months:
    """Month figures of one shop, computed on demand and cached (a month is a full engine run)."""

    def __init__(
        self,
        bound: BoundTables,
        options: ManagementOptions,
        shop: str | None,
        shop_id: str | None = None,
    ) -> None:
        from jinpai.management.config import load_config

        self.bound, self.options, self.shop = bound, options, shop
        setup = None
        if options.plan_file is None and options.store is not None:
            setup = shop_setup(options.store, shop_id or shop or "default", options.month)
        self.setup = setup
        stored_rules = None
        if setup is not None and setup.profile is not None:
            stored_rules = {**setup.rules, "profile": setup.profile}
        self.rules = load_rules(options.profile, options.settings_file, stored_rules)
        try:
            self.config = setup.config if setup is not None else load_config(options.plan_file)
        except (OSError, ValueError) as exc:
            raise ReportInputError(f"bad plan file {options.plan_file}: {exc}") from None
        self.timezone = bound.timezone_of(shop)
        self._cache: dict[tuple[str, frozenset[str]], Any] = {}
        self._first: date | None = None

    def settle_days(self, month: str) -> int:
        """The option, else the pay settings in force in ``month`` (each month its own), else
        the default."""
        stored = self.setup.settle_days(month) if self.setup is not None else None
        return next(
            d for d in (self.options.settle_days, stored, DEFAULT_SETTLE_DAYS) if d is not None
        )

    def metrics(self, month: str, *extra: str) -> set[str]:
        """Catalogue figures the month's plans and pay terms read, plus ``extra``."""
        from jinpai.management.plans import KPI_SCORE

        wanted = {"sales", "secured_silent_sales", "recovered_sales", *extra} - {KPI_SCORE}
        for role in self.config.roles():
            plan = self.config.plan_for(role, month)
            wanted.update(plan.metrics if plan else ())
        wanted.update(r.metric for r in self.config.terms_for(month).bonus_pool.deductions)
        return wanted

    def figures(self, month: str, metrics: set[str]) -> Any:
        from jinpai.management.month import compute_month

        key = (month, frozenset(metrics))
        if key not in self._cache:
            as_of = parse_as_of(self.options.as_of) if month == self.options.month else None
            self._cache[key] = compute_month(
                self.bound.tables,
                month,
                self.rules,
                sorted(metrics),
                shop=self.shop,
                as_of=as_of,
                settle_days=self.settle_days(month),
                timezone=self.timezone,
                sales_targets=self.config.terms_for(month).sales_targets(),
            )
            if self.setup is not None:
                _apply_roster(self._cache[key], self._roster(month))
        return self._cache[key]

    def _roster(self, month: str) -> Mapping[str, Any]:
        """The store's roster terms in force in ``month`` (earlier months: their own)."""
        from jinpai.store.setup import roster_of

        if self.setup is None:
            return {}
        if month == self.options.month:
            return self.setup.roster
        return roster_of(self.options.store, self.setup.shop_id, month)

    def has_data(self, month: str) -> bool:
        """Whether the chats reach back into ``month`` (older months are not scored: zeros
        everywhere would rank every agent first)."""
        from jinpai.management.versions import month_bounds

        if self._first is None:
            self._first = _first_day(self.bound, self.shop, self.timezone) or date.max
        return month_bounds(month)[1] >= self._first


def _apply_roster(figures: Any, roster: Mapping[str, Any]) -> None:
    """The store's roster terms in force win over the warehouse ``agents`` table's columns."""
    for agent in figures.agents:
        terms = roster.get(agent.agent_id)
        if terms is None:
            continue
        for name in ("role", "level", "base_salary", "commission_rate", "hired_on", "left_on"):
            value = getattr(terms, name)
            if value is not None:
                setattr(agent, name, value)


def _first_day(bound: BoundTables, shop: str | None, timezone: str) -> date | None:
    from jinpai.engine.report import local_time

    # chats, not orders: order history reaches back for the customer metrics, the team's work
    # (what a KPI scores) begins with the first message
    m = bound.tables["messages"]
    if shop is not None:
        m = m.filter(m.shop_id == shop)
    first = m.sent_us.min().to_pyarrow().as_py()
    return local_time(first, timezone).date() if first is not None else None


def _management(source: ReportSource, options: ManagementOptions, run: Any) -> dict[str, Any]:
    """Run ``run(months) -> dict`` for the shop asked for, or each shop of the data in turn."""
    from jinpai.management.versions import normalise_month

    try:
        month = normalise_month(options.month)
    except ValueError as exc:
        raise ReportInputError(str(exc)) from None
    options = dataclasses.replace(options, month=month)
    parse_as_of(options.as_of)
    load_rules(options.profile, options.settings_file)  # fail before loading data
    with open_tables(source) as bound:
        _check_shop(bound, options.shop)
        shops = [options.shop] if options.shop else _shop_ids(bound)
        # one shop's data is reported whole (shop None), as `jinpai report` does
        scoped = len(shops) > 1 or options.shop is not None
        results = [run(_Months(bound, options, shop if scoped else None, shop)) for shop in shops]
    if len(results) == 1:
        return results[0]
    shops_as_of = [{"shop_id": r["shop_id"], "as_of": r["as_of"]} for r in results]
    merged = {**results[0], "shop_id": None, "shops": shops_as_of}
    merged["agents"] = [row for r in results for row in r["agents"]]
    for key in ("promotion_candidates", "bottom", "changes"):
        if key in merged:
            merged[key] = [{"shop_id": r["shop_id"], **row} for r in results for row in r[key]]
    if "totals" in merged:
        merged["totals"] = {k: sum(r["totals"][k] for r in results) for k in merged["totals"]}
    return merged


def _shop_ids(bound: BoundTables) -> list[str]:
    m, o = bound.tables["messages"], bound.tables["orders"]
    shops = m.select("shop_id").union(o.select("shop_id")).distinct().to_pyarrow()
    return sorted(shops.column("shop_id").to_pylist()) or ["default"]


def _check_role(months: _Months, role: str | None) -> None:
    if role is not None and role not in months.config.roles():
        raise ReportInputError(
            f"no KPI plan for role {role!r} (plans: {', '.join(months.config.roles())})"
        )


def score_month(source: ReportSource, options: ManagementOptions) -> dict[str, Any]:
    """The KPI scorecards of a month (management.md, Contracts: jinpai score)."""
    from jinpai.management.results import score_result, scorecards

    def run(months: _Months) -> dict[str, Any]:
        _check_role(months, options.role)
        month = months.options.month
        figures = months.figures(month, months.metrics(month))
        return score_result(figures, scorecards(figures, months.config, options.role))

    return _management(source, options, run)


def pay_month(source: ReportSource, options: ManagementOptions) -> dict[str, Any]:
    """The pay sheet of a month, every part with its inputs (jinpai pay)."""
    from jinpai.management.results import pay_result, scorecards

    def run(months: _Months) -> dict[str, Any]:
        month = months.options.month
        figures = months.figures(month, months.metrics(month))
        # the award compares the whole role, so every scorecard is built before any filter
        return pay_result(figures, scorecards(figures, months.config), months.config, options.role)

    return _management(source, options, run)


def grade_month(source: ReportSource, options: ManagementOptions) -> dict[str, Any]:
    """Grades with last month's and the changes, promotion candidates and bottom flags."""
    from jinpai.management.grading import needs_more_history
    from jinpai.management.results import grade_result, role_scores, scorecards
    from jinpai.management.versions import shift_month

    def run(months: _Months) -> dict[str, Any]:
        month = months.options.month
        rules = months.config.grading_for(month)
        dims = rules.metrics
        figures = months.figures(month, months.metrics(month, *dims))
        previous_month = shift_month(month, -1)
        previous = None
        if months.has_data(previous_month):
            prev_dims = months.config.grading_for(previous_month).metrics
            previous = months.figures(previous_month, months.metrics(previous_month, *prev_dims))

        def kpis(m: str) -> Any:
            f = figures if m == month else previous if m == previous_month else None
            f = f or months.figures(m, months.metrics(m))
            return role_scores(scorecards(f, months.config))

        history = [kpis(month)]
        while months.has_data(shift_month(month, -len(history))) and (
            len(history) < rules.promotion_months or needs_more_history(history, rules)
        ):
            history.append(kpis(shift_month(month, -len(history))))
        return grade_result(figures, previous, months.config, history, options.role)

    return _management(source, options, run)


def rank_month(source: ReportSource, options: ManagementOptions, metric: str) -> dict[str, Any]:
    """Dense ranks per role and month on a metric (direction-aware) or ``kpi_score``."""
    from jinpai.management.plans import KPI_SCORE, known_metric
    from jinpai.management.results import rank_result, scorecards

    if metric != KPI_SCORE and not known_metric(metric):
        raise ReportInputError(
            f"unknown metric {metric!r}: a catalogue id, a rating kind, "
            "sales_target_completion or kpi_score"
        )

    def run(months: _Months) -> dict[str, Any]:
        month = months.options.month
        if metric == KPI_SCORE:
            figures = months.figures(month, months.metrics(month))
            return rank_result(figures, metric, scorecards(figures, months.config), options.role)
        figures = months.figures(month, {metric})
        return rank_result(figures, metric, role=options.role)

    return _management(source, options, run)
