"""A report as an Excel workbook in the form supervisors keep their monthly sheets.

One sheet per grain. 店铺汇总 (shop summary) reads down: the period, as_of and profile on top,
then a line per metric (family, Chinese name, id, unit, a column per shop). 客服, 每日 and
客服每日 read across: a row per agent / day / agent-day, a first header row of Chinese metric names
(with the description as a cell comment) and a second of catalogue ids, both frozen with the key
columns. Cells hold the exact figures under the number format of their unit
(:func:`jinpai.display.excel_format`), so Excel rounds as the web and the terminal do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from jinpai.display import excel_format, unit_label
from jinpai.exports.common import (
    GRAINS,
    KEY_HEADERS,
    by_family,
    grain_rows,
    header,
    jsonable,
    metric,
    metric_ids,
    unit_of,
)
from jinpai.metrics.base import Unit

EXCEL_TEXT_LIMIT = 32_767


def write_report_xlsx(report: Mapping[str, Any], path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    try:
        styles = _Styles(workbook)
        for grain, (title, keys) in GRAINS.items():
            rows = grain_rows(report, grain)
            if grain == "shops":
                _write_summary(workbook.add_worksheet(title), report, rows, styles)
            elif grain != "agent_days" or "agent_days" in report:
                _write_grain(workbook.add_worksheet(title), rows, keys, styles)
    finally:
        workbook.close()


class _Styles:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.head = workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.ids = workbook.add_format({"italic": True, "font_color": "#7F7F7F", "border": 1})
        self.text = workbook.add_format({})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.numbers = NumberFormats(workbook)


class NumberFormats:
    """The cell format of a number of a unit, one workbook format per number format."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.formats: dict[str | None, Any] = {None: None}

    def __call__(self, unit: Unit | str | None, value: Any) -> Any:
        num_format = excel_format(unit, value)
        if num_format not in self.formats:
            self.formats[num_format] = self.workbook.add_format({"num_format": num_format})
        return self.formats[num_format]


def _write_summary(
    sheet: Worksheet, report: Mapping[str, Any], shops: list[dict[str, Any]], styles: _Styles
) -> None:
    period = report.get("period", {})
    info = [
        ("期间", f"{period.get('from', '')} ~ {period.get('to', '')}"),
        ("截至 as_of", str(report.get("as_of", ""))),
        ("规则 profile", str(report.get("profile", ""))),
    ]
    for i, (name, value) in enumerate(info):
        sheet.write_string(i, 0, name, styles.head)
        sheet.write_string(i, 1, value)
    top = len(info) + 1
    heads = ["类别", "指标", "指标ID", "单位", *(str(s.get("shop_id", "")) for s in shops)]
    for col, text in enumerate(heads):
        sheet.write_string(top, col, text, styles.head)
    for col, width in enumerate([26, 24, 28, 8, *([16] * len(shops))]):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(top + 1, 3)
    r = top + 1
    for family, ids in by_family(metric_ids(shops)):
        for metric_id in ids:
            m, unit = metric(metric_id), unit_of(metric_id)
            sheet.write_string(r, 0, family)
            sheet.write_string(r, 1, header(metric_id))
            sheet.write_string(r, 2, metric_id, styles.ids)
            sheet.write_string(r, 3, unit_label(unit) if unit is not None else "")
            if m is not None:
                sheet.write_comment(r, 1, m.description, {"x_scale": 3})
            for offset, shop in enumerate(shops):
                _write_value(sheet, r, 4 + offset, shop.get(metric_id), unit, styles)
            r += 1


def _write_grain(
    sheet: Worksheet, rows: list[dict[str, Any]], keys: tuple[str, ...], styles: _Styles
) -> None:
    ids = metric_ids(rows)
    for col, key in enumerate(keys):
        sheet.write_string(0, col, KEY_HEADERS[key], styles.head)
        sheet.write_string(1, col, key, styles.ids)
        width = max([len(KEY_HEADERS[key]) * 2, *(_width(r.get(key)) for r in rows)], default=8)
        sheet.set_column(col, col, min(max(width, 8), 40))
    for offset, metric_id in enumerate(ids):
        col = len(keys) + offset
        m = metric(metric_id)
        sheet.write_string(0, col, header(metric_id), styles.head)
        sheet.write_string(1, col, metric_id, styles.ids)
        if m is not None:
            sheet.write_comment(0, col, f"{metric_id}: {m.description}", {"x_scale": 3})
        sheet.set_column(col, col, max(12, min(len(metric_id) + 2, 28)))
    sheet.set_row(0, 32)
    sheet.freeze_panes(2, len(keys))
    for r, row in enumerate(rows, start=2):
        for col, key in enumerate(keys):
            value = str(row.get(key, ""))
            if key == "date" and value:
                sheet.write_datetime(r, col, datetime.fromisoformat(value), styles.date)
            else:
                sheet.write_string(r, col, value)
        for offset, metric_id in enumerate(ids):
            _write_value(
                sheet, r, len(keys) + offset, row.get(metric_id), unit_of(metric_id), styles
            )
    if rows:
        sheet.autofilter(1, 0, len(rows) + 1, len(keys) + len(ids) - 1)


def _write_value(
    sheet: Worksheet, row: int, col: int, value: Any, unit: Unit | None, styles: _Styles
) -> None:
    value = jsonable(value)
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, styles.numbers(unit, value))
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        sheet.write_string(row, col, text[:EXCEL_TEXT_LIMIT])
    else:
        sheet.write_string(row, col, str(value))


def _width(value: Any) -> int:
    text = str(value or "")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2
