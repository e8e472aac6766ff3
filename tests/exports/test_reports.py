"""Report exports: the long CSV, the Excel workbook, display rounding."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from jinpai.cli import app
from jinpai.display import format_number
from jinpai.exports.common import dumps, jsonable
from jinpai.exports.csvfile import COLUMNS
from jinpai.metrics.base import Unit
from tests.surface_data import report_args, write_shop_folder

runner = CliRunner()
METRICS = "online_days,answer_ratio,inquiry_conversion,sales"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop_folder(tmp_path_factory.mktemp("shop"))


def test_csv_is_one_long_file(folder: Path) -> None:
    result = runner.invoke(app, report_args(folder, "--metrics", METRICS, "--format", "csv"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == COLUMNS
    index = {(r["metric"], r["scope"], r["agent_id"], r["date"]): r["value"] for r in rows}
    assert index[("online_days", "shop", "", "")] == "2"
    assert index[("online_days", "agent", "a3", "")] == "0"
    assert index[("online_days", "day", "", "2024-03-16")] == "1"
    assert float(index[("answer_ratio", "agent", "a1", "")]) == 4 / 6  # exact
    assert index[("inquiry_conversion", "agent", "a3", "")] == ""  # undefined


def test_csv_file_opens_in_excel(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    args = report_args(folder, "--metrics", METRICS, "--format", "csv", "--out", str(out))
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8


def test_xlsx_workbook(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    args = report_args(folder, "--metrics", METRICS, "--by", "agent-day")
    result = runner.invoke(app, [*args, "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["店铺汇总", "客服", "每日", "客服每日"]
    agents = book["客服"]
    heads = [c.value for c in agents[1]]
    ids = [c.value for c in agents[2]]
    assert ids[:2] == ["shop_id", "agent_id"] and heads[:2] == ["店铺", "客服"]
    assert heads[ids.index("online_days")] == "上班天数"
    assert agents.freeze_panes == "C3"
    rows = {r[1]: r for r in agents.iter_rows(min_row=3, values_only=True)}
    assert rows["a3"][ids.index("online_days")] == 0
    assert rows["a2"][ids.index("sales")] == 300
    rate = agents.cell(row=3, column=ids.index("inquiry_conversion") + 1)
    assert rate.number_format == "0.00%"  # the rounding of every surface (jinpai.display)
    money = agents.cell(row=3, column=ids.index("sales") + 1)
    assert money.number_format == "#,##0.00"
    summary = book["店铺汇总"]
    lines = {r[2]: r for r in summary.iter_rows(values_only=True) if r[2]}
    assert lines["online_days"][1] == "上班天数" and lines["online_days"][4] == 2


def test_display_rounds_for_display_only() -> None:
    assert format_number(0.123456, Unit.RATE) == "12.35%"
    assert format_number(426.6666, Unit.SECONDS) == "426.7"
    assert format_number(1234.5, Unit.YUAN) == "1,234.50"
    assert format_number(3, Unit.COUNT) == "3"
    assert format_number(None, Unit.RATE) == "—"


def test_json_never_emits_nan() -> None:
    value = {"a": math.nan, "b": [math.inf, 1.5], ("x", 1): 2}
    assert jsonable(value) == {"a": None, "b": [None, 1.5], "x|1": 2}
    assert json.loads(dumps(value))["a"] is None


def test_csv_text_cells_cannot_start_a_formula_but_numbers_and_json_stay_exact_per_the_low_findings() -> (
    None
):
    from jinpai.exports.csvfile import report_csv

    report = {
        "agents": [
            {"shop_id": "=cmd|' /C calc'!A0", "agent_id": "+1+cmd", "sales": -3.5},
            {"shop_id": "s", "agent_id": "-2+3", "sales": "@SUM(A1:A9)"},
            {"shop_id": "s", "agent_id": "\tx", "sales": -7},
            {"shop_id": "s", "agent_id": "\ry", "hourly_load": {"9": -1, "=x": "=y"}},
            {"shop_id": "s", "agent_id": "a1", "sales": "-12.5"},
        ]
    }
    rows = list(csv.DictReader(io.StringIO(report_csv(report), newline="")))
    got = [(r["shop_id"], r["agent_id"], r["value"]) for r in rows]
    assert sorted(got) == sorted(
        [
            ("'=cmd|' /C calc'!A0", "'+1+cmd", "-3.5"),
            ("s", "'-2+3", "'@SUM(A1:A9)"),
            ("s", "'\tx", "-7"),
            ("s", "a1", "-12.5"),
            ("s", "'\ry", '{"9":-1,"=x":"=y"}'),
        ]
    )


def test_a_quarantine_export_runs_no_formula_of_an_imported_file_per_the_low_findings(
    tmp_path: Path,
) -> None:
    from jinpai.exports.quarantine import write_quarantine

    row = {"import_id": 1, "shop_id": "=1+2", "table": "orders", "file": "o.csv", "row": 2,
           "column": "amount", "reason": "@SUM(A1)", "raw": '{"amount": "-1"}'}  # fmt: skip
    out = write_quarantine([row], tmp_path / "q.csv")
    [got] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert (got["shop_id"], got["reason"], got["raw"], got["row"]) == (
        "'=1+2",
        "'@SUM(A1)",
        '{"amount": "-1"}',
        "2",
    )
    sheet = openpyxl.load_workbook(write_quarantine([row], tmp_path / "q.xlsx")).active
    assert [c.value for c in sheet[2]][1] == "=1+2"
    assert [c.data_type for c in sheet[2]][1] == "s"  # text, not a formula
