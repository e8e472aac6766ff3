"""The command line: ``jinpai import | quarantine | report | explain | demo ...`` (Typer + Rich)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from jinpai import __version__
from jinpai.demo.cli import app as demo_app
from jinpai.store.cli import app as db_app

app = typer.Typer(
    name="jinpai",
    help="jinpai 金牌: customer-service analytics and management for online shops.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)
app.add_typer(demo_app, name="demo")
app.add_typer(db_app, name="db")

# the web app and API: `jinpai serve`, `jinpai user add`
from jinpai.api.cli import app as user_app  # noqa: E402
from jinpai.api.cli import serve as _serve  # noqa: E402

app.add_typer(user_app, name="user")
app.command("serve")(_serve)

# versions kept in the application store: `jinpai plan|terms|pay-settings set|show`, `jinpai adjust add`
from jinpai.store.setup_cli import adjust_app, plan_app  # noqa: E402
from jinpai.store.terms_cli import pay_settings_app, terms_app  # noqa: E402

app.add_typer(plan_app, name="plan")
app.add_typer(adjust_app, name="adjust")
app.add_typer(terms_app, name="terms")
app.add_typer(pay_settings_app, name="pay-settings")


@app.callback()
def main() -> None:
    """jinpai 金牌: customer-service analytics and management for online shops."""


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"jinpai {__version__}")


# --- report, explain, docs (surfaces of the metric engine) -----------------------------------

_DATA_HELP = "a canonical data folder, read in memory (no database needed)"
_DB_HELP = "a warehouse DuckDB file, opened read-only (default: the settings' warehouse)"


def _fail(message: str) -> typer.Exit:
    """One clear line on stderr and exit code 2 (bad input), never a traceback."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(2)


def _screen() -> Console:
    """The console for tables: a terminal's own width; piped output wide enough for real rows."""
    return console if console.is_terminal else Console(width=400)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        out.write_text(text, encoding="utf-8-sig" if out.suffix.lower() == ".csv" else "utf-8")
        err_console.print(f"wrote {out}", highlight=False)


@app.command()
def report(
    data: Annotated[Path | None, typer.Option("--data", help=_DATA_HELP)] = None,
    db: Annotated[Path | None, typer.Option("--db", help=_DB_HELP)] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="first day, YYYY-MM-DD (shop-local)")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD (included)")] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="a calendar month YYYY-MM instead of --from/--to")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="rule profile: taobao, pdd, jd or raw")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="ISO time; nothing after it exists (default: the latest event)"
        ),
    ] = None,
    settings_file: Annotated[
        Path | None, typer.Option("--settings", help="YAML file: profile and setting overrides")
    ] = None,
    shop: Annotated[str | None, typer.Option("--shop", help="report one shop of several")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="agent-day: add the figures per agent and day")
    ] = None,
    metrics: Annotated[
        str | None, typer.Option("--metrics", help="comma-separated metric ids (default: all)")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="json, table, csv (one long file: metric, scope, shop_id, agent_id, date, value) or xlsx",
        ),
    ] = "json",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="write to this file (xlsx default: jinpai-report-FROM-TO.xlsx)"),
    ] = None,
    engine: Annotated[
        str,
        typer.Option("--engine", help="duckdb (embedded, default) or spark (PySpark over Parquet)"),
    ] = "duckdb",
) -> None:
    """Every metric for a period: the shop, each agent, each day (JSON values exact, never rounded)."""
    from jinpai import services
    from jinpai.exports.common import dumps

    if fmt not in ("json", "table", "csv", "xlsx"):
        raise _fail(f"unknown --format {fmt!r}: choose json, table, csv or xlsx")
    if by not in (None, "agent-day"):
        raise _fail(f"unknown --by {by!r}: the only extra grain is agent-day")
    options = services.ReportOptions(
        start=start,
        end=end,
        month=month,
        profile=profile,
        as_of=as_of,
        settings_file=settings_file,
        shop=shop,
        metrics=metrics,
        by_agent_day=by == "agent-day",
    )
    try:
        result = services.build_report(
            services.ReportSource(data=data, db=db, engine=engine), options
        )
    except services.ReportInputError as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        _emit(dumps(result) + "\n", out)
    elif fmt == "csv":
        from jinpai.exports.csvfile import report_csv

        _emit(report_csv(result), out)
    elif fmt == "xlsx":
        from jinpai.exports.xlsx import write_report_xlsx

        period = result["period"]
        target = out or Path(f"jinpai-report-{period['from']}-{period['to']}.xlsx")
        write_report_xlsx(result, target)
        err_console.print(f"wrote {target}", highlight=False)
    else:
        from jinpai.exports.tables import render, report_tables

        if out is None:
            _screen().print(report_tables(result))
        else:
            _emit(render(report_tables(result)), out)


@app.command()
def explain(
    metric: Annotated[str, typer.Argument(help="a metric id (see docs/metrics.md)")],
    agent: Annotated[
        str | None, typer.Option("--agent", help="an agent id (default: the shop)")
    ] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="the day, YYYY-MM-DD (or the first day with --to)")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="last day of a period, YYYY-MM-DD")
    ] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="a calendar month YYYY-MM instead of --date")
    ] = None,
    data: Annotated[Path | None, typer.Option("--data", help=_DATA_HELP)] = None,
    db: Annotated[Path | None, typer.Option("--db", help=_DB_HELP)] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="rule profile: taobao, pdd, jd or raw")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO time; nothing after it exists")
    ] = None,
    settings_file: Annotated[
        Path | None, typer.Option("--settings", help="YAML file: profile and setting overrides")
    ] = None,
    shop: Annotated[
        str | None, typer.Option("--shop", help="the shop, when the data holds several")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="at most this many rows per building block")
    ] = 500,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """The rows behind one figure: rounds, inquiries, credited orders (with the crediting message)..."""
    from jinpai import services
    from jinpai.exports.common import dumps

    if fmt not in ("json", "table"):
        raise _fail(f"unknown --format {fmt!r}: choose table or json")
    if day is None and month is None:
        raise _fail("give the day: --date D [--to D2] (or --month YYYY-MM)")
    options = services.ReportOptions(
        start=day,
        end=end or day,
        month=month,
        profile=profile,
        as_of=as_of,
        settings_file=settings_file,
        shop=shop,
    )
    try:
        result = services.explain_metric(
            services.ReportSource(data=data, db=db), options, metric, agent_id=agent, limit=limit
        )
    except services.ReportInputError as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        typer.echo(dumps(result.to_dict()))
    else:
        from jinpai.exports.tables import explanation_tables

        _screen().print(explanation_tables(result))


@app.command("docs")
def docs_command(
    which: Annotated[str, typer.Argument(help="metrics, cli or all")] = "all",
    out: Annotated[Path, typer.Option("--out", help="folder of the generated files")] = Path(
        "docs"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="fail if a checked-in file differs")
    ] = False,
) -> None:
    """Generate docs/metrics.md (from the catalogue) and docs/cli.md (from this command line)."""
    from jinpai import docs

    if which not in ("metrics", "cli", "all"):
        raise _fail(f"unknown document {which!r}: choose metrics, cli or all")
    names = ["metrics", "cli"] if which == "all" else [which]
    stale = docs.write(out, names, check=check)
    for path in stale:
        (err_console if check else console).print(
            f"{'out of date' if check else 'wrote'} {path}", highlight=False
        )
    if check and stale:
        raise typer.Exit(1)


# --- import, quarantine (the warehouse) -------------------------------------------------------


class _RichImportProgress:
    """A Rich progress bar per file, in bytes (only on a terminal, never in json mode)."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        )
        self._task: int | None = None

    def start(self, label: str, total: int):  # type: ignore[no-untyped-def]
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)
        task = self._task
        return lambda n: self._progress.advance(task, n)

    def finish(self) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        self._progress.stop()


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="a data folder (one file per table) or one file")],
    db: Annotated[
        Path | None, typer.Option("--db", help="warehouse DuckDB file (default: settings)")
    ] = None,
    shop: Annotated[
        str | None, typer.Option("--shop", help="shop of rows without shop_id (default: default)")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="the table a file fills (default: its name)")
    ] = None,
    columns_map: Annotated[
        str | None,
        typer.Option("--map", help="column mapping canonical=column,...: sent_at=created_at"),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map-file", help="YAML mapping file (see docs/importing.md)")
    ] = None,
    time_format: Annotated[
        str | None, typer.Option("--time-format", help="strptime format of the times")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="shop timezone of times without offset (Asia/Shanghai)"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Import a data folder or file into the warehouse: per table rows read, stored, updated and
    quarantined. Exits non-zero only when nothing at all could be read."""
    import json

    from rich.table import Table

    from jinpai import services

    if fmt not in ("table", "json"):
        raise _fail(f"unknown --format {fmt!r} (table or json)")
    progress = _RichImportProgress() if fmt == "table" and err_console.is_terminal else None
    try:
        result = services.import_path(
            path,
            db=db,
            shop=shop,
            table=table,
            columns_map=columns_map,
            map_file=map_file,
            time_format=time_format,
            timezone=timezone,
            progress=progress,
        )
    except services.ImportInputError as e:
        raise _fail(str(e)) from None
    for message in result.errors:
        err_console.print(f"[red]error:[/red] {message}", highlight=False)
    if fmt == "json":
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        out = Table(title=f"imported into {result.db}" if result.db else "imported")
        for name in ("table", "read", "stored", "updated", "quarantined"):
            out.add_column(name, justify="left" if name == "table" else "right")
        for name, c in result.tables.items():
            q = f"[yellow]{c.quarantined}[/yellow]" if c.quarantined else "0"
            out.add_row(name, str(c.read), str(c.stored), str(c.updated), q)
        console.print(out)
        if any(c.quarantined for c in result.tables.values()):
            console.print("see the quarantined rows with: jinpai quarantine", highlight=False)
    if not result.read_anything:
        if not result.errors:
            err_console.print("[red]error:[/red] no rows could be read", highlight=False)
        raise typer.Exit(1)


@app.command("quarantine")
def quarantine_command(
    db: Annotated[
        Path | None, typer.Option("--db", help="warehouse DuckDB file (default: settings)")
    ] = None,
    import_id: Annotated[
        int | None, typer.Option("--import-id", help="only the rows of this import")
    ] = None,
    shop: Annotated[str | None, typer.Option("--shop", help="only the rows of this shop")] = None,
    unmatched: Annotated[
        bool,
        typer.Option("--unmatched", help="list reminders of orders not imported (yet) instead"),
    ] = False,
    export: Annotated[
        Path | None, typer.Option("--export", help="write the rows to FILE.csv or FILE.xlsx")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List (or export) the rows imports could not read, with file, row, column and reason."""
    import json

    from rich.table import Table

    from jinpai import services

    if fmt not in ("table", "json"):
        raise _fail(f"unknown --format {fmt!r} (table or json)")
    try:
        if unmatched:
            rows = services.list_unmatched_reminders(db)
        else:
            rows = services.list_quarantine(db, import_id=import_id, shop=shop)
        if export is not None:
            if unmatched:
                raise services.ImportInputError("--export applies to quarantined rows")
            services.export_quarantine(rows, export)
            err_console.print(f"wrote {len(rows)} rows to {export}", highlight=False)
            return
    except services.ImportInputError as e:
        raise _fail(str(e)) from None
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    if not rows:
        console.print("no unmatched reminders" if unmatched else "the quarantine is empty")
        return
    out = Table(title="unmatched reminders" if unmatched else "quarantine")
    for name in rows[0]:
        out.add_column(name, overflow="fold")
    for r in rows:
        out.add_row(*("" if v is None else str(v) for v in r.values()))
    console.print(out)


# --- score, pay, grade, rank (management: scorecards, pay, grading, ranks) ---------------------

_MonthOpt = Annotated[str, typer.Option("--month", help="the calendar month, YYYY-MM")]
_RoleOpt = Annotated[str | None, typer.Option("--role", help="one role: presale, aftersale, ...")]
_PlanOpt = Annotated[
    Path | None,
    typer.Option("--plan", help="YAML: KPI plans, pay terms, grading rules (versioned)"),
]
_DataOpt = Annotated[Path | None, typer.Option("--data", help=_DATA_HELP)]
_DbOpt = Annotated[Path | None, typer.Option("--db", help=_DB_HELP)]
_ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="rule profile: taobao, pdd, jd or raw")
]
_AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="ISO time (default: end of month + settle days, or latest)"),
]
_SettingsOpt = Annotated[
    Path | None, typer.Option("--settings", help="YAML file: profile and setting overrides")
]
_ShopOpt = Annotated[str | None, typer.Option("--shop", help="one shop of several")]
_SettleOpt = Annotated[
    int | None,
    typer.Option(
        "--settle-days",
        help="days after the month before figures are final (default: the store's, else 4)",
    ),
]
_StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store-url",
        help="application store with the plans, terms and settings in force (default: settings)",
    ),
]
_MgmtFormat = Annotated[str, typer.Option("--format", help="json, table or xlsx")]
_OutOpt = Annotated[Path | None, typer.Option("--out", help="write to this file")]


def _management_command(kind: str, fmt: str, out: Path | None, call) -> None:  # type: ignore[no-untyped-def]
    """Run a management use case and render it; the as_of used is always shown."""
    from jinpai import services
    from jinpai.exports.common import dumps

    if fmt not in ("json", "table", "xlsx"):
        raise _fail(f"unknown --format {fmt!r}: choose json, table or xlsx")
    try:
        result = call(services)
    except services.ReportInputError as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        _emit(dumps(result) + "\n", out)
        return
    from jinpai.management import sheets

    err_console.print(f"as_of {result.get('as_of')}", highlight=False)
    if fmt == "xlsx":
        target = out or Path(f"jinpai-{kind}-{result['month']}.xlsx")
        sheets.write_xlsx(kind, result, target)
        err_console.print(f"wrote {target}", highlight=False)
    else:
        for table in sheets.rich_tables(kind, result):
            _screen().print(table)


def _mgmt_options(  # type: ignore[no-untyped-def]
    db: Path | None, store_url: str | None, **kwargs
) -> object:
    """With a warehouse (--db) and no --plan file, the store's versions are in force."""
    from jinpai import services
    from jinpai.settings import get_settings

    store = None
    if kwargs.get("plan_file") is None and (db is not None or store_url is not None):
        store = store_url or get_settings().database
    return services.ManagementOptions(store=store, **kwargs)


def _month_command(kind: str, use_case: str, doc: str) -> None:
    """Register ``jinpai score | pay | grade``: one month's management sheet, same options."""

    def command(
        month: _MonthOpt,
        role: _RoleOpt = None,
        data: _DataOpt = None,
        db: _DbOpt = None,
        plan: _PlanOpt = None,
        profile: _ProfileOpt = None,
        as_of: _AsOfOpt = None,
        settings_file: _SettingsOpt = None,
        shop: _ShopOpt = None,
        settle_days: _SettleOpt = None,
        store_url: _StoreOpt = None,
        fmt: _MgmtFormat = "json",
        out: _OutOpt = None,
    ) -> None:
        options = _mgmt_options(
            db, store_url,
            month=month, role=role, profile=profile, as_of=as_of, settings_file=settings_file,
            shop=shop, plan_file=plan, settle_days=settle_days,
        )  # fmt: skip
        _management_command(
            kind,
            fmt,
            out,
            lambda s: getattr(s, use_case)(s.ReportSource(data=data, db=db), options),
        )

    command.__doc__ = doc
    app.command(name=kind)(command)


_month_command(
    "score",
    "score_month",
    "KPI scorecards (绩效考核表) of a month: each indicator's value, reference, score, points.",
)
_month_command(
    "pay",
    "pay_month",
    "Pay sheet (薪资) of a month: base, commission, reminder commission, deduction, award,\n"
    "allowances and adjustments, each with its inputs.",
)
_month_command(
    "grade",
    "grade_month",
    "Grades (客服等级, seed 004), last month's grade and changes, promotion candidates, bottom.",
)


@app.command()
def rank(
    month: _MonthOpt,
    metric: Annotated[
        str, typer.Option("--metric", help="a metric id, rating kind or kpi_score")
    ] = "kpi_score",
    role: _RoleOpt = None,
    data: _DataOpt = None,
    db: _DbOpt = None,
    plan: _PlanOpt = None,
    profile: _ProfileOpt = None,
    as_of: _AsOfOpt = None,
    settings_file: _SettingsOpt = None,
    shop: _ShopOpt = None,
    settle_days: _SettleOpt = None,
    store_url: _StoreOpt = None,
    fmt: _MgmtFormat = "json",
    out: _OutOpt = None,
) -> None:
    """Dense ranks per role on a metric (direction-aware) or the KPI score."""
    options = _mgmt_options(
        db, store_url,
        month=month, role=role, profile=profile, as_of=as_of, settings_file=settings_file,
        shop=shop, plan_file=plan, settle_days=settle_days,
    )  # fmt: skip
    _management_command(
        "rank",
        fmt,
        out,
        lambda s: s.rank_month(s.ReportSource(data=data, db=db), options, metric),
    )


if __name__ == "__main__":  # pragma: no cover
    app()
