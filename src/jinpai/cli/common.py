"""What every command group shares: the consoles, one-line errors, output, the installation's
settings (built once, in the root callback) and the options several commands take, declared
once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console

from jinpai.canonical.schema import DEFAULT_SHOP
from jinpai.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    """The installation's settings, built once per run by the root callback."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is not None and isinstance(root.obj, Settings):
        return root.obj
    return get_settings()


def fail(message: str) -> typer.Exit:
    """One clear line on stderr and exit code 2 (bad input), never a traceback."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(2)


def screen() -> Console:
    """The console for tables: a terminal's own width; piped output wide enough for real rows."""
    return console if console.is_terminal else Console(width=400)


def emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        out.write_text(text, encoding="utf-8-sig" if out.suffix.lower() == ".csv" else "utf-8")
        err_console.print(f"wrote {out}", highlight=False)


def warehouse_path(db: Path | None) -> Path:
    """``--db``, else the settings' warehouse."""
    return Path(db) if db is not None else settings().warehouse_path


def store_url(url: str | None) -> str:
    """``--store-url``/``--url``, else the settings' database."""
    return url if url is not None else settings().database


DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="a canonical data folder, read in memory (no database needed)"),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="a warehouse DuckDB file, opened read-only (default: the settings' warehouse)"
    ),
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="rule profile: taobao, pdd, jd or raw")
]
SettingsOpt = Annotated[
    Path | None, typer.Option("--settings", help="YAML file: profile and setting overrides")
]
MonthOpt = Annotated[str, typer.Option("--month", help="the calendar month, YYYY-MM")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="write to this file")]


def report_options(
    start: str | None,
    end: str | None,
    month: str | None,
    profile: str | None,
    settings_file: Path | None,
    as_of: str | None,
    **rest: object,
) -> object:
    """The typed :class:`~jinpai.services.reports.ReportOptions` of what was typed (raises the
    services' one-line ReportInputError)."""
    from jinpai.services import inputs
    from jinpai.services.reports import ReportOptions
    from jinpai.services.rules import chosen_rules

    first, last = inputs.parse_period(start, end, month)
    return ReportOptions(
        start=first,
        end=last,
        rules=chosen_rules(profile, settings_file),
        as_of=inputs.parse_as_of(as_of),
        **rest,  # type: ignore[arg-type]
    )


# --- the versions kept in the store: plan, adjust, terms, pay-settings ---------------------------

StoreUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--store-url",
        help="application store with the plans, terms and settings in force (default: settings)",
    ),
]
ShopOfStoreOpt = Annotated[
    str | None,
    typer.Option("--shop", help="the shop (default: the warehouse's only shop, else default)"),
]
WarehouseOfShopOpt = Annotated[
    Path | None,
    typer.Option("--db", help="warehouse that names the shop (default: the settings' warehouse)"),
]
ByOpt = Annotated[str | None, typer.Option("--by", help="who makes the change (default: you)")]
MONTH_HELP = "YYYY-MM"


@contextlib.contextmanager
def saving_store(url: str | None) -> Iterator[Any]:
    """The store's engine, migrated to the shipped schema (saving is when a store gets created),
    disposed of afterwards."""
    from jinpai.store import migrate
    from jinpai.store.db import make_engine

    url = store_url(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def month_of(text: str) -> str:
    """``YYYY-MM`` as typed, normalised (a bad month is one line and exit 2)."""
    from jinpai.management.versions import normalise_month

    try:
        return normalise_month(text)
    except ValueError as exc:
        raise fail(str(exc)) from None


def only_shop(db: Path | None) -> str:
    """The warehouse's shop when it holds exactly one (what ``--db`` reports compute), else
    ``default``: a plan saved under another shop id would silently never apply."""
    import duckdb

    from jinpai.warehouse.reads import shop_ids

    path = warehouse_path(db)
    if not path.is_file():
        return DEFAULT_SHOP
    with duckdb.connect(str(path), read_only=True) as con:
        shops = shop_ids(con)
    return shops[0] if len(shops) == 1 else DEFAULT_SHOP
