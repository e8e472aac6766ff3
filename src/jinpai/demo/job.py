"""The demo shop's month end to end: import, report, scorecard, pay, grades and the workbook."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from jinpai.display import format_number
from jinpai.exports.management_sheets import write_workbook
from jinpai.exports.terminal import report_tables
from jinpai.exports.xlsx import write_report_xlsx
from jinpai.management.plans import KPI_SCORE, figure_unit
from jinpai.metrics.base import Unit
from jinpai.metrics.catalogue import CATALOGUE, tagged
from jinpai.services import management
from jinpai.services.imports import ImportResult, import_path
from jinpai.services.inputs import month_period
from jinpai.services.reports import ReportOptions, build_report
from jinpai.services.sources import ReportSource
from jinpai.settings import Settings

DEMO_MONTH_START = date(2024, 3, 1)
DEMO_MONTH = "2024-03"
# the report shows the metrics tagged summary; the workbook and `jinpai report` carry them all
SUMMARY_METRICS = tagged("summary")


def run_demo_month(folder: Path, db: Path | None, settings: Settings, console: Console) -> None:
    warehouse = db or settings.warehouse_path
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    imported = import_path(folder, settings, db=warehouse)
    _print_import(imported, warehouse, console)

    source = ReportSource(db=warehouse)
    start, end = month_period(DEMO_MONTH)
    report = build_report(source, ReportOptions(start=start, end=end), settings)
    summary = {**report, "agents": report["agents"], "days": []}
    console.print(report_tables(_only(summary, SUMMARY_METRICS)))

    options = management.ManagementOptions(month=DEMO_MONTH)
    results = [
        ("score", management.score_month(source, options, settings)),
        ("pay", management.pay_month(source, options, settings)),
        ("grade", management.grade_month(source, options, settings)),
    ]
    console.print(_management_summary(dict(results)))

    report_path = folder / f"jinpai-report-{DEMO_MONTH}.xlsx"
    write_report_xlsx(report, report_path)
    sheets_path = folder / f"jinpai-management-{DEMO_MONTH}.xlsx"
    write_workbook(results, sheets_path)
    console.print(f"workbooks: {report_path}, {sheets_path}")
    console.print(
        "explore: .venv/bin/jinpai report --db "
        f"{warehouse} --month {DEMO_MONTH} --format table | less -R"
    )
    console.print(
        "web app: make serve, then open http://127.0.0.1:8000 and sign in as "
        "demo / demo-password (the shop owner of the demo shop)"
    )


def _only(report: dict, metrics: tuple[str, ...]) -> dict:
    def keep(row: dict) -> dict:
        return {
            k: v for k, v in row.items() if k in metrics or k in ("shop_id", "agent_id", "date")
        }

    out = dict(report)
    if "shop" in report:
        out["shop"] = keep(report["shop"])
    out["shops"] = [keep(r) for r in report.get("shops", [])]
    out["agents"] = [keep(r) for r in report["agents"]]
    out["days"] = []
    return out


def _print_import(imported: ImportResult, warehouse: Path, console: Console) -> None:
    table = Table(title=f"imported into {warehouse}")
    for column in ("table", "read", "stored", "updated", "quarantined"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, counts in imported.tables.items():
        table.add_row(
            name, *(f"{getattr(counts, c):,}" for c in ("read", "stored", "updated", "quarantined"))
        )
    console.print(table)


def _management_summary(results: dict[str, dict]) -> Table:
    """One line per agent: KPI score, pay and grade (the workbook has every input)."""
    score = {a["agent_id"]: a for a in results["score"]["agents"]}
    grade = {a["agent_id"]: a for a in results["grade"]["agents"]}
    table = Table(title=f"{DEMO_MONTH} 绩效 / 薪资 / 等级 (scorecard, pay, grade)")
    for column in ("客服", "岗位", "KPI得分", "底薪", "提成", "催付提成", "奖励", "合计", "等级"):
        table.add_column(column, justify="left" if column in ("客服", "岗位", "等级") else "right")
    for row in results["pay"]["agents"]:
        agent = row["agent_id"]
        kpi = score.get(agent, {}).get("kpi_score")
        table.add_row(
            agent,
            row.get("role") or "",
            format_number(kpi, figure_unit(KPI_SCORE)),
            *(
                format_number(row[k], Unit.YUAN)
                for k in ("base", "commission", "reminder_commission", "award", "total")
            ),
            grade_with_reason(grade.get(agent), results["grade"]["rule"]),
        )
    return table


def grade_with_reason(grade: dict | None, rule: str) -> str:
    """The grade and, under the weakest-dimension rule, the dimensions that set it."""
    if grade is None or grade.get("grade") is None:
        return "—"
    level = grade["grade"]
    if rule != "weakest":
        return level
    lowest = [m for m, d in grade["dimensions"].items() if d["level"] == level]
    return f"{level} ({', '.join(CATALOGUE[m].zh for m in lowest)})"
