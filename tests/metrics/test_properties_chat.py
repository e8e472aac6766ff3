"""Properties of the chat metrics on random chat data (hypothesis), plus a plain-Python oracle of
rounds written straight from metrics.md."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.report import ReportRequest, build_report
from jinpai.metrics.context import Period
from jinpai.metrics.rules import rule_settings
from tests.metrics.chat_helpers import CHAT_IDS
from tests.metrics.golden import Case, warehouse_of

START = datetime(2024, 3, 15, 7, 0)
AS_OF = datetime(2024, 3, 16, 12, 0)  # inside the data: exercises the cut and dropped rounds
RATES = ("fast_response_rate", "reply_rate")

message = st.tuples(
    st.sampled_from(["b1", "b2", "b3"]),
    st.sampled_from(["a1", "a2"]),
    st.sampled_from(["buyer", "agent"]),
    # coarse minutes over two days, so that equal timestamps happen
    st.integers(min_value=0, max_value=40 * 60 // 7).map(lambda i: i * 7),
    st.booleans(),  # is_auto (agent messages only)
)


def _case(rows: list[tuple[str, str, str, int, bool]]) -> Case:
    table = [
        [b, a, s, str(START + timedelta(minutes=m)), auto and s == "agent"]
        for b, a, s, m, auto in rows
    ]
    data = {
        "tables": {
            "messages": {
                "columns": ["buyer_id", "agent_id", "sender", "sent_at", "is_auto"],
                "rows": table,
            }
        },
        "period": {"from": "2024-03-15", "to": "2024-03-16"},
    }
    return Case(Path("random.yaml"), data)


def _report(con: duckdb.DuckDBPyConnection, profile: str = "taobao") -> dict[str, Any]:
    request = ReportRequest(
        period=Period(START.date(), AS_OF.date()),
        rules=rule_settings(profile),
        as_of=AS_OF,
        metrics=CHAT_IDS,
    )
    return build_report(bind_duckdb(con, {}, "Asia/Shanghai"), request)


def _shuffled(con: duckdb.DuckDBPyConnection, seed: int) -> duckdb.DuckDBPyConnection:
    """The same messages (each keeping its seq) stored in another order."""
    rows = con.execute("SELECT * FROM messages").fetchall()
    random.Random(seed).shuffle(rows)
    out = duckdb.connect()
    ddl = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'messages'").fetchone()
    out.execute(ddl[0])
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        out.executemany(f"INSERT INTO messages VALUES ({marks})", rows)
    return out


def _oracle(rows: list[tuple[str, str, str, int, bool]]) -> dict[str, dict[str, Any]]:
    """Per agent: counted rounds, avg_response_s, consulting and replied buyer-days (taobao)."""
    cut = AS_OF - START
    chats: dict[tuple, list] = defaultdict(list)
    for seq, (buyer, agent, sender, minute, auto) in enumerate(rows, start=1):
        at = timedelta(minutes=minute)
        if at <= cut:
            day = (START + at).date()
            chats[(agent, buyer, day)].append((at, seq, sender, auto and sender == "agent"))
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"rounds": 0, "capped": [], "consulting": 0, "replied": 0}
    )
    for (agent, _buyer, day), msgs in chats.items():
        figures = out[agent]
        opened = None
        seen_buyer = replied = False
        for at, _seq, sender, auto in sorted(msgs):
            if sender == "buyer":
                seen_buyer = True
                if opened is None:
                    opened = at
            elif not auto:
                replied = replied or seen_buyer
                if opened is not None:
                    _count_round(figures, opened, at - opened)
                    opened = None
        if opened is not None and day != AS_OF.date():
            _count_round(figures, opened, None)
        figures["consulting"] += seen_buyer
        figures["replied"] += replied
    return out


def _count_round(figures: dict[str, Any], opened: timedelta, waited: timedelta | None) -> None:
    clock = (START + opened).time()
    if 8 <= clock.hour < 23:
        figures["rounds"] += 1
        figures["capped"].append(600 if waited is None else min(waited.total_seconds(), 600))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(message, max_size=30), seed=st.integers(0, 1000))
def test_chat_properties(rows: list[tuple[str, str, str, int, bool]], seed: int) -> None:
    con = warehouse_of(_case(rows))
    report = _report(con)
    # shuffling the stored rows (each keeping its seq) changes nothing
    assert _report(_shuffled(con, seed)) == report
    shop, agents = report["shop"], report["agents"]
    assert shop["consulting_buyers"] <= sum(a["consulting_buyers"] for a in agents)
    assert shop["rounds"] == sum(a["rounds"] for a in agents)
    for figures in (shop, *agents, *report["days"]):
        for name in RATES:
            assert figures[name] is None or 0 <= figures[name] <= 1
        assert figures["avg_response_s"] is None or 0 <= figures["avg_response_s"] <= 600
        assert figures["replied_buyers"] <= figures["consulting_buyers"]
        assert figures["received_buyers"] <= figures["consulting_buyers"]
        if figures["median_response_s"] is not None:
            assert figures["median_response_s"] <= figures["p90_response_s"]
    oracle = _oracle(rows)
    for a in agents:
        want = oracle[a["agent_id"]]
        assert a["rounds"] == want["rounds"]
        assert a["consulting_buyers"] == want["consulting"]
        assert a["replied_buyers"] == want["replied"]
        capped = want["capped"]
        if capped:
            assert abs(a["avg_response_s"] - sum(capped) / len(capped)) < 1e-6
        else:
            assert a["avg_response_s"] is None


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(message, max_size=30))
def test_rates_bounded_under_every_profile(rows: list[tuple[str, str, str, int, bool]]) -> None:
    con = warehouse_of(_case(rows))
    for profile in ("pdd", "jd", "raw"):
        report = _report(con, profile)
        for figures in (report["shop"], *report["agents"]):
            for name in RATES:
                assert figures[name] is None or 0 <= figures[name] <= 1
            if profile == "pdd" and figures["avg_response_s"] is not None:
                assert figures["avg_response_s"] <= 600
