"""Team and time: hourly_load, off_hours_inquiries, online_days (metrics.md, Team and time)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.family_report import agent, day, report_of, table

IDS = ["hourly_load", "off_hours_inquiries", "online_days"]

# 2024-03-15 is a Friday (isoweekday 5), 03-16 a Saturday (6)
MESSAGES = [
    ["b1", "a1", "buyer", "2024-03-15 10:00:00", False],
    ["b1", "a1", "agent", "2024-03-15 10:00:05", True],  # auto: neither ends a round nor counts
    ["b1", "a1", "agent", "2024-03-15 10:01:00", False],
    ["b1", "a1", "buyer", "2024-03-15 10:30:00", False],
    ["b1", "a1", "agent", "2024-03-15 10:31:00", False],
    ["b2", "a2", "buyer", "2024-03-15 07:30:00", False],  # t0 before service hours
    ["b2", "a2", "agent", "2024-03-15 08:05:00", False],
    ["b2", "a1", "buyer", "2024-03-15 09:00:00", False],  # same buyer-day, another agent
    ["b2", "a1", "agent", "2024-03-15 09:02:00", False],
    ["b3", "a1", "buyer", "2024-03-16 23:10:00", False],
    ["b3", "a1", "agent", "2024-03-16 23:12:00", False],
]
ORDERS = [
    ["o1", "b1", "2024-03-15 11:00:00", "2024-03-15 11:05:00", 100],
    ["o3", "b3", "2024-03-16 23:30:00", "2024-03-16 23:40:00", 100],
]


def case(messages: list[list[Any]], shifts: list[list[Any]] | None = None) -> dict[str, Any]:
    tables = {
        "messages": table(["buyer_id", "agent_id", "sender", "sent_at", "is_auto"], messages),
        "orders": table(["order_id", "buyer_id", "created_at", "paid_at", "amount"], ORDERS),
    }
    if shifts is not None:
        tables["shifts"] = table(["agent_id", "starts_at", "ends_at"], shifts)
    return {
        "period": {"from": "2024-03-15", "to": "2024-03-16"},
        "as_of": "2024-03-20 00:00:00",
        "tables": tables,
    }


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return report_of(case(MESSAGES), IDS)


def test_hourly_load(report: dict[str, Any]) -> None:
    assert report["shop"]["hourly_load"] == {
        "5-07": {"inquiries": 1, "rounds": 0},  # b2's t0; the 07:30 round is not counted
        "5-09": {"inquiries": 0, "rounds": 1},  # b2's round with a1
        "5-10": {"inquiries": 1, "rounds": 2},
        "6-23": {"inquiries": 1, "rounds": 0},  # 23:10 is outside 08:00-23:00
    }
    assert day(report, "2024-03-16")["hourly_load"] == {"6-23": {"inquiries": 1, "rounds": 0}}
    assert all("hourly_load" not in a for a in report["agents"])  # shop only


def test_off_hours_by_service_hours(report: dict[str, Any]) -> None:
    assert report["shop"]["off_hours_inquiries"] == {
        "off_hours": {"inquiries": 2, "paying_buyers": 1, "inquiry_to_payment": 0.5},
        "staffed": {"inquiries": 1, "paying_buyers": 1, "inquiry_to_payment": 1.0},
    }
    assert day(report, "2024-03-16")["off_hours_inquiries"]["staffed"] == {
        "inquiries": 0,
        "paying_buyers": 0,
        "inquiry_to_payment": None,
    }


def test_off_hours_by_shifts() -> None:
    shifts = [
        ["a1", "2024-03-15 07:00:00", "2024-03-15 12:00:00"],
        ["a2", "2024-03-16 20:00:00", "2024-03-16 23:10:00"],  # ends as b3 writes: not covered
    ]
    shop = report_of(case(MESSAGES, shifts), IDS)["shop"]
    assert shop["off_hours_inquiries"] == {
        "off_hours": {"inquiries": 1, "paying_buyers": 1, "inquiry_to_payment": 1.0},
        "staffed": {"inquiries": 2, "paying_buyers": 1, "inquiry_to_payment": 0.5},
    }


def test_online_days(report: dict[str, Any]) -> None:
    assert agent(report, "a1")["online_days"] == 2
    assert agent(report, "a2")["online_days"] == 1
    assert report["shop"]["online_days"] == 2


@st.composite
def _messages(draw: st.DrawFn) -> list[list[Any]]:
    minutes = draw(st.lists(st.integers(0, 2 * 24 * 60 - 1), min_size=1, max_size=20, unique=True))
    rows = []
    for m in minutes:
        stamp = f"2024-03-{15 + m // 1440} {m % 1440 // 60:02d}:{m % 60:02d}:00"
        who = draw(st.sampled_from(["buyer", "agent"]))
        rows.append(
            [
                draw(st.sampled_from(["b1", "b2", "b3"])),
                draw(st.sampled_from(["a1", "a2"])),
                who,
                stamp,
                who == "agent" and draw(st.integers(0, 3)) == 0,  # an auto reply
            ]
        )
    return rows


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_messages(), st.randoms(use_true_random=False))
def test_bounded_order_free_and_one_with_the_other_families(
    messages: list[list[Any]], rnd: random.Random
) -> None:
    """The team figures split the chat and conversion families' own figures, never count anew:
    hourly_load sums to inquiries and rounds, off_hours_inquiries to inquiries and paying_buyers;
    online_days are the days an agent sent a message that is not an auto reply."""
    shared = ["inquiries", "paying_buyers", "rounds"]
    report = report_of(case(messages), [*IDS, *shared])
    for row in [report["shop"], *report["days"]]:
        load = row["hourly_load"].values()
        assert sum(s["inquiries"] for s in load) == row["inquiries"]
        assert sum(s["rounds"] for s in load) == row["rounds"]
        split = row["off_hours_inquiries"].values()
        assert sum(p["inquiries"] for p in split) == row["inquiries"]
        assert sum(p["paying_buyers"] for p in split) == row["paying_buyers"]
        for part in split:
            rate = part["inquiry_to_payment"]
            assert rate is None or 0 <= rate <= 1
    online: dict[str, set[str]] = {}
    for _buyer, agent_id, sender, stamp, auto in messages:
        if sender == "agent" and not auto:
            online.setdefault(agent_id, set()).add(stamp[:10])
    for a in report["agents"]:
        assert a["online_days"] == len(online.get(a["agent_id"], ())), a
    assert report["shop"]["online_days"] == len(set().union(*online.values()))
    shuffled = messages[:]
    rnd.shuffle(shuffled)
    again = report_of(case(shuffled), [*IDS, *shared])
    for key in ("shop", "agents", "days"):
        assert again[key] == report[key]
