"""The job of ``make demo`` end to end: the demo shop's month is built, imported, reported,
scored, paid and graded, and its two workbooks are written; the printed grade names the
dimensions that set it."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from jinpai.cli import app
from jinpai.demo.job import grade_with_reason

runner = CliRunner()


def dimension(level: str | None) -> dict:
    return {"value": None if level is None else 0.5, "level": level}


def test_the_grade_names_the_dimensions_that_set_it() -> None:
    grade = {
        "grade": "mid",
        "dimensions": {
            "repeat_customer_share": dimension("mid"),
            "old_customer_churn": dimension(None),
            "purchase_cycle_days": dimension("gold"),
            "new_customer_conversion": dimension("mid"),
        },
    }
    assert grade_with_reason(grade, "weakest") == "mid (回头客占比, 新客户成交转化率)"
    assert grade_with_reason(grade, "majority") == "mid"  # no single dimension sets it
    assert grade_with_reason({"grade": None, "dimensions": {}}, "weakest") == "—"
    assert grade_with_reason(None, "weakest") == "—"


def test_the_demo_month_end_to_end(tmp_path: Path) -> None:
    folder, db = tmp_path / "shop", tmp_path / "warehouse.duckdb"
    result = runner.invoke(app, ["demo", "run", "--folder", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2024-03 绩效 / 薪资 / 等级" in result.output
    report = load_workbook(folder / "jinpai-report-2024-03.xlsx", read_only=True)
    management = load_workbook(folder / "jinpai-management-2024-03.xlsx", read_only=True)
    assert len(report.sheetnames) >= 3 and len(management.sheetnames) >= 3
    graded = json.loads(runner.invoke(app, ["grade", "--db", str(db), "--month", "2024-03"]).output)
    assert len(graded["agents"]) == 10  # the demo roster
    summary = result.output.split("2024-03 绩效 / 薪资 / 等级")[1].splitlines()
    for agent in graded["agents"]:  # each printed grade is the one `jinpai grade` gives, with why
        line = next(x for x in summary if agent["agent_id"] in x)
        assert grade_with_reason(agent, graded["rule"]) in line
