"""Helpers of the chat-family tests: a case from inline YAML, run on DuckDB for chat metrics only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.report import build_report, make_context
from jinpai.metrics import chat
from jinpai.metrics.base import Level
from jinpai.metrics.context import MetricContext
from tests.metrics.golden import Case, warehouse_of

CHAT_IDS = [m.id for m in chat.METRICS]


@st.composite
def turns(draw: st.DrawFn, min_size: int, max_size: int) -> list[str]:
    """The senders of one conversation: the buyer and the agent take turns, the buyer first, and
    now and then one of them writes twice."""
    senders, turn = [], 0
    for _ in range(draw(st.integers(min_size, max_size))):
        senders.append(("buyer", "agent")[turn % 2])
        turn += draw(st.integers(0, 3)) != 3
    return senders


def case_of(text: str, **extra: Any) -> Case:
    data = yaml.safe_load(text)
    data.update(extra)
    return Case(Path("inline.yaml"), data)


def messages_case(
    rows: list[list[Any]],
    *,
    columns: tuple[str, ...] = ("buyer_id", "agent_id", "sender", "sent_at", "is_auto"),
    period: tuple[str, str] = ("2024-03-15", "2024-03-15"),
    as_of: str | None = "2024-03-16 12:00:00",
    profile: str = "taobao",
    settings: dict[str, Any] | None = None,
    tables: dict[str, Any] | None = None,
    agent_days: bool = False,
) -> Case:
    data: dict[str, Any] = {
        "tables": {"messages": {"columns": list(columns), "rows": rows}, **(tables or {})},
        "period": {"from": period[0], "to": period[1]},
        "profile": profile,
        "settings": settings or {},
        "expected": {"agent_days": {}} if agent_days else {},
    }
    if as_of is not None:
        data["as_of"] = as_of
    return Case(Path("inline.yaml"), data)


def report_of(case: Case, metrics: list[str] | None = None) -> dict[str, Any]:
    con = warehouse_of(case)
    tables = bind_duckdb(con, {}, case.timezone)
    request = dataclasses.replace(case.request(), metrics=metrics or CHAT_IDS)
    return build_report(tables, request)


def context_of(case: Case) -> MetricContext:
    con = warehouse_of(case)
    tables = bind_duckdb(con, {}, case.timezone)
    return make_context(tables, case.request())


def block_rows(case: Case, name: str, level: Level = Level.AGENT) -> list[dict[str, Any]]:
    ctx = context_of(case)
    return ctx.block(name, level).to_pyarrow().to_pylist()


def agent(report: dict[str, Any], agent_id: str) -> dict[str, Any]:
    return next(a for a in report["agents"] if a["agent_id"] == agent_id)
