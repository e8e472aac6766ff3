"""A report over shops in different time zones: each shop's days, as_of's day included, are its
own (data.md: days in every report are shop-local). The tables are written in UTC; the shop
"sh" keeps Shanghai time (UTC+8) and "ny" New York time (UTC-4 in March after the 10th)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.report import build_report
from tests.metrics.golden import Case, warehouse_of

ZONES = {"sh": "Asia/Shanghai", "ny": "America/New_York"}
ORDER_COLUMNS = ["shop_id", "order_id", "buyer_id", "created_at", "paid_at", "amount"]


MESSAGE_COLUMNS = ["shop_id", "buyer_id", "agent_id", "sender", "sent_at"]


def report(
    period: tuple[str, str], as_of: str, messages: list, orders: list, metrics: list[str]
) -> dict[str, dict[str, Any]]:
    """Each shop's figures (times in UTC), the report's own timezone being Shanghai's."""
    data = {
        "timezone": "UTC",
        "period": {"from": period[0], "to": period[1]},
        "as_of": as_of,
        "tables": {
            "messages": {"columns": MESSAGE_COLUMNS, "rows": messages},
            "orders": {"columns": ORDER_COLUMNS, "rows": orders},
        },
    }
    case = Case(Path("inline.yaml"), data)
    tables = bind_duckdb(warehouse_of(case), ZONES, "Asia/Shanghai")
    request = replace(case.request(), metrics=metrics, timezone="Asia/Shanghai", timezones=ZONES)
    return {s["shop_id"]: s for s in build_report(tables, request)["shops"]}


def test_a_round_open_at_as_of_is_dropped_on_its_own_shops_as_of_day() -> None:
    # as_of 03-15 18:00 UTC: 03-16 02:00 in Shanghai, 03-15 14:00 in New York
    messages = [
        # ny: b1 writes at 13:00 New York time on 03-15 and is not answered by as_of
        ["ny", "b1", "a1", "buyer", "2024-03-15 17:00:00"],
        # sh: b2 writes at 10:00 Shanghai time on 03-15 and is answered a minute later
        ["sh", "b2", "a2", "buyer", "2024-03-15 02:00:00"],
        ["sh", "b2", "a2", "agent", "2024-03-15 02:01:00"],
    ]
    shops = report(
        ("2024-03-15", "2024-03-15"),
        "2024-03-15 18:00:00+00:00",
        messages,
        [],
        ["consulting_buyers", "rounds"],
    )
    # ny's round is open on ny's as_of day: it may still be answered, so it does not exist yet
    # (read on Shanghai's day, 03-16, it would be an unanswered round of a past day)
    assert (shops["ny"]["consulting_buyers"], shops["ny"]["rounds"]) == (1, 0)
    assert (shops["sh"]["consulting_buyers"], shops["sh"]["rounds"]) == (1, 1)


def test_a_retention_window_is_complete_by_its_own_shops_as_of_day() -> None:
    # as_of 03-15 02:00 UTC: 03-15 10:00 in Shanghai, 03-14 22:00 in New York
    orders = [
        # each shop's buyer first buys on 03-07, local time
        ["ny", "o1", "b1", "2024-03-07 15:00:00", "2024-03-07 15:05:00", 10],
        ["sh", "o2", "b2", "2024-03-07 02:00:00", "2024-03-07 02:05:00", 10],
    ]
    shops = report(
        ("2024-03-01", "2024-03-31"),
        "2024-03-15 02:00:00+00:00",
        [],
        orders,
        ["new_customer_retention_nd"],
    )
    # retention 7 days: the window (03-07, 03-14] is complete once 03-14 has ended, which it has
    # in Shanghai (b2 did not come back: 0/1) but not yet in New York (no complete window)
    assert shops["sh"]["new_customer_retention_nd"] == 0
    assert shops["ny"]["new_customer_retention_nd"] is None
