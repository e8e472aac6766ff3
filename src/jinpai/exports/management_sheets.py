"""The management results as sheets: 绩效考核 (score), 薪资 (pay), 客服等级 (grade), 排名 (rank).

One description of the columns serves the terminal table (Rich, rounded for display) and the
workbook (XlsxWriter, exact values under the number format that rounds them alike, both from
:mod:`jinpai.display`; pay's derived cells are Excel formulas over the input columns, so a
supervisor can check each part in the sheet).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinpai.display import format_number
from jinpai.exports.common import jsonable
from jinpai.management.grading import LEVEL_ZH
from jinpai.management.plans import KPI_SCORE
from jinpai.management.plans import figure_unit as metric_unit
from jinpai.management.plans import figure_zh as metric_zh
from jinpai.metrics.base import Unit

ROLE_ZH = {"presale": "售前", "aftersale": "售后", "order_desk": "订单专员", "supervisor": "主管"}
SHEET_TITLES = {"score": "绩效考核", "pay": "薪资", "grade": "客服等级", "rank": "排名"}


@dataclass
class Column:
    title: str
    get: Callable[[Mapping[str, Any]], Any]
    unit: Unit | None = None  # None: text or plain number
    key: str = ""  # name a formula refers to
    formula: str | None = None  # e.g. "{salary}*{days}/{of}" over keys of the same row


@dataclass
class Section:
    title: str
    columns: list[Column]
    rows: list[Mapping[str, Any]] = field(default_factory=list)


def _col(title: str, path: str, unit: Unit | None = None, formula: str | None = None) -> Column:
    """A column reading ``a.b.c`` from a row."""

    def get(row: Mapping[str, Any]) -> Any:
        value: Any = row
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return value

    return Column(title, get, unit, key=path.rsplit(".", 1)[-1], formula=formula)


def _role(row: Mapping[str, Any]) -> str:
    role = row.get("role")
    return ROLE_ZH.get(role, role or "")


AGENT_KEYS = [
    _col("客服", "agent_id"),
    Column("岗位", _role),
]


def score_sections(result: Mapping[str, Any]) -> list[Section]:
    sections = []
    for role in result.get("roles", []):
        rows = [a for a in result["agents"] if a["role"] == role["role"]]
        metrics = [i["metric"] for i in rows[0]["indicators"]] if rows else []
        columns = [*AGENT_KEYS, _col("姓名", "name")]
        for m in metrics:
            zh = metric_zh(m)

            def part(name: str, m: str = m) -> Callable[[Mapping[str, Any]], Any]:
                return lambda r: next(i[name] for i in r["indicators"] if i["metric"] == m)

            columns += [
                Column(f"{zh} 实际值", part("value"), metric_unit(m)),
                Column(f"{zh} 参考值", part("reference"), metric_unit(m)),
                Column(f"{zh} 权重", part("weight")),
                Column(f"{zh} 得分", part("score"), Unit.POINTS),
                Column(f"{zh} 积分", part("points"), Unit.POINTS),
            ]
        columns.append(_col("KPI得分", "kpi_score", Unit.POINTS))
        title = f"{_role(role)} 绩效考核 (方案自 {role['plan_valid_from']})"
        if role.get("dropped"):
            title += f"; 无数据未计: {', '.join(metric_zh(m) for m in role['dropped'])}"
        sections.append(Section(title, columns, rows))
    return sections


def _items(key: str) -> Callable[[Mapping[str, Any]], str]:
    def text(r: Mapping[str, Any]) -> str:
        items = r["inputs"].get(key) or []
        return "; ".join(f"{i['reason']} {format_number(i['amount'], Unit.YUAN)}" for i in items)

    return text


def pay_sections(result: Mapping[str, Any]) -> list[Section]:
    y, r = Unit.YUAN, Unit.RATE
    columns = [
        *AGENT_KEYS,
        _col("姓名", "name"),
        _col("底薪标准", "inputs.base.base_salary", y),
        _col("在职天数", "inputs.base.days_employed"),
        _col("当月天数", "inputs.base.days_in_month"),
        _col("底薪", "base", y, "{base_salary}*{days_employed}/{days_in_month}"),
        _col("提成比例", "inputs.commission.commission_rate", r),
        _col("销售额", "inputs.commission.sales", y),
        _col("KPI得分", "inputs.commission.kpi_score", Unit.POINTS),
        _col("KPI系数", "inputs.commission.kpi_factor", Unit.INDEX),
        _col("提成", "commission", y, "{commission_rate}*{sales}*{kpi_factor}"),
        _col("催付提成比例", "inputs.reminder_commission.reminder_commission_rate", r),
        _col("催付挽回(未计提成订单)", "inputs.reminder_commission.recovered_other", y),
        _col("静默下单落实金额", "inputs.reminder_commission.secured_silent_sales", y),
        _col(
            "催付提成",
            "reminder_commission",
            y,
            "{reminder_commission_rate}*({recovered_other}+{secured_silent_sales})",
        ),
        _col("扣款比例", "inputs.deduction.applied_share", r),
        _col("扣款", "deduction", y, "{commission}*{applied_share}"),
        _col("月度奖", "award", y),
        _col("补贴", "allowances", y),
        Column("补贴说明", _items("allowances")),
        _col("调整", "adjustments", y),
        Column("调整原因", _items("adjustments")),
        _col(
            "合计",
            "total",
            y,
            "{base}+{commission}+{reminder_commission}-{deduction}+{award}+{allowances}"
            "+{adjustments}",
        ),
    ]
    # an agent's own sheet has no team totals (the app shows an agent their row only)
    totals = [{"agent_id": "合计", **result["totals"], "inputs": {}}] if "totals" in result else []
    mode = "奖金池" if result.get("mode") == "bonus_pool" else "KPI提成"
    title = f"薪资 {result['month']} ({mode}, 条款自 {result.get('terms_valid_from')})"
    return [Section(title, columns, [*result["agents"], *totals])]


def grade_sections(result: Mapping[str, Any]) -> list[Section]:
    metrics: list[str] = list(result["agents"][0]["dimensions"]) if result["agents"] else []
    columns = list(AGENT_KEYS)
    for m in metrics:
        columns += [
            Column(metric_zh(m), lambda row, m=m: row["dimensions"][m]["value"], metric_unit(m)),
            Column(
                f"{metric_zh(m)} 等级",
                lambda row, m=m: LEVEL_ZH.get(row["dimensions"][m]["level"] or "", ""),
            ),
        ]
    columns += [
        Column("等级", lambda row: LEVEL_ZH.get(row["grade"] or "", "")),
        Column("上月等级", lambda row: LEVEL_ZH.get(row["previous_grade"] or "", "")),
    ]
    return [
        Section(f"客服等级 {result['month']} (规则 {result['rule']})", columns, result["agents"]),
        Section(
            "等级变动 (需主管确认)",
            [
                _col("客服", "agent_id"),
                Column("上月", lambda row: LEVEL_ZH.get(row["from"] or "", "")),
                Column("本月", lambda row: LEVEL_ZH.get(row["to"] or "", "")),
            ],
            result.get("changes", []),
        ),
        Section(
            "晋升候选 (连续排名前三)",
            [
                *AGENT_KEYS,
                Column("排名", lambda row: ", ".join(str(x) for x in row["ranks"])),
                Column("KPI得分", lambda row: ", ".join(map(_kpi, row["kpi_scores"]))),
            ],
            result.get("promotion_candidates", []),
        ),
        Section(
            "末位",
            [*AGENT_KEYS, _col("连续月数", "streak")],
            result.get("bottom", []),
        ),
    ]


def rank_sections(result: Mapping[str, Any]) -> list[Section]:
    metric = result["metric"]
    columns = [
        Column("岗位", _role),
        _col("客服", "agent_id"),
        _col(metric_zh(metric), "value", metric_unit(metric) or Unit.INDEX),
        _col("排名", "rank"),
    ]
    return [Section(f"排名 {result['month']}: {metric_zh(metric)}", columns, result["agents"])]


def _kpi(score: float | None) -> str:
    return format_number(score, metric_unit(KPI_SCORE))


SECTIONS = {
    "score": score_sections,
    "pay": pay_sections,
    "grade": grade_sections,
    "rank": rank_sections,
}


def info_lines(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("月份", str(result.get("month", ""))),
        ("截至 as_of", str(result.get("as_of", ""))),
        ("规则 profile", str(result.get("profile", ""))),
    ]


# --- terminal ---------------------------------------------------------------------------------


def rich_tables(kind: str, result: Mapping[str, Any]) -> list[Any]:
    from rich.table import Table

    tables = []
    for section in SECTIONS[kind](result):
        table = Table(title=section.title)
        for c in section.columns:
            table.add_column(c.title, justify="left" if c.unit is None else "right")
        for row in section.rows:
            table.add_row(*(format_number(c.get(row), c.unit) for c in section.columns))
        tables.append(table)
    return tables


# --- workbook ---------------------------------------------------------------------------------


def write_xlsx(kind: str, result: Mapping[str, Any], path: Path) -> None:
    write_workbook([(kind, result)], path)


def write_workbook(results: list[tuple[str, Mapping[str, Any]]], path: Path) -> None:
    """One sheet per (kind, result): the month's 绩效考核, 薪资, 客服等级 … in one workbook."""
    import xlsxwriter

    from jinpai.exports.xlsx import NumberFormats

    workbook = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    try:
        head = workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        title = workbook.add_format({"bold": True, "font_size": 12})
        formats = NumberFormats(workbook)
        for kind, result in results:
            sheet = workbook.add_worksheet(SHEET_TITLES[kind])
            r = 0
            for name, value in info_lines(result):
                sheet.write_string(r, 0, name, head)
                sheet.write_string(r, 1, value)
                r += 1
            for section in SECTIONS[kind](result):
                r += 1
                sheet.write_string(r, 0, section.title, title)
                r += 1
                for c, column in enumerate(section.columns):
                    sheet.write_string(r, c, column.title, head)
                r += 1
                for row in section.rows:
                    _write_row(sheet, r, section.columns, row, formats)
                    r += 1
            sheet.set_column(0, 0, 18)
            sheet.set_column(1, 60, 13)
    finally:
        workbook.close()


def _write_row(
    sheet: Any, r: int, columns: list[Column], row: Mapping[str, Any], formats: Any
) -> None:
    from xlsxwriter.utility import xl_rowcol_to_cell

    cells = {c.key: xl_rowcol_to_cell(r, i) for i, c in enumerate(columns) if c.key}
    for i, column in enumerate(columns):
        value = jsonable(column.get(row))
        fmt = formats(column.unit, value)
        refs_present = column.formula and all(
            columns[j].get(row) is not None
            for j, c in enumerate(columns)
            if c.key and "{" + c.key + "}" in column.formula
        )
        if refs_present and isinstance(value, int | float):
            sheet.write_formula(r, i, "=" + column.formula.format(**cells), fmt, value)
        elif value is None:
            sheet.write_blank(r, i, None)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            sheet.write_string(r, i, str(value))
        else:
            sheet.write_number(r, i, value, fmt)


def sections(kind: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The sheet's tables as plain rows of display values (the Excel file has the same)."""
    out = []
    for section in SECTIONS[kind](result):
        rows = [[column.get(row) for column in section.columns] for row in section.rows]
        units = [str(column.unit) if column.unit else "" for column in section.columns]
        out.append(
            {
                "title": section.title,
                "columns": [c.title for c in section.columns],
                "units": units,
                "rows": rows,
            }
        )
    return out


def xlsx_bytes(kind: str, result: dict[str, Any]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="jinpai-xlsx-") as folder:
        path = Path(folder) / f"{kind}.xlsx"
        write_xlsx(kind, result, path)
        return path.read_bytes()
