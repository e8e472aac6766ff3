"""Small in-test reports: a golden-case-shaped dict in, the report of a few metrics out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.explain import Explanation, explain
from jinpai.engine.report import build_report
from tests.metrics.golden import Case, warehouse_of


def report_of(
    data: dict[str, Any], metrics: Sequence[str], by_agent_day: bool = False
) -> dict[str, Any]:
    """The report of ``metrics`` for a case given as a dict (the tests/cases YAML layout)."""
    case = Case(Path("inline.yaml"), data)
    tables = bind_duckdb(warehouse_of(case), {}, case.timezone)
    request = case.request()
    request = replace(
        request, metrics=list(metrics), by_agent_day=by_agent_day or request.by_agent_day
    )
    return build_report(tables, request)


def explain_of(data: dict[str, Any], metric: str, agent_id: str | None = None) -> Explanation:
    """``jinpai explain``'s answer for a case given as a dict."""
    case = Case(Path("inline.yaml"), data)
    tables = bind_duckdb(warehouse_of(case), {}, case.timezone)
    return explain(tables, case.request(), metric, agent_id=agent_id)


def agent(report: dict[str, Any], agent_id: str) -> dict[str, Any]:
    return next(a for a in report["agents"] if a["agent_id"] == agent_id)


def day(report: dict[str, Any], date: str) -> dict[str, Any]:
    return next(d for d in report["days"] if d["date"] == date)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"columns": list(columns), "rows": [list(r) for r in rows]}
