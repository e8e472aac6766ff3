"""End to end through the CLI on a small data folder (tests/surface_data.py's chats and orders,
with pay columns, a mid-month hire and a reminder on another agent's order)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jinpai.cli import app
from tests.surface_data import write_shop_folder

runner = CliRunner()
AS_OF = "2024-03-20T00:00:00"
AGENTS = """agent_id,name,role,level,base_salary,commission_rate,hired_on
a1,小美,presale,mid,1800,0.01,2023-01-01
a2,小丽,presale,junior,1800,0.01,2024-01-01
a3,小新,aftersale,junior,2000,0.01,2024-03-11
"""
# a1 chases a2's unpaid order o1 (paid 03-17 08:00): a successful reminder on another's order
REMINDERS = """order_id,agent_id,sent_at,channel
o1,a1,2024-03-17 07:00:00,sms
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_shop_folder(tmp_path_factory.mktemp("mgmt"))
    (path / "agents.csv").write_text(AGENTS, encoding="utf-8")
    (path / "reminders.csv").write_text(REMINDERS, encoding="utf-8")
    return path


def run_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--month", "2024-03", "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def pay(folder: Path) -> dict:
    return run_json("pay", "--data", str(folder))


def test_score_end_to_end(folder: Path) -> None:
    result = run_json("score", "--data", str(folder), "--role", "presale")
    assert result["as_of"].startswith(AS_OF)
    assert result["roles"] == [
        {"role": "presale", "plan_valid_from": "2000-01", "dropped": ["quality_check"]}
    ]
    kpi = {a["agent_id"]: a["kpi_score"] for a in result["agents"]}
    # figures of metrics.md's worked examples: a1 sales 0, 2 inquiries unpaid, no aov, response
    # (80 + 600 + 600 + 60 + 60) / 5 = 280 s, replied 3/3; a2 sales 300, 1 of 1 paid, 120 s, 1/1
    w = 100 / 90  # quality_check (10) has no ratings: the other 90 scaled to 100
    a1 = w * (30 * 0 + 25 * 0 + 15 * 0 + 15 * (200 / 280) + 5 * 1)
    a2 = w * (30 * 1.2 + 25 * 1.2 + 15 * 1 + 15 * 1.2 + 5 * 1)
    assert kpi == pytest.approx({"a1": a1, "a2": a2})


def test_pay_end_to_end(pay: dict) -> None:
    assert pay["month"] == "2024-03" and pay["as_of"].startswith(AS_OF)
    rows = {a["agent_id"]: a for a in pay["agents"]}
    assert set(rows) == {"a1", "a2", "a3"}
    assert rows["a3"]["base"] == pytest.approx(2000 * 21 / 31)  # hired 03-11: 21 of 31 days
    # a1: o1 is a2's sales order, so a1's reminder counts; plus o3, the silent order a1 secured
    assert rows["a1"]["reminder_commission"] == pytest.approx(0.005 * (300 + 120))
    a2_kpi = 100 / 90 * (30 * 1.2 + 25 * 1.2 + 15 + 15 * 1.2 + 5)
    assert rows["a2"]["commission"] == pytest.approx(0.01 * 300 * a2_kpi / 100)
    assert rows["a2"]["award"] == 500
    assert rows["a3"]["award"] == 0  # aftersale: no case, no round, no rating: no KPI at all
    assert rows["a3"]["inputs"]["commission"]["kpi_score"] is None
    assert pay["totals"]["total"] == pytest.approx(sum(r["total"] for r in rows.values()))


def test_grade_and_rank_end_to_end(folder: Path) -> None:
    grade = run_json("grade", "--data", str(folder))
    assert grade["rule"] == "weakest"
    assert {a["agent_id"] for a in grade["agents"]} == {"a1", "a2", "a3"}
    assert grade["bottom"] == []  # two presale agents: no bottom
    assert grade["promotion_candidates"] == []  # one month of chats only
    a2 = next(a for a in grade["agents"] if a["agent_id"] == "a2")
    assert set(a2["dimensions"]) >= {"repeat_customer_share", "new_customer_retention_nd"}
    rank = run_json("rank", "--data", str(folder), "--metric", "avg_response_s")
    presale = [(r["agent_id"], r["rank"]) for r in rank["agents"] if r["role"] == "presale"]
    assert presale == [("a2", 1), ("a1", 2)]  # lower is better


def test_xlsx_and_plan_file(folder: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "plans:\n  - role: presale\n    valid_from: 2024-01\n"
        "    indicators:\n      - {metric: sales, weight: 100}\n"
        "adjustments:\n  - {month: 2024-03, agent_id: a1, amount: 66.5, reason: 全勤}\n",
        encoding="utf-8",
    )
    out = tmp_path / "pay.xlsx"
    args = ["pay", "--data", str(folder), "--plan", str(plan), "--month", "2024-03"]
    result = runner.invoke(app, [*args, "--as-of", AS_OF, "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "as_of" in result.output
    import openpyxl

    sheet = openpyxl.load_workbook(out)["薪资"]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "底薪" in values and "全勤 66.50" in values  # yuan to cents (jinpai.display)
    bad = runner.invoke(app, ["score", "--month", "2024-3x", "--data", str(folder)])
    assert bad.exit_code == 2


@pytest.mark.parametrize("command", ["score", "pay", "grade"])
@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_a_month_out_of_the_calendar_is_a_clear_error(
    folder: Path, command: str, month: str
) -> None:
    bad = runner.invoke(app, [command, "--month", month, "--data", str(folder)])
    assert bad.exit_code == 2 and f"bad month '{month}'" in bad.output
    assert bad.exception is None or isinstance(bad.exception, SystemExit)


def test_a_plan_weighing_the_aov_index_alone(folder: Path, tmp_path: Path) -> None:
    """aov_index compares the agent's aov with the shop's even when the plan names no aov."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "plans:\n  - role: presale\n    valid_from: 2024-01\n"
        "    indicators:\n      - {metric: aov_index, weight: 100, target: 1}\n",
        encoding="utf-8",
    )
    result = run_json("score", "--data", str(folder), "--plan", str(plan), "--role", "presale")
    rows = {a["agent_id"]: a for a in result["agents"]}
    # a2's o1 (300 yuan, b2) is the shop's only sales order: a2's aov 300 / the shop's 300 = 1;
    # a1 has no sales order, so no aov and no index
    assert rows["a2"]["kpi_score"] == pytest.approx(100)
    assert rows["a1"]["kpi_score"] == pytest.approx(0)


def test_reminder_commission_pays_own_orders_no_earlier_month_paid(tmp_path: Path) -> None:
    """A reminder on the agent's own order earns reminder commission unless the order counted
    in the sales or secured silent sales of the month it was created in (paid by that month's
    as_of: its end + 4 settle days, 2024-03-05 00:00)."""
    (tmp_path / "messages.csv").write_text(
        "buyer_id,agent_id,sender,sent_at,is_auto\n"
        + "".join(
            f"{b},a1,buyer,{day} 09:59:00,false\n{b},a1,agent,{day} 10:00:00,false\n"
            for b, day in [
                ("b1", "2024-02-27"),
                ("b2", "2024-02-27"),
                ("b3", "2024-02-27"),
                ("b5", "2024-03-10"),
                ("b4", "2024-03-05"),
                ("b6", "2024-03-12"),
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "orders.csv").write_text(
        "order_id,buyer_id,created_at,paid_at,amount\n"
        # a1's inquiry orders of February: paid after, on and before February's as_of
        "f1,b1,2024-02-27 10:10:00,2024-03-05 11:00:00,100\n"
        "f2,b2,2024-02-27 10:10:00,2024-03-01 10:00:00,20\n"
        "f3,b3,2024-02-27 10:10:00,2024-03-05 00:00:00,3\n"
        # a silent order of February that a1 secures on 03-05 (b4 writes, a1 replies)
        "s1,b4,2024-02-27 08:00:00,2024-03-05 10:30:00,4000\n"
        # a1's inquiry order of March, and a silent one a1 secures on 03-12
        "m1,b5,2024-03-10 10:10:00,2024-03-10 13:00:00,50000\n"
        "s2,b6,2024-03-12 08:00:00,2024-03-12 10:30:00,300\n",
        encoding="utf-8",
    )
    (tmp_path / "agents.csv").write_text(
        "agent_id,name,role,base_salary,commission_rate,hired_on\n"
        "a1,小美,presale,0,0.02,2023-01-01\n",
        encoding="utf-8",
    )
    (tmp_path / "reminders.csv").write_text(
        "order_id,agent_id,sent_at,channel\n"
        "f1,a1,2024-03-05 09:00:00,sms\n"
        "f2,a1,2024-03-01 09:00:00,sms\n"
        "f3,a1,2024-03-04 23:00:00,sms\n"
        "s1,a1,2024-03-05 09:30:00,sms\n"
        "m1,a1,2024-03-10 12:00:00,sms\n"
        "s2,a1,2024-03-12 09:30:00,sms\n",
        encoding="utf-8",
    )
    args = ["pay", "--data", str(tmp_path), "--month", "2024-03", "--format", "json"]
    result = runner.invoke(app, [*args, "--as-of", "2024-04-05T00:00:00"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["agents"]
    inputs = row["inputs"]["reminder_commission"]
    assert inputs["recovered_sales"] == pytest.approx(100 + 20 + 3 + 4000 + 50000 + 300)
    # f2 (paid 03-01) and f3 (paid at 03-05 00:00, as_of itself) were February's sales, m1 is
    # March's; f1 and s1 were paid only after February's as_of: no commission ever paid them
    assert inputs["recovered_on_own_sales_orders"] == pytest.approx(20 + 3 + 50000)
    # s2 is paid once, through March's secured silent sales; s1 was created in February, so it
    # is not in them
    assert inputs["recovered_on_own_secured_orders"] == pytest.approx(300)
    assert inputs["secured_silent_sales"] == pytest.approx(300)
    assert inputs["recovered_other"] == pytest.approx(100 + 4000)
    # the orders behind the figures, each with the part it counts in
    parts = {o["order_id"]: (o["recovered"], o["part"]) for o in inputs["orders"]}
    assert parts == {
        "f1": (100, "other"),
        "f2": (20, "own_sales"),
        "f3": (3, "own_sales"),
        "m1": (50000, "own_sales"),
        "s1": (4000, "other"),
        "s2": (300, "own_secured"),
    }
    assert row["reminder_commission"] == pytest.approx(0.02 / 2 * (100 + 4000 + 300))
