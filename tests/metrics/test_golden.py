"""Every golden case (tests/cases/*.yaml) on DuckDB and on PySpark, and the two engines' parity.

``pytest -m spark`` runs the Spark part alone; ``-m "not spark"`` skips it.
"""

from __future__ import annotations

import math
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jinpai.metrics.base import Formula
from jinpai.metrics.catalogue import CATALOGUE
from tests.metrics.golden import (
    Case,
    all_cases,
    expected_metrics,
    mismatches,
    run_duckdb,
    run_spark,
)

CASES = all_cases()
IDS = [c.path.stem for c in CASES]
# cases whose parity is also checked over the whole catalogue (the other cases: their own metrics)
FULL_PARITY = ("chat_worked_example", "conversion_worked_example", "multi_shop_separate")
FULL_CASES = [c for c in CASES if c.path.stem in FULL_PARITY]
# Spark reports run concurrently: a golden case is ~80 tiny jobs, mostly driver latency
SPARK_THREADS = 2

Key = tuple[str, bool]  # (case stem, whole catalogue?)


def _failure(case: Case, lines: list[str], engine: str) -> str:
    return f"{case.name} ({case.path.name}) on {engine}:\n  " + "\n  ".join(lines)


def _metrics(case: Case, full: bool) -> tuple[str, ...] | None:
    return None if full else expected_metrics(case)


@pytest.fixture(scope="module")
def spark_reports(request: pytest.FixtureRequest, spark: Any) -> dict[Key, Any]:
    """The Spark report of every selected Spark test's case, computed up front in threads (one
    session); a failed run is kept as its exception and raised by the tests that need it."""
    by_stem = {c.path.stem: c for c in CASES}
    wanted: set[Key] = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is not sys.modules[__name__] or callspec is None:
            continue
        if item.get_closest_marker("spark") is not None:
            wanted.add((callspec.params["case"].path.stem, item.name.startswith("test_full")))

    def run(key: Key) -> Any:
        case = by_stem[key[0]]
        try:
            return run_spark(case, spark, metrics=_metrics(case, key[1]))
        except Exception as err:
            return err

    with ThreadPoolExecutor(SPARK_THREADS) as pool:
        keys = sorted(wanted)
        return dict(zip(keys, pool.map(run, keys), strict=True))


def _spark_report(reports: dict[Key, Any], case: Case, full: bool) -> dict[str, Any]:
    report = reports[(case.path.stem, full)]
    if isinstance(report, Exception):
        raise report
    return report


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_golden_duckdb(case: Case) -> None:
    lines = mismatches(case, run_duckdb(case))
    assert lines == [], _failure(case, lines, "DuckDB")


# cases that check a formula (aov_index reads the shop's aov beside the agent's)
FORMULA_CASES = [
    c for c in CASES if any(isinstance(CATALOGUE[m], Formula) for m in expected_metrics(c))
]


@pytest.mark.parametrize("case", FORMULA_CASES, ids=[c.path.stem for c in FORMULA_CASES])
def test_golden_duckdb_own_metrics(case: Case) -> None:
    """The case's figures when the report asks for its metrics only: a formula needs no input
    asked for beside it, for the agent or for the shop."""
    lines = mismatches(case, run_duckdb(case, metrics=expected_metrics(case)))
    assert lines == [], _failure(case, lines, "DuckDB, the case's metrics only")


@pytest.mark.spark
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_golden_spark(case: Case, spark_reports: dict[Key, Any]) -> None:
    """The case's expected figures on Spark (its report restricted to the metrics it checks)."""
    lines = mismatches(case, _spark_report(spark_reports, case, full=False))
    assert lines == [], _failure(case, lines, "Spark")


@pytest.mark.spark
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_engine_parity(case: Case, spark_reports: dict[Key, Any]) -> None:
    """Every figure of the case's report (its metrics, every shop, agent and day) is equal on
    both engines."""
    duck = run_duckdb(case, metrics=expected_metrics(case))
    lines = differences(duck, _spark_report(spark_reports, case, full=False))
    assert lines == [], _failure(case, lines, "DuckDB vs Spark")


@pytest.mark.spark
@pytest.mark.parametrize("case", FULL_CASES, ids=[c.path.stem for c in FULL_CASES])
def test_full_catalogue_parity(case: Case, spark_reports: dict[Key, Any]) -> None:
    """The whole catalogue on both engines, every figure equal."""
    lines = differences(run_duckdb(case), _spark_report(spark_reports, case, full=True))
    assert lines == [], _failure(case, lines, "DuckDB vs Spark, whole catalogue")


def differences(duck: Any, spark: Any, where: str = "report") -> list[str]:
    """Where two reports differ (numbers to 1e-9 relative), as readable lines."""
    if isinstance(duck, dict) and isinstance(spark, dict):
        out = [f"{where}.{k}: only on DuckDB ({duck[k]!r})" for k in duck.keys() - spark.keys()]
        out += [f"{where}.{k}: only on Spark ({spark[k]!r})" for k in spark.keys() - duck.keys()]
        for key in sorted(duck.keys() & spark.keys(), key=str):
            out += differences(duck[key], spark[key], f"{where}.{key}")
        return out
    if isinstance(duck, list) and isinstance(spark, list):
        if len(duck) != len(spark):
            return [f"{where}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"]
        out = []
        for i, (a, b) in enumerate(zip(duck, spark, strict=True)):
            out += differences(a, b, f"{where}[{_row_name(a, i)}]")
        return out
    if _number(duck) and _number(spark):
        if math.isclose(float(duck), float(spark), rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif duck == spark and type(duck) is type(spark):
        return []
    return [f"{where}: DuckDB {duck!r}, Spark {spark!r}"]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _row_name(row: Any, index: int) -> str:
    if isinstance(row, dict):
        parts = [str(row[k]) for k in ("agent_id", "date") if k in row]
        if parts:
            return " ".join(parts)
    return str(index)
