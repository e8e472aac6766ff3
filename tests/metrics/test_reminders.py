"""Payment reminders (催付): hand-worked fixtures (metrics.md, Payment reminders)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinpai.metrics.reminders import success_summary, wilson_interval
from tests.metrics.family_report import agent, day, explain_of, report_of, table

IDS = [
    "reminders_sent",
    "reminded_orders",
    "recovered_orders",
    "recovered_sales",
    "reminder_success_rate",
    "reminder_success_by_script",
    "reminder_success_by_channel",
]
ORDER_COLUMNS = [
    "order_id",
    "buyer_id",
    "created_at",
    "paid_at",
    "amount",
    "refund_amount",
    "exclude",
]
REMINDER_COLUMNS = ["order_id", "agent_id", "sent_at", "channel", "script_id"]


def case(orders: list[list[Any]], reminders: list[list[Any]], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "period": {"from": "2024-03-10", "to": "2024-03-12"},
        "as_of": "2024-03-31 00:00:00",
        "tables": {
            "messages": table(["buyer_id", "agent_id", "sender", "sent_at"], []),
            "orders": table(ORDER_COLUMNS, orders),
            "reminders": table(REMINDER_COLUMNS, reminders),
        },
    }
    data.update(extra)
    return data


# A: paid exactly 72 h after its reminder (success); B: 72 h + 1 s (fails); C: a1's reminder is
# overtaken by a2's, and a1 reminds again after the payment; D: unknown order; E: excluded order;
# F: never paid; G: reminded in the period, paid after it (by as_of); H: reminded before the period
ORDERS = [
    ["A", "bA", "2024-03-10 09:00:00", "2024-03-13 10:00:00", 100, 0, False],
    ["B", "bB", "2024-03-10 09:00:00", "2024-03-13 10:00:01", 60, 10, False],
    ["C", "bC", "2024-03-10 09:00:00", "2024-03-11 12:00:00", 200, 0, False],
    ["E", "bE", "2024-03-10 09:00:00", "2024-03-10 12:00:00", 999, 0, True],
    ["F", "bF", "2024-03-12 09:00:00", None, 70, 0, False],
    ["G", "bG", "2024-03-12 09:00:00", "2024-03-14 08:00:00", 50, 0, False],
    ["H", "bH", "2024-03-09 09:00:00", "2024-03-10 08:00:00", 30, 0, False],
]
REMINDERS = [
    ["A", "a1", "2024-03-10 10:00:00", "im", "s1"],
    ["B", "a1", "2024-03-10 10:00:00", "sms", "s1"],
    ["C", "a1", "2024-03-10 10:00:00", "im", "s1"],
    ["C", "a2", "2024-03-11 09:00:00", "phone", "s2"],
    ["C", "a1", "2024-03-11 13:00:00", "im", "s2"],
    ["D", "a1", "2024-03-10 11:00:00", "im", "s1"],
    ["E", "a2", "2024-03-10 11:00:00", "im", "s1"],
    ["F", "a2", "2024-03-12 10:00:00", "im", None],
    ["G", "a1", "2024-03-12 20:00:00", "sms", "s2"],
    ["H", "a1", "2024-03-09 10:00:00", "im", "s1"],
]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return report_of(case(ORDERS, REMINDERS), IDS)


def test_shop(report: dict[str, Any]) -> None:
    shop = report["shop"]
    assert shop["reminders_sent"] == 7  # D, E ignored; H before the period
    assert shop["reminded_orders"] == 5  # A, B, C, F, G
    assert shop["recovered_orders"] == 3  # A (72 h exactly), C (by a2), G
    assert shop["recovered_sales"] == pytest.approx(350)
    assert shop["reminder_success_rate"] == pytest.approx(3 / 5)


def test_agents_own_reminders(report: dict[str, Any]) -> None:
    a1, a2 = agent(report, "a1"), agent(report, "a2")
    assert (a1["reminders_sent"], a1["reminded_orders"], a1["recovered_orders"]) == (5, 4, 2)
    assert a1["recovered_sales"] == pytest.approx(150)  # A and G; C was won back by a2
    assert a1["reminder_success_rate"] == pytest.approx(0.5)
    assert (a2["reminders_sent"], a2["reminded_orders"], a2["recovered_orders"]) == (2, 2, 1)
    assert a2["recovered_sales"] == pytest.approx(200)


def test_days_by_sent_at(report: dict[str, Any]) -> None:
    counts = [
        (d["reminders_sent"], d["reminded_orders"], d["recovered_orders"])
        for d in (day(report, f"2024-03-1{i}") for i in range(3))
    ]
    assert counts == [(3, 3, 1), (2, 1, 1), (2, 2, 1)]


def test_by_script_and_channel(report: dict[str, Any]) -> None:
    by_script = report["shop"]["reminder_success_by_script"]
    assert {k: (v["reminded_orders"], v["recovered_orders"]) for k, v in by_script.items()} == {
        "s1": (3, 1),
        "s2": (2, 2),
        "none": (1, 0),
    }
    assert by_script["s1"]["rate"] == pytest.approx(1 / 3)
    low, high = wilson_interval(1, 3)
    assert (by_script["s1"]["ci_low"], by_script["s1"]["ci_high"]) == (low, high)
    by_channel = report["shop"]["reminder_success_by_channel"]
    assert {k: (v["reminded_orders"], v["recovered_orders"]) for k, v in by_channel.items()} == {
        "im": (3, 1),
        "sms": (2, 1),
        "phone": (1, 1),
    }
    a2 = agent(report, "a2")["reminder_success_by_channel"]
    assert a2 == {"im": success_summary(1, 0), "phone": success_summary(1, 1)}


def test_payment_after_as_of_is_not_yet_a_success() -> None:
    data = case(ORDERS, REMINDERS, as_of="2024-03-13 12:00:00")
    shop = report_of(data, IDS)["shop"]
    assert shop["recovered_orders"] == 2  # A and C; G pays after as_of
    assert shop["reminder_success_rate"] == pytest.approx(2 / 5)


def test_equal_times_break_by_sequence() -> None:
    orders = [["X", "bX", "2024-03-10 09:00:00", "2024-03-10 12:00:00", 10, 0, False]]
    reminders = [
        ["X", "a1", "2024-03-10 10:00:00", "im", "s1"],
        ["X", "a2", "2024-03-10 10:00:00", "sms", "s1"],  # imported later: the last one
        ["X", "a3", "2024-03-10 12:00:00", "im", "s1"],  # at the payment itself: not after it
    ]
    report = report_of(case(orders, reminders), IDS)
    assert [agent(report, a)["recovered_orders"] for a in ("a1", "a2", "a3")] == [0, 0, 1]
    reminders = reminders[:2]
    report = report_of(case(orders, reminders), IDS)
    assert [agent(report, a)["recovered_orders"] for a in ("a1", "a2")] == [0, 1]


def test_nothing_reminded() -> None:
    shop = report_of(case(ORDERS, []), IDS)["shop"]
    assert shop["reminders_sent"] == 0 and shop["recovered_sales"] == 0
    assert shop["reminder_success_rate"] is None
    # no script and no channel was used: empty objects, not a missing figure
    assert shop["reminder_success_by_script"] == shop["reminder_success_by_channel"] == {}


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 2, 0.0945, 0.9055),
        (45, 100, 0.3561, 0.5476),
    ],
)
def test_wilson_worked_numbers(successes: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(successes, n)
    assert got is not None
    assert got == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))
    assert got[0] <= successes / n <= got[1]


def test_wilson_without_trials() -> None:
    assert wilson_interval(0, 0) is None
    assert success_summary(0, 0)["rate"] is None


# whole hours over five days from 03-09: equal instants between reminders and payments happen
_times = st.integers(min_value=0, max_value=5 * 24).map(lambda h: h * 3600)
_AS_OF = datetime(2024, 3, 13, 12)  # inside the data: later payments and reminders do not exist
_PERIOD = (date(2024, 3, 10), date(2024, 3, 12))


def _stamp(seconds: int) -> str:
    return str(datetime(2024, 3, 9) + timedelta(seconds=seconds))


@st.composite
def _data(draw: st.DrawFn) -> tuple[list[list[Any]], list[list[Any]]]:
    orders, reminders = [], []
    for i in range(draw(st.integers(1, 5))):
        created = draw(st.integers(0, 72)) * 3600
        paid = draw(st.none() | st.integers(0, 48).map(lambda h, c=created: c + h * 3600))
        paid_at = None if paid is None else _stamp(paid)
        excluded = draw(st.integers(0, 5)) == 0
        orders.append([f"o{i}", f"b{i}", _stamp(created), paid_at, 10 + i, i % 2, excluded])
    for _ in range(draw(st.integers(0, 12))):
        order = draw(st.sampled_from([*orders, None]))
        who, script = draw(st.sampled_from(["a1", "a2"])), draw(st.sampled_from(["s1", "s2"]))
        at = _stamp(draw(_times))
        if order is not None and order[3] is not None and draw(st.booleans()):
            # near the payment: at it, or on either side of reminder_success_hours before it
            hours = draw(st.sampled_from([0, 0, 1, 72, 73, -1]))
            at = str(datetime.fromisoformat(order[3]) - timedelta(hours=hours))
        reminders.append([order[0] if order else "unknown", who, at, "im", script])
    return orders, reminders


def _oracle(
    orders: list[list[Any]], reminders: list[list[Any]], agent: str | None
) -> dict[str, Any]:
    """metrics.md (Payment reminders) read row by row, as of _AS_OF: (reminded, recovered) per
    script too."""
    known = {}
    for order_id, _b, created, paid, amount, refund, excluded in orders:
        if not excluded and datetime.fromisoformat(created) <= _AS_OF:
            paid_at = None if paid is None else datetime.fromisoformat(paid)
            known[order_id] = (paid_at if paid_at and paid_at <= _AS_OF else None, amount - refund)
    sent = [
        (datetime.fromisoformat(at), seq, order_id, who, script)
        for seq, (order_id, who, at, _channel, script) in enumerate(reminders)
        if order_id in known and datetime.fromisoformat(at) <= _AS_OF
    ]
    winners = set()  # the successful reminder of each order: the last one by its payment
    for order_id, (paid_at, _net) in known.items():
        before = [r for r in sent if r[2] == order_id and paid_at and r[0] <= paid_at]
        if before and paid_at - max(before)[0] <= timedelta(hours=72):
            winners.add(max(before))
    counted = [
        r
        for r in sent
        if _PERIOD[0] <= r[0].date() <= _PERIOD[1] and (agent is None or r[3] == agent)
    ]
    recovered = {r[2] for r in counted if r in winners}
    by_script = {
        script: (
            len({r[2] for r in counted if r[4] == script}),
            len({r[2] for r in counted if r[4] == script and r in winners}),
        )
        for script in {r[4] for r in counted}
    }
    return {
        "reminders_sent": len(counted),
        "reminded_orders": len({r[2] for r in counted}),
        "recovered_orders": len(recovered),
        "recovered_sales": sum(known[o][1] for o in recovered),
        "by_script": by_script,
    }


def _rates(report: dict[str, Any]) -> list[float]:
    rows = [report["shop"], *report["agents"], *report["days"]]
    out = [r["reminder_success_rate"] for r in rows if r["reminder_success_rate"] is not None]
    for r in rows:
        for key in ("reminder_success_by_script", "reminder_success_by_channel"):
            for v in (r[key] or {}).values():
                out += [v["rate"], v["ci_low"], v["ci_high"]]
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_data(), st.randoms(use_true_random=False))
def test_rates_bounded_order_free_and_as_the_spec_reads(
    data: tuple[list, list], rnd: random.Random
) -> None:
    orders, reminders = data
    report = report_of(case(orders, reminders, as_of=str(_AS_OF)), IDS)
    assert all(0 <= x <= 1 for x in _rates(report))
    rows = {None: report["shop"]} | {a["agent_id"]: a for a in report["agents"]}
    for who in (None, "a1", "a2"):
        want, got = _oracle(orders, reminders, who), rows.get(who, {})
        scripts = got.get("reminder_success_by_script") or {}
        assert {
            k: (v["reminded_orders"], v["recovered_orders"]) for k, v in scripts.items()
        } == want.pop("by_script"), who
        assert {k: got.get(k, 0) for k in want} == pytest.approx(want), who
    if len({(r[0], r[2]) for r in reminders}) < len(reminders):
        return  # reminders of one order at one instant: their row order decides the last one
    shuffled_orders, shuffled_reminders = orders[:], reminders[:]
    rnd.shuffle(shuffled_orders)
    rnd.shuffle(shuffled_reminders)
    again = report_of(case(shuffled_orders, shuffled_reminders, as_of=str(_AS_OF)), IDS)
    for key in ("shop", "agents", "days"):
        assert again[key] == report[key]


def test_explain_shows_the_reminders_behind_each_script() -> None:
    ex = explain_of(case(ORDERS, REMINDERS), "reminder_success_by_script")
    by_script: dict[str, tuple[set[str], set[str]]] = {}
    for row in ex.rows:
        reminded, recovered = by_script.setdefault(row["script_id"], (set(), set()))
        reminded.add(row["order_id"])
        if row["success"]:
            recovered.add(row["order_id"])
    counts = {k: (v["reminded_orders"], v["recovered_orders"]) for k, v in ex.value.items()}
    assert counts == {k: (len(a), len(b)) for k, (a, b) in by_script.items()}
    assert ex.row_count == 7  # every reminder of the period, "none" for the one without a script
    a2 = explain_of(case(ORDERS, REMINDERS), "reminder_success_by_channel", "a2")
    assert {r["agent_id"] for r in a2.rows} == {"a2"}
    assert {r["channel"] for r in a2.rows} == set(a2.value) == {"im", "phone"}
