"""What every command group shares: the consoles, one-line errors, output, the installation's
settings (built once, in the root callback) and the options several commands take, declared
once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console

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


DATA_HELP = "a canonical data folder, read in memory (no database needed)"
DB_HELP = "a warehouse DuckDB file, opened read-only (default: the settings' warehouse)"

DataOpt = Annotated[Path | None, typer.Option("--data", help=DATA_HELP)]
DbOpt = Annotated[Path | None, typer.Option("--db", help=DB_HELP)]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="rule profile: taobao, pdd, jd or raw")
]
SettingsOpt = Annotated[
    Path | None, typer.Option("--settings", help="YAML file: profile and setting overrides")
]
MonthOpt = Annotated[str, typer.Option("--month", help="the calendar month, YYYY-MM")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="write to this file")]
StoreUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--store-url",
        help="application store with the plans, terms and settings in force (default: settings)",
    ),
]


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
