"""`jinpai report`: the JSON contract of architecture.md, the options, and errors (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from jinpai.cli import app
from jinpai.metrics.catalogue import CATALOGUE
from tests.surface_data import AS_OF, PERIOD, report_args, write_shop_folder

runner = CliRunner()


def run(args: list[str]) -> tuple[int, str, str]:
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.output


def report_json(args: list[str]) -> dict:
    code, stdout, output = run(args)
    assert code == 0, output
    assert "NaN" not in stdout
    return json.loads(stdout)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop_folder(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
def full(folder: Path) -> dict:
    """The whole catalogue over the fixture period (run once: it is the slow one)."""
    return report_json(report_args(folder, "--format", "json"))


def by_agent(report: dict) -> dict[str, dict]:
    return {row["agent_id"]: row for row in report["agents"]}


def test_json_contract(full: dict) -> None:
    assert full["period"] == {"from": PERIOD[0], "to": PERIOD[1]}
    assert full["as_of"].startswith(AS_OF)
    assert full["profile"] == "taobao"
    assert set(CATALOGUE) <= set(full["shop"])
    assert [d["date"] for d in full["days"]] == ["2024-03-15", "2024-03-16", "2024-03-17"]
    assert "agent_days" not in full


def test_agents_include_roster_agent_without_activity(full: dict) -> None:
    agents = by_agent(full)
    assert set(agents) == {"a1", "a2", "a3"}
    assert agents["a3"]["online_days"] == 0
    assert agents["a1"]["online_days"] == 1
    assert full["shop"]["online_days"] == 2


def test_values_are_exact_and_undefined_is_null(full: dict) -> None:
    a1, a3 = by_agent(full)["a1"], by_agent(full)["a3"]
    # 4 valid agent messages / 6 buyer messages, not rounded
    assert a1["answer_ratio"] == 4 / 6
    # no inquiry at all: a ratio over 0 is null, never 0
    assert a3["inquiry_conversion"] is None
    assert by_agent(full)["a2"]["sales"] == 300


def test_by_agent_day(folder: Path) -> None:
    report = report_json(
        report_args(folder, "--metrics", "online_days", "--by", "agent-day", "--format", "json")
    )
    rows = {(r["agent_id"], r["date"]): r for r in report["agent_days"]}
    assert rows[("a1", "2024-03-15")]["online_days"] == 1
    assert rows[("a2", "2024-03-16")]["online_days"] == 1


def test_metrics_subset(folder: Path) -> None:
    report = report_json(report_args(folder, "--metrics", "online_days, inquiries"))
    assert set(report["shop"]) == {"online_days", "inquiries"}
    assert all(
        set(a) == {"shop_id", "agent_id", "online_days", "inquiries"} for a in report["agents"]
    )


def test_profile_and_settings_file(folder: Path, tmp_path: Path) -> None:
    pdd = report_json(report_args(folder, "--metrics", "online_days", "--profile", "pdd"))
    assert pdd["profile"] == "pdd"
    settings = tmp_path / "rules.yaml"
    settings.write_text("profile: jd\nround_cap_s: 300\n", encoding="utf-8")
    jd = report_json(report_args(folder, "--metrics", "online_days", "--settings", str(settings)))
    assert jd["profile"] == "jd"


def test_month(folder: Path) -> None:
    args = ["report", "--data", str(folder), "--month", "2024-03", "--metrics", "online_days"]
    report = report_json(args)
    assert report["period"] == {"from": "2024-03-01", "to": "2024-03-31"}
    assert len(report["days"]) == 31
    # as_of defaults to the latest event: o1's payment
    assert report["as_of"].startswith("2024-03-17T08:00:00")


def test_db_reports_as_data_does(folder: Path, tmp_path: Path) -> None:
    from jinpai.warehouse import open_memory_warehouse_from_folder

    path = tmp_path / "warehouse.duckdb"
    con = open_memory_warehouse_from_folder(folder, timezone="Asia/Shanghai")
    con.execute(f"ATTACH '{path}' AS target")
    con.execute("COPY FROM DATABASE memory TO target")
    con.close()
    extra = ("--metrics", "online_days,inquiries,sales,avg_response_s", "--by", "agent-day")
    from_data = report_json(report_args(folder, *extra))
    args = report_args(folder, *extra)
    args[args.index("--data") : args.index("--data") + 2] = ["--db", str(path)]
    assert report_json(args) == from_data
    # the warehouse was opened read-only: still readable by a writer afterwards
    duckdb.connect(str(path)).close()


def test_table_format(folder: Path) -> None:
    code, stdout, output = run(
        report_args(folder, "--metrics", "online_days,reply_rate", "--format", "table")
    )
    assert code == 0, output
    assert "店铺汇总" in stdout and "上班天数" in stdout and "回复率" in stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "2024-13-01", "--to", "2024-03-17"], "bad --from"),
        (["--from", "2024-03-17", "--to", "2024-03-15"], "before it starts"),
        (["--from", "2024-03-15"], "give the period"),
        (["--month", "2024-3x"], "bad month"),
        (["--month", "2024-03", "--from", "2024-03-01"], "not both"),
        (["--month", "2024-03", "--metrics", "no_such_metric"], "unknown metric"),
        (["--month", "2024-03", "--profile", "amazon"], "unknown rule profile"),
        (["--month", "2024-03", "--as-of", "yesterday"], "bad --as-of"),
        (["--month", "2024-03", "--format", "pdf"], "unknown --format"),
        (["--month", "2024-03", "--by", "hour"], "unknown --by"),
        (["--month", "2024-03", "--settings", "missing.yaml"], "no settings file"),
        (["--month", "2024-03", "--shop", "nowhere"], "no shop"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(folder: Path, extra: list[str], message: str) -> None:
    code, _, output = run(["report", "--data", str(folder), *extra])
    assert code == 2, output
    assert message in output
    assert "Traceback" not in output


def test_missing_folder_and_warehouse(tmp_path: Path) -> None:
    for args in (
        ["report", "--data", str(tmp_path / "nope"), "--month", "2024-03"],
        ["report", "--db", str(tmp_path / "nope.duckdb"), "--month", "2024-03"],
        ["report", "--data", str(tmp_path), "--month", "2024-03"],  # no messages/orders
    ):
        code, _, output = run(args)
        assert code == 2, output
        assert output.startswith("error:"), output
        assert "Traceback" not in output


SPARK_METRICS = ("avg_response_s", "answer_ratio", "inquiries", "paying_buyers", "sales")


@pytest.mark.spark
def test_spark_engine_reports_the_same_figures(folder: Path, full: dict) -> None:
    spark = report_json(
        report_args(folder, "--engine", "spark", "--metrics", ",".join(SPARK_METRICS))
    )
    assert spark["as_of"] == full["as_of"]

    def same(a: float | None, b: float | None) -> bool:
        return a == b if a is None or b is None else a == pytest.approx(b, rel=1e-9)

    assert set(by_agent(spark)) == set(by_agent(full))
    for metric in SPARK_METRICS:
        assert same(spark["shop"][metric], full["shop"][metric]), metric
        for agent, row in by_agent(spark).items():
            assert same(row[metric], by_agent(full)[agent][metric]), (agent, metric)


def test_unknown_engine_is_a_clear_error(folder: Path) -> None:
    code, _, output = run(report_args(folder, "--engine", "presto"))
    assert code == 2
    assert "unknown engine" in output
