"""``jinpai report`` and ``jinpai explain``: the figures of a period and the rows behind one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jinpai.cli.common import (
    DataOpt,
    DbOpt,
    ProfileOpt,
    SettingsOpt,
    emit,
    err_console,
    fail,
    report_options,
    screen,
    settings,
)

app = typer.Typer()


@app.command()
def report(
    data: DataOpt = None,
    db: DbOpt = None,
    start: Annotated[
        str | None, typer.Option("--from", help="first day, YYYY-MM-DD (shop-local)")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD (included)")] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="a calendar month YYYY-MM instead of --from/--to")
    ] = None,
    profile: ProfileOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="ISO time; nothing after it exists (default: the latest event)"
        ),
    ] = None,
    settings_file: SettingsOpt = None,
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
    from jinpai.exports.common import dumps
    from jinpai.services.errors import ReportInputError
    from jinpai.services.inputs import parse_metrics
    from jinpai.services.reports import build_report
    from jinpai.services.sources import ReportSource

    if fmt not in ("json", "table", "csv", "xlsx"):
        raise fail(f"unknown --format {fmt!r}: choose json, table, csv or xlsx")
    if by not in (None, "agent-day"):
        raise fail(f"unknown --by {by!r}: the only extra grain is agent-day")
    try:
        options = report_options(
            start, end, month, profile, settings_file, as_of,
            shop=shop, metrics=parse_metrics(metrics), by_agent_day=by == "agent-day",
        )  # fmt: skip
        source = ReportSource(data=data, db=db, engine=engine)
        result = build_report(source, options, settings())  # type: ignore[arg-type]
    except ReportInputError as exc:
        raise fail(str(exc)) from None
    if fmt == "json":
        emit(dumps(result) + "\n", out)
    elif fmt == "csv":
        from jinpai.exports.csvfile import report_csv

        emit(report_csv(result), out)
    elif fmt == "xlsx":
        from jinpai.exports.xlsx import write_report_xlsx

        period = result["period"]
        target = out or Path(f"jinpai-report-{period['from']}-{period['to']}.xlsx")
        write_report_xlsx(result, target)
        err_console.print(f"wrote {target}", highlight=False)
    else:
        from jinpai.exports.terminal import render, report_tables

        if out is None:
            screen().print(report_tables(result))
        else:
            emit(render(report_tables(result)), out)


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
    data: DataOpt = None,
    db: DbOpt = None,
    profile: ProfileOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO time; nothing after it exists")
    ] = None,
    settings_file: SettingsOpt = None,
    shop: Annotated[
        str | None, typer.Option("--shop", help="the shop, when the data holds several")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="at most this many rows per building block")
    ] = 500,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """The rows behind one figure: rounds, inquiries, credited orders (with the crediting message)..."""
    from jinpai.exports.common import dumps
    from jinpai.services.errors import ReportInputError
    from jinpai.services.reports import explain_metric
    from jinpai.services.sources import ReportSource

    if fmt not in ("json", "table"):
        raise fail(f"unknown --format {fmt!r}: choose table or json")
    if day is None and month is None:
        raise fail("give the day: --date D [--to D2] (or --month YYYY-MM)")
    try:
        options = report_options(day, end or day, month, profile, settings_file, as_of, shop=shop)
        source = ReportSource(data=data, db=db)
        result = explain_metric(source, options, settings(), metric, agent, limit)  # type: ignore[arg-type]
    except ReportInputError as exc:
        raise fail(str(exc)) from None
    if fmt == "json":
        typer.echo(dumps(result.to_dict()))
    else:
        from jinpai.exports.terminal import explanation_tables

        screen().print(explanation_tables(result))
