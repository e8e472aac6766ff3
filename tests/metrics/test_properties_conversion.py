"""Properties of the conversion family over random small shops (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.report import build_report
from jinpai.metrics import conversion
from jinpai.metrics.base import Unit
from tests.metrics.golden import warehouse_of
from tests.metrics.test_conversion import make_case

IDS = [m.id for m in conversion.METRICS]
RATES = [m.id for m in conversion.METRICS if m.unit is Unit.RATE]
START = datetime(2024, 3, 14)
PERIOD = ("2024-03-14", "2024-03-17")
# half hours over five days: coarse enough for equal timestamps to happen
STEP = timedelta(minutes=30)
SLOTS = 5 * 48

PROPERTY = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def at(slot: int) -> str:
    return (START + slot * STEP).isoformat(sep=" ")


messages_st = st.lists(
    st.tuples(
        st.sampled_from(["b1", "b2", "b3"]),
        st.sampled_from(["a1", "a2"]),
        st.sampled_from(["buyer", "buyer", "agent", "agent"]),
        st.integers(0, SLOTS - 1),
        st.sampled_from([False, False, False, True]),
    ).map(lambda m: [m[0], m[1], m[2], at(m[3]), m[4] and m[2] == "agent"]),
    max_size=30,
)


@st.composite
def orders_st(draw: st.DrawFn) -> list[list[Any]]:
    rows = []
    for i in range(draw(st.integers(0, 6))):
        created = draw(st.integers(0, SLOTS - 1))
        paid = draw(st.none() | st.integers(created, SLOTS + 10))
        amount = draw(st.integers(0, 500))
        refund = draw(st.sampled_from([0, 0, amount // 2, amount]))
        rows.append(
            [
                f"o{i}",
                draw(st.sampled_from(["b1", "b2", "b3"])),
                at(created),
                None if paid is None else at(paid),
                amount,
                refund,
                draw(st.integers(1, 3)),
                draw(st.booleans()) and draw(st.booleans()),
            ]
        )
    return rows


def run(
    messages: list[list[Any]],
    orders: list[list[Any]],
    as_of: str = "2024-03-19 00:00:00",
    profile: str = "taobao",
    shuffle_seed: int | None = None,
) -> dict[str, Any]:
    case = make_case(messages, orders, *PERIOD, as_of=as_of, profile=profile)
    con = warehouse_of(case)
    if shuffle_seed is not None:
        _shuffle(con, shuffle_seed)
    tables = bind_duckdb(con, {}, case.timezone)
    return build_report(tables, replace(case.request(), metrics=IDS))


def _shuffle(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Store the rows in another physical order, each keeping its sequence number."""
    for name in ("messages", "orders"):
        con.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name} "
            f"ORDER BY hash(seq + {seed}), seq"
        )


def _rows(rep: dict[str, Any]) -> list[dict[str, Any]]:
    return [rep["shop"], *rep["agents"], *rep["days"]]


@PROPERTY
@given(messages_st, orders_st(), st.integers(1, 10**6), st.sampled_from(["taobao", "pdd"]))
def test_row_order_changes_nothing(
    messages: list[list[Any]], orders: list[list[Any]], seed: int, profile: str
) -> None:
    assert run(messages, orders, profile=profile) == run(
        messages, orders, profile=profile, shuffle_seed=seed
    )


@PROPERTY
@given(messages_st, orders_st(), st.sampled_from(["taobao", "pdd", "raw"]))
def test_shop_and_agents_are_consistent_and_rates_are_fractions(
    messages: list[list[Any]], orders: list[list[Any]], profile: str
) -> None:
    rep = run(messages, orders, profile=profile)
    shop, agents = rep["shop"], rep["agents"]
    assert shop["inquiries"] <= sum(a.get("inquiries", 0) for a in agents)
    # every inquiry order is credited to exactly one agent
    assert abs(shop["sales"] - sum(a.get("sales", 0) for a in agents)) < 1e-6
    assert sum(a.get("orders_created", 0) for a in agents) <= shop["orders_created"]
    for row in _rows(rep):
        for metric in RATES:
            value = row.get(metric)
            assert value is None or 0 <= value <= 1, (metric, value, row)
        assert row["paying_buyers"] <= row["ordering_buyers"] <= row["inquiries"]
        assert row["next_day_paying_buyers"] <= row["paying_buyers"]
    for metric in ("inquiries", "sales", "orders_created", "orders_paid", "paid_sales"):
        assert abs(shop[metric] - sum(d[metric] for d in rep["days"])) < 1e-6, metric


@PROPERTY
@given(messages_st, orders_st(), st.integers(0, SLOTS), st.integers(1, 48))
def test_a_later_as_of_never_lowers_paying_buyers(
    messages: list[list[Any]], orders: list[list[Any]], cut: int, more: int
) -> None:
    early = run(messages, orders, as_of=at(cut))
    late = run(messages, orders, as_of=at(cut + more))
    assert late["shop"]["paying_buyers"] >= early["shop"]["paying_buyers"]
    late_agents = {a["agent_id"]: a for a in late["agents"]}
    for a in early["agents"]:
        assert late_agents[a["agent_id"]]["paying_buyers"] >= a["paying_buyers"]
    late_days = {d["date"]: d for d in late["days"]}
    for d in early["days"]:
        assert late_days[d["date"]]["paying_buyers"] >= d["paying_buyers"]
