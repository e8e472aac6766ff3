"""``jinpai score | pay | grade | rank``: a month's scorecards, pay, grades and ranks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jinpai.cli.common import (
    DataOpt,
    DbOpt,
    MonthOpt,
    OutOpt,
    ProfileOpt,
    SettingsOpt,
    StoreUrlOpt,
    emit,
    err_console,
    fail,
    screen,
    settings,
)

app = typer.Typer()

_RoleOpt = Annotated[str | None, typer.Option("--role", help="one role: presale, aftersale, ...")]
_PlanOpt = Annotated[
    Path | None,
    typer.Option("--plan", help="YAML: KPI plans, pay terms, grading rules (versioned)"),
]
_AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="ISO time (default: end of month + settle days, or latest)"),
]
_ShopOpt = Annotated[str | None, typer.Option("--shop", help="one shop of several")]
_SettleOpt = Annotated[
    int | None,
    typer.Option(
        "--settle-days",
        help="days after the month before figures are final (default: the store's, else 4)",
    ),
]
_MgmtFormat = Annotated[str, typer.Option("--format", help="json, table or xlsx")]


def _management_command(  # type: ignore[no-untyped-def]
    kind: str,
    use_case: str,
    fmt: str,
    out: Path | None,
    data: Path | None,
    db: Path | None,
    store_url: str | None,
    profile: str | None,
    settings_file: Path | None,
    as_of: str | None,
    *extra,
    **options,
) -> None:
    """Run a management use case of :mod:`jinpai.services.management` on what was typed and
    render it; the as_of used is always shown."""
    from jinpai.exports.common import dumps
    from jinpai.services import management
    from jinpai.services.errors import ReportInputError
    from jinpai.services.sources import ReportSource

    if fmt not in ("json", "table", "xlsx"):
        raise fail(f"unknown --format {fmt!r}: choose json, table or xlsx")
    try:
        typed = _mgmt_options(db, store_url, profile, settings_file, as_of, **options)
        call = getattr(management, use_case)
        result = call(ReportSource(data=data, db=db), typed, settings(), *extra)
    except ReportInputError as exc:
        raise fail(str(exc)) from None
    if fmt == "json":
        emit(dumps(result) + "\n", out)
        return
    from jinpai.exports import management_sheets as sheets

    err_console.print(f"as_of {result.get('as_of')}", highlight=False)
    if fmt == "xlsx":
        target = out or Path(f"jinpai-{kind}-{result['month']}.xlsx")
        sheets.write_xlsx(kind, result, target)
        err_console.print(f"wrote {target}", highlight=False)
    else:
        for table in sheets.rich_tables(kind, result):
            screen().print(table)


def _mgmt_options(  # type: ignore[no-untyped-def]
    db: Path | None,
    store_url: str | None,
    profile: str | None,
    settings_file: Path | None,
    as_of: str | None,
    **kwargs,
) -> object:
    """With a warehouse (--db) and no --plan file, the store's versions are in force."""
    from jinpai.services import inputs
    from jinpai.services.management import ManagementOptions
    from jinpai.services.rules import chosen_rules

    store = None
    if kwargs.get("plan_file") is None and (db is not None or store_url is not None):
        store = store_url or settings().database
    return ManagementOptions(
        store=store,
        rules=chosen_rules(profile, settings_file),
        as_of=inputs.parse_as_of(as_of),
        **kwargs,
    )


def _month_command(kind: str, use_case: str, doc: str) -> None:
    """Register ``jinpai score | pay | grade``: one month's management sheet, same options."""

    def command(
        month: MonthOpt,
        role: _RoleOpt = None,
        data: DataOpt = None,
        db: DbOpt = None,
        plan: _PlanOpt = None,
        profile: ProfileOpt = None,
        as_of: _AsOfOpt = None,
        settings_file: SettingsOpt = None,
        shop: _ShopOpt = None,
        settle_days: _SettleOpt = None,
        store_url: StoreUrlOpt = None,
        fmt: _MgmtFormat = "json",
        out: OutOpt = None,
    ) -> None:
        _management_command(
            kind, use_case, fmt, out, data, db, store_url, profile, settings_file, as_of,
            month=month, role=role, shop=shop, plan_file=plan, settle_days=settle_days,
        )  # fmt: skip

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
    "Grades (客服等级, balanced-scorecard grading), last month's grade and changes, promotion candidates, bottom.",
)


@app.command()
def rank(
    month: MonthOpt,
    metric: Annotated[
        str, typer.Option("--metric", help="a metric id, rating kind or kpi_score")
    ] = "kpi_score",
    role: _RoleOpt = None,
    data: DataOpt = None,
    db: DbOpt = None,
    plan: _PlanOpt = None,
    profile: ProfileOpt = None,
    as_of: _AsOfOpt = None,
    settings_file: SettingsOpt = None,
    shop: _ShopOpt = None,
    settle_days: _SettleOpt = None,
    store_url: StoreUrlOpt = None,
    fmt: _MgmtFormat = "json",
    out: OutOpt = None,
) -> None:
    """Dense ranks per role on a metric (direction-aware) or the KPI score."""

    _management_command(
        "rank", "rank_month", fmt, out, data, db, store_url, profile, settings_file, as_of, metric,
        month=month, role=role, shop=shop, plan_file=plan, settle_days=settle_days,
    )  # fmt: skip
