"""Properties of the chat metrics on random chat data (hypothesis), plus a plain-Python reading of
metrics.md (Chat metrics), chat-day by chat-day, of every chat figure of the shop and each agent."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.report import ReportRequest, build_report
from jinpai.metrics.context import Period
from jinpai.metrics.rules import rule_settings
from tests.metrics.chat_helpers import CHAT_IDS, turns
from tests.metrics.golden import Case, ratio, warehouse_of

START = datetime(2024, 3, 15, 7, 0)
AS_OF = datetime(2024, 3, 16, 12, 0)  # inside the data: exercises the cut and dropped rounds
RATES = ("fast_response_rate", "reply_rate")
PROFILES = ("taobao", "pdd", "jd", "raw")

message = st.tuples(
    st.sampled_from(["b1", "b2", "b3"]),
    st.sampled_from(["a1", "a2"]),
    st.sampled_from(["buyer", "agent"]),
    # seconds on a coarse 6-minute grid over two days, so that equal timestamps happen and
    # rounds begin on the service hours' edges (08:00, 09:00, 23:00)
    st.integers(min_value=0, max_value=40 * 60 // 6).map(lambda i: i * 360),
    st.booleans(),  # is_auto (agent messages only)
)
# gaps inside a conversation: the same instant, and either side of the profiles' thresholds:
# fast_response_s (30, 180), slow_response_s (100), round_cap_s (600), reply_within_s (3600)
GAPS = st.sampled_from([0, 30, 31, 100, 101, 180, 181, 600, 601, 3600, 3601])


@st.composite
def chat_rows(draw: st.DrawFn) -> list[tuple[str, str, str, int, bool]]:
    """Conversations (a buyer and an agent writing one after the other, gaps on the settings'
    edges, now and then a transfer to the other agent) among loose messages, in random row
    order."""
    rows = draw(st.lists(message, max_size=8))
    for _ in range(draw(st.integers(1, 6))):
        buyer, agent = (
            draw(st.sampled_from(["b1", "b2", "b3"])),
            draw(st.sampled_from(["a1", "a2"])),
        )
        second = draw(st.integers(0, 40 * 60 // 6)) * 360
        for sender in draw(turns(2, 6)):
            second += draw(GAPS)
            if draw(st.integers(0, 5)) == 5:  # the buyer is passed to the other agent
                agent = "a2" if agent == "a1" else "a1"
            rows.append((buyer, agent, sender, second, draw(st.integers(0, 3)) == 3))
    return draw(st.permutations(rows))


def _case(rows: list[tuple[str, str, str, int, bool]]) -> Case:
    table = [
        [b, a, s, str(START + timedelta(seconds=m)), auto and s == "agent"]
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


Stamp = tuple[datetime, int]  # (sent_at, seq): the order of messages of equal sent_at


@dataclass
class ChatDay:
    """One (agent, buyer, day) read message by message: its rounds, each (begin, reply or None,
    dropped: still open at as_of on the as_of day), and its message-level facts."""

    agent: str
    buyer: str
    day: date
    rounds: list[tuple[Stamp, Stamp | None, bool]] = field(default_factory=list)
    wrote: list[Stamp] = field(default_factory=list)  # the buyer's messages
    agent_messages: int = 0  # valid (not auto)
    replied: bool = False
    first_response: float | None = None
    span: float = 0.0  # last minus first message, auto replies included


def _chat_days(rows: list[tuple[str, str, str, int, bool]]) -> list[ChatDay]:
    chats: dict[tuple, list] = defaultdict(list)
    for seq, (buyer, agent, sender, second, auto) in enumerate(rows, start=1):
        at = START + timedelta(seconds=second)
        if at <= AS_OF:  # nothing after as_of exists
            chats[(agent, buyer, at.date())].append(((at, seq), sender, auto and sender == "agent"))
    out = []
    for (agent, buyer, day), msgs in chats.items():
        c = ChatDay(agent, buyer, day)
        msgs.sort()
        c.span = (msgs[-1][0][0] - msgs[0][0][0]).total_seconds()
        opened = None
        for stamp, sender, auto in msgs:
            if sender == "buyer":
                c.wrote.append(stamp)
                opened = opened or stamp
            elif not auto:
                c.agent_messages += 1
                if c.wrote and not c.replied:  # the first valid reply after a buyer message
                    c.replied = True
                    c.first_response = (stamp[0] - c.wrote[0][0]).total_seconds()
                if opened is not None:
                    c.rounds.append((opened, stamp, False))
                    opened = None
        if opened is not None:
            c.rounds.append((opened, None, day == AS_OF.date()))
        out.append(c)
    return out


def _figures(days: list[ChatDay], rules: Any) -> dict[str, Any]:
    """The chat figures of ``days`` (one agent's, or the shop's) as metrics.md reads them."""
    cap, fast, slow = rules.round_cap_s, rules.fast_response_s, rules.slow_response_s
    within, (start, end) = rules.reply_within_s, rules.service_hours

    def seconds(r: tuple[Stamp, Stamp | None, bool]) -> float | None:
        return None if r[1] is None else (r[1][0] - r[0][0]).total_seconds()

    def is_slow(c: ChatDay) -> bool:
        return any(seconds(r) is None or seconds(r) > slow for r in counted(c))  # type: ignore[operator]

    def in_hours(r: tuple[Stamp, Stamp | None, bool]) -> bool:
        clock = r[0][0].time()
        return start <= clock and (end is None or clock < end)

    def counted(c: ChatDay) -> list[tuple[Stamp, Stamp | None, bool]]:
        return [r for r in c.rounds if not r[2] and in_hours(r)]

    def replied(chat_days: list[ChatDay]) -> bool:  # one buyer-day's chat-days
        return any(c.replied for c in chat_days) and (
            within is None
            or all(
                seconds(r) is not None and seconds(r) <= within
                for c in chat_days
                for r in counted(c)
            )
        )

    def is_received(c: ChatDay) -> bool:  # the buyer wrote and an agent wrote back
        return bool(c.wrote) and c.agent_messages > 0

    def buyer_days(test: Any) -> int:  # a buyer-day qualifies when any of its chat-days does
        return len({(c.buyer, c.day) for c in days if test(c)})

    def mean(values: list[float]) -> float | None:
        return ratio(sum(values), len(values))

    rounds = [r for c in days for r in counted(c)]
    answered = sorted(seconds(r) for r in rounds if r[1] is not None)
    consulting = buyer_days(lambda c: c.wrote)
    by_buyer_day: dict[tuple[str, date], list[ChatDay]] = defaultdict(list)
    for c in days:
        by_buyer_day[(c.buyer, c.day)].append(c)
    replied_days = sum(map(replied, by_buyer_day.values()))
    buyer_messages = sum(len(c.wrote) for c in days)
    received = [c for c in days if is_received(c)]
    return {
        "consulting_buyers": consulting,
        "received_buyers": buyer_days(is_received),
        "rounds": len(rounds),
        "avg_response_s": mean(
            answered
            if cap is None
            else [cap if r[1] is None else min(seconds(r), cap) for r in rounds]
        ),
        "first_response_s": mean([c.first_response for c in days if c.replied]),
        "median_response_s": float(np.percentile(answered, 50)) if answered else None,
        "p90_response_s": float(np.percentile(answered, 90)) if answered else None,
        "fast_response_rate": ratio(
            sum(r[1] is not None and seconds(r) <= fast for r in rounds), len(rounds)
        ),
        "slow_buyers": buyer_days(is_slow),
        "replied_buyers": replied_days,
        "reply_rate": ratio(replied_days, consulting),
        "unreplied_buyers": consulting - replied_days,
        "answer_ratio": ratio(sum(c.agent_messages for c in days), buyer_messages),
        "avg_reception_s": mean([c.span for c in received]),
    }


def _transferred(days: list[ChatDay]) -> set[tuple[str, str, date]]:
    """Chat-days with a round (dropped ones too) still open when the buyer wrote to another
    agent the same day."""
    return {
        (c.agent, c.buyer, c.day)
        for c in days
        for other in days
        if (other.buyer, other.day) == (c.buyer, c.day) and other.agent != c.agent
        for stamp in other.wrote
        for begin, reply, _dropped in c.rounds
        if begin < stamp and (reply is None or stamp < reply)
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=chat_rows(), seed=st.integers(0, 1000), profile=st.sampled_from(PROFILES))
def test_chat_properties(
    rows: list[tuple[str, str, str, int, bool]], seed: int, profile: str
) -> None:
    con = warehouse_of(_case(rows))
    report = _report(con, profile)
    # shuffling the stored rows (each keeping its seq) changes nothing
    assert _report(_shuffled(con, seed), profile) == report
    rules = rule_settings(profile)
    shop, agents = report["shop"], report["agents"]
    assert shop["consulting_buyers"] <= sum(a["consulting_buyers"] for a in agents)
    assert shop["rounds"] == sum(a["rounds"] for a in agents)
    for figures in (shop, *agents, *report["days"]):
        for name in RATES:
            assert figures[name] is None or 0 <= figures[name] <= 1
        if rules.round_cap_s is not None and figures["avg_response_s"] is not None:
            assert 0 <= figures["avg_response_s"] <= rules.round_cap_s
        assert figures["replied_buyers"] <= figures["consulting_buyers"]
        assert figures["received_buyers"] <= figures["consulting_buyers"]
        if figures["median_response_s"] is not None:
            assert figures["median_response_s"] <= figures["p90_response_s"]
    days = _chat_days(rows)
    moved = _transferred(days)
    want = _figures(days, rules)
    assert {k: shop[k] for k in want} == pytest.approx(want)
    for a in agents:
        mine = [c for c in days if c.agent == a["agent_id"]]
        want = _figures(mine, rules)
        want["transfers_out"] = sum((c.agent, c.buyer, c.day) in moved for c in mine)
        assert {k: a[k] for k in want} == pytest.approx(want), a["agent_id"]
    for row in report["days"]:
        want = _figures([c for c in days if c.day.isoformat() == row["date"]], rules)
        assert {k: row[k] for k in want} == pytest.approx(want), row["date"]
