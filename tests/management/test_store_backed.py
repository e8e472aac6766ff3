"""``jinpai score|pay|grade --db`` with the application store: the versions in force come from the
store (plans, adjustments, the shop's rule profile), on a SQLite file and on PostgreSQL.

The warehouse holds tests/surface_data.py's March chats and orders and the same again one month
later (orders p1, p3), so March and April have the same figures and a plan saved from April can
only change April.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jinpai.cli import app
from jinpai.services import imports, management
from jinpai.services.sources import ReportSource, open_tables
from jinpai.settings import get_settings
from tests.store.conftest import _postgres_at_head, _sqlite_at_head, migrated_url  # noqa: F401
from tests.surface_data import MESSAGES, ORDERS

runner = CliRunner()
AGENTS = """agent_id,name,role,level,base_salary,commission_rate,hired_on
a1,小美,presale,mid,1800,0.01,2023-01-01
a2,小丽,presale,junior,1800,0.01,2024-01-01
a3,小新,aftersale,junior,2000,0.01,2024-03-11
"""
SALES_ONLY = "name: 只看销售额\nindicators:\n  - metric: sales\n    weight: 100\n"


def _april(text: str) -> str:
    lines = text.strip().splitlines()[1:]
    return "\n".join(
        line.replace("2024-03-", "2024-04-").replace("o1,", "p1,").replace("o3,", "p3,")
        for line in lines
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("two-months")
    (folder / "messages.csv").write_text(MESSAGES + _april(MESSAGES) + "\n", encoding="utf-8")
    (folder / "orders.csv").write_text(ORDERS + _april(ORDERS) + "\n", encoding="utf-8")
    (folder / "agents.csv").write_text(AGENTS, encoding="utf-8")
    # a --plan file with the shipped defaults: the CLI then reads no store at all
    (folder / "defaults.yaml").write_text("plans: []\n", encoding="utf-8")
    db = folder / "warehouse.duckdb"
    imports.import_path(folder, get_settings(), db=db)
    return db


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def month_json(kind: str, db: Path, month: str, store: str | None, *extra: str) -> dict:
    args = [kind, "--db", str(db), "--month", month, "--format", "json", *extra]
    if store is not None:
        args += ["--store-url", store]
    return json.loads(cli(*args))


def without_store(kind: str, db: Path, month: str, *extra: str) -> dict:
    return month_json(kind, db, month, None, "--plan", str(db.parent / "defaults.yaml"), *extra)


def kpis(result: dict) -> dict[str, float]:
    return {a["agent_id"]: a["kpi_score"] for a in result["agents"]}


def by_agent(result: dict) -> dict[str, dict]:
    return {a["agent_id"]: a for a in result["agents"]}


def test_a_plan_from_april_leaves_march_alone(
    warehouse: Path,
    migrated_url: str,  # noqa: F811 (the store fixture, imported)
    tmp_path: Path,
) -> None:
    plan = tmp_path / "sales.yaml"
    plan.write_text(SALES_ONLY, encoding="utf-8")
    march_before = without_store("score", warehouse, "2024-03")
    march_pay_before = without_store("pay", warehouse, "2024-03")
    cli("plan", "set", "--role", "presale", "--from", "2024-04", str(plan),
        "--store-url", migrated_url, "--by", "boss")  # fmt: skip

    march = month_json("score", warehouse, "2024-03", migrated_url)
    assert kpis(march) == pytest.approx(kpis(march_before))
    march_pay = month_json("pay", warehouse, "2024-03", migrated_url)
    assert march_pay["totals"] == pytest.approx(march_pay_before["totals"])

    april = month_json("score", warehouse, "2024-04", migrated_url)
    presale = [r for r in april["roles"] if r["role"] == "presale"]
    assert presale[0]["plan_valid_from"] == "2024-04"
    # by hand from the month's report: KPI = 100 x min(1.2, sales / the presale team's mean)
    report = json.loads(
        cli("report", "--db", str(warehouse), "--month", "2024-04", "--metrics", "sales")
    )
    sales = {a["agent_id"]: a["sales"] for a in report["agents"] if a["agent_id"] in ("a1", "a2")}
    mean = sum(sales.values()) / len(sales)
    expected = {a: 100 * min(1.2, s / mean) for a, s in sales.items()}
    got = {a: k for a, k in kpis(april).items() if a in expected}
    assert got == pytest.approx(expected)
    assert kpis(april) != pytest.approx(kpis(without_store("score", warehouse, "2024-04")))

    pay = by_agent(month_json("pay", warehouse, "2024-04", migrated_url))
    # commission = rate x sales x KPI / 100 with the new plan's KPI
    assert pay["a2"]["commission"] == pytest.approx(0.01 * sales["a2"] * expected["a2"] / 100)
    shown = json.loads(cli("plan", "show", "--role", "presale", "--month", "2024-04",
                           "--store-url", migrated_url, "--format", "json"))  # fmt: skip
    assert [i["metric"] for i in shown[0]["indicators"]] == ["sales"]
    # without --month: every stored version of the role, oldest first
    versions = json.loads(cli("plan", "show", "--role", "presale", "--store-url", migrated_url,
                              "--format", "json"))  # fmt: skip
    assert versions[-1]["valid_from"] == "2024-04"


def test_an_adjustment_with_its_reason_is_paid(warehouse: Path, migrated_url: str) -> None:  # noqa: F811
    before = by_agent(without_store("pay", warehouse, "2024-03"))
    cli("adjust", "add", "--agent", "a1", "--month", "2024-03", "--amount", "-50.5",
        "--reason", "迟到两次", "--db", str(warehouse), "--store-url", migrated_url)  # fmt: skip
    after = by_agent(month_json("pay", warehouse, "2024-03", migrated_url))
    assert after["a1"]["adjustments"] == pytest.approx(-50.5)
    assert after["a1"]["inputs"]["adjustments"] == [{"amount": -50.5, "reason": "迟到两次"}]
    assert after["a1"]["total"] == pytest.approx(before["a1"]["total"] - 50.5)
    assert after["a2"]["total"] == pytest.approx(before["a2"]["total"])
    # April is another month: the adjustment is not paid again
    april = by_agent(month_json("pay", warehouse, "2024-04", migrated_url))
    assert april["a1"]["adjustments"] == 0


def test_an_adjustment_needs_a_known_agent_and_a_reason(
    warehouse: Path,
    migrated_url: str,  # noqa: F811 (the store fixture, imported)
) -> None:
    for extra in (["--agent", "nobody", "--reason", "x"], ["--agent", "a1", "--reason", " "]):
        result = runner.invoke(app, ["adjust", "add", "--month", "2024-03", "--amount", "1",
                                     "--db", str(warehouse), "--store-url", migrated_url, *extra])  # fmt: skip
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_shops_profile_in_the_store_applies_like_the_option(
    warehouse: Path,
    migrated_url: str,  # noqa: F811 (the store fixture, imported)
) -> None:
    from jinpai.store.db import make_engine, session_scope
    from jinpai.store.shops import ensure_shop

    taobao = without_store("score", warehouse, "2024-03")
    jd = without_store("score", warehouse, "2024-03", "--profile", "jd")
    assert jd["profile"] == "jd" and kpis(jd) != pytest.approx(kpis(taobao))
    engine = make_engine(migrated_url)
    with session_scope(engine) as session:
        ensure_shop(session, "default", profile="jd")
    engine.dispose()
    stored = month_json("score", warehouse, "2024-03", migrated_url)
    assert stored["profile"] == "jd"
    assert stored["agents"] == jd["agents"]
    # what is typed wins over what the shop keeps
    typed = month_json("score", warehouse, "2024-03", migrated_url, "--profile", "taobao")
    assert typed["agents"] == taobao["agents"]


def test_no_store_file_means_defaults_and_no_file(warehouse: Path, tmp_path: Path) -> None:
    missing = tmp_path / "none" / "store.sqlite"
    result = month_json("score", warehouse, "2024-03", f"sqlite:///{missing}")
    assert kpis(result) == pytest.approx(kpis(without_store("score", warehouse, "2024-03")))
    assert not missing.exists()


def test_store_terms_win_over_the_warehouse_roster_from_their_month(
    warehouse: Path,
    migrated_url: str,  # noqa: F811 (the store fixture, imported)
) -> None:
    from jinpai.store.db import make_engine, session_scope
    from jinpai.store.roster import set_terms, upsert_agent

    engine = make_engine(migrated_url)
    with session_scope(engine) as session:
        upsert_agent(session, "default", "a1", name="小美")
        set_terms(session, "default", "a1", "2024-04", role="presale", base_salary=2500,
                  sales_target=1000)  # fmt: skip
    engine.dispose()
    march = by_agent(month_json("pay", warehouse, "2024-03", migrated_url))
    april = by_agent(month_json("pay", warehouse, "2024-04", migrated_url))
    assert march["a1"]["base"] == pytest.approx(1800)  # the warehouse's agents table
    assert april["a1"]["base"] == pytest.approx(2500)  # 30 of 30 days employed
    assert april["a2"]["base"] == pytest.approx(1800)  # no store terms: the warehouse's


def test_report_from_the_warehouse_uses_the_shops_stored_rules(
    warehouse: Path,
    migrated_url: str,  # noqa: F811 (the store fixture, imported)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jinpai.settings import get_settings
    from jinpai.store.db import make_engine, session_scope
    from jinpai.store.shops import ensure_shop

    def report(*extra: str) -> dict:
        args = ["report", "--db", str(warehouse), "--month", "2024-03", "--metrics"]
        return json.loads(cli(*args, "avg_response_s,fast_response_rate", *extra))

    jd = report("--profile", "jd")
    engine = make_engine(migrated_url)
    with session_scope(engine) as session:
        ensure_shop(session, "default", profile="jd")
    engine.dispose()
    monkeypatch.setenv("JINPAI_DATABASE_URL", migrated_url)
    get_settings.cache_clear()
    try:
        stored = report()
        typed = report("--profile", "taobao")
    finally:
        monkeypatch.delenv("JINPAI_DATABASE_URL")
        get_settings.cache_clear()
    assert stored["profile"] == "jd"
    assert stored["shop"] == jd["shop"] and stored["agents"] == jd["agents"]
    assert typed["profile"] == "taobao" and typed["shop"] != jd["shop"]


def test_terms_and_pay_settings_from_the_cli_are_paid(
    warehouse: Path,
    migrated_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = ["--db", str(warehouse), "--store-url", migrated_url]
    cli("terms", "set", "a1", "--from", "2024-03", "--allowance", "全勤奖=200",
        "--allowance", "餐补=100", "--mentor-of", "a2", *store)  # fmt: skip
    cli("pay-settings", "set", "--from", "2024-03", "--coaching-allowance", "300", *store)
    a1 = by_agent(month_json("pay", warehouse, "2024-03", migrated_url))["a1"]
    items = {i["reason"]: i["amount"] for i in a1["inputs"]["allowances"]}
    assert items == {"全勤奖": 200, "餐补": 100, "辅导补贴: 带新人 a2": 300}
    shown = json.loads(cli("terms", "show", "--month", "2024-03", "--format", "json", *store))
    mine = next(t for t in shown if t["agent_id"] == "a1")
    assert mine["allowances"] == {"全勤奖": 200, "餐补": 100} and mine["mentor_of"] == ["a2"]
    assert mine["role"] == "presale"  # taken from the warehouse roster with the first version
    # April: no allowances; the pay settings are carried over
    cli("terms", "set", "a1", "--from", "2024-04", "--no-allowances", *store)
    april = json.loads(cli("terms", "show", "--month", "2024-04", "--format", "json", *store))
    assert next(t for t in april if t["agent_id"] == "a1")["allowances"] == {}
    settings = json.loads(cli("pay-settings", "show", "--month", "2024-04", *store))
    assert settings["coaching_allowance"] == 300 and settings["mode"] == "kpi"

    pool = tmp_path / "pool.yaml"
    pool.write_text("max_deduction: 0.1\ndeductions:\n  - {metric: sales_speed, "
                    "when: below_team_average, share: 0.05}\n", encoding="utf-8")  # fmt: skip
    refused = (
        (["terms", "set", "a1", "--from", "2024-03", "--allowance", "全勤奖"], "NAME=AMOUNT"),
        (["terms", "set", "a1", "--from", "2024-03", "--mentor-of", "ghost"], "ghost"),
        (["terms", "set", "a1", "--from", "2024-03", "--commission-rate", "3"], "commission_rate"),
        (["pay-settings", "set", "--from", "2024-03", "--bonus-pool", str(pool)], "sales_speed"),
        (["pay-settings", "set", "--from", "2024-03", "--mode", "salary"], "mode"),
    )
    for args, word in refused:
        result = runner.invoke(app, [*args, *store])
        assert result.exit_code == 2 and word in result.output, (args, result.output)


def test_each_month_of_a_grade_uses_its_own_settle_days(
    warehouse: Path,
    migrated_url: str,  # noqa: F811
) -> None:
    """Grading April reads March's figures (last month's grade, the KPI history) as March was
    paid: with March's settle_days, not April's."""
    store = ["--db", str(warehouse), "--store-url", migrated_url]
    cli("pay-settings", "set", "--from", "2024-03", "--settle-days", "1", *store)
    cli("pay-settings", "set", "--from", "2024-04", "--settle-days", "9", *store)
    march = month_json("pay", warehouse, "2024-03", migrated_url)
    assert march["as_of"].startswith("2024-04-02T00:00:00")  # 03-31 + 1 day
    options = management.ManagementOptions(month="2024-04", store=migrated_url)
    with open_tables(ReportSource(db=warehouse), get_settings()) as bound:
        months = management._Months(bound, options, get_settings(), None, "default")
        assert [months.settle_days(m) for m in ("2024-02", "2024-03", "2024-04")] == [4, 1, 9]
        assert months.figures("2024-03", {"sales"}).as_of == march["as_of"]
    # the option applies to every month alike
    fixed = dataclasses.replace(options, settle_days=2)
    with open_tables(ReportSource(db=warehouse), get_settings()) as bound:
        assert (
            management._Months(bound, fixed, get_settings(), None, "default").settle_days("2024-03")
            == 2
        )
