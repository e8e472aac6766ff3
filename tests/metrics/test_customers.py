"""Customers (seed 004): hand-worked fixtures for A, B, Q, C, D, E (metrics.md, Customers)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.family_report import agent, day, explain_of, report_of, table
from tests.metrics.golden import ratio

IDS = [
    "repeat_customer_share",
    "old_customer_churn",
    "purchase_cycle_days",
    "new_customer_conversion",
    "new_customer_repurchase_nd",
    "new_customer_retention_nd",
]
SHOP_IDS = [i for i in IDS if i != "new_customer_conversion"]  # C needs the inquiries block
ORDER_COLUMNS = ["order_id", "buyer_id", "created_at", "paid_at", "amount", "refund_amount"]
MESSAGE_COLUMNS = ["buyer_id", "agent_id", "sender", "sent_at"]


def case(
    orders: list[list[Any]],
    period: tuple[str, str],
    as_of: str,
    messages: list[list[Any]] | None = None,
) -> dict[str, Any]:
    return {
        "period": {"from": period[0], "to": period[1]},
        "as_of": as_of,
        "tables": {
            "messages": table(MESSAGE_COLUMNS, messages or []),
            "orders": table(ORDER_COLUMNS, orders),
        },
    }


def _seed_004_orders() -> list[list[Any]]:
    """On 08-20 300 buyers purchase, 190 of them new; 15 of the new ones buy again by 08-27
    (the last at 23:59:59 on 08-27), 5 more only on 08-28 (outside the 7 days)."""
    orders: list[list[Any]] = []

    def buy(buyer: str, paid: str) -> None:
        orders.append([f"o{len(orders)}", buyer, paid, paid, 10, 0])

    for i in range(110):
        buy(f"old{i}", "2024-08-01 10:00:00")
        buy(f"old{i}", "2024-08-20 10:00:00")
    for i in range(190):
        buy(f"new{i}", "2024-08-20 11:00:00")
    for i in range(15):
        buy(f"new{i}", "2024-08-27 23:59:59")
    for i in range(15, 20):
        buy(f"new{i}", "2024-08-28 00:00:00")
    return orders


def test_seed_004_retention_example() -> None:
    data = case(_seed_004_orders(), ("2024-08-20", "2024-08-20"), "2024-08-28 00:00:00")
    shop = report_of(data, SHOP_IDS)["shop"]
    assert shop["new_customer_retention_nd"] == pytest.approx(15 / 190)  # 7.89%
    assert shop["repeat_customer_share"] == pytest.approx(110 / 300)
    assert shop["new_customer_repurchase_nd"] is None  # (08-20, 09-19] is not complete


def test_incomplete_window_has_no_value() -> None:
    # one second before the end of 08-27 the 7-day window of 08-20 is not complete yet
    data = case(_seed_004_orders(), ("2024-08-20", "2024-08-20"), "2024-08-27 23:59:59")
    assert report_of(data, SHOP_IDS)["shop"]["new_customer_retention_nd"] is None
    # pooled over the period's days: only the days whose window is complete count
    data = case(_seed_004_orders(), ("2024-08-19", "2024-08-21"), "2024-08-28 00:00:00")
    report = report_of(data, SHOP_IDS)
    assert report["shop"]["new_customer_retention_nd"] == pytest.approx(15 / 190)
    assert day(report, "2024-08-21")["new_customer_retention_nd"] is None


def test_repurchase_window_boundary() -> None:
    orders = [
        ["n1a", "n1", "2024-06-01 10:00:00", "2024-06-01 10:00:00", 10, 0],
        ["n1b", "n1", "2024-07-01 23:00:00", "2024-07-01 23:00:00", 10, 0],  # f + 30: inside
        ["n2a", "n2", "2024-06-01 10:00:00", "2024-06-01 10:00:00", 10, 0],
        ["n2b", "n2", "2024-07-02 00:00:00", "2024-07-02 00:00:00", 10, 0],  # f + 31: outside
        ["n3a", "n3", "2024-06-01 09:00:00", "2024-06-01 09:00:00", 10, 0],
        ["n3b", "n3", "2024-06-01 18:00:00", "2024-06-01 18:00:00", 10, 0],  # same day: not again
        ["n4a", "n4", "2024-06-02 10:00:00", "2024-06-02 10:00:00", 10, 0],  # window ends 07-02
    ]
    data = case(orders, ("2024-06-01", "2024-06-02"), "2024-07-02 12:00:00")
    shop = report_of(data, SHOP_IDS)["shop"]
    assert shop["new_customer_repurchase_nd"] == pytest.approx(1 / 3)  # n4's window incomplete
    data["as_of"] = "2024-07-03 00:00:00"
    assert report_of(data, SHOP_IDS)["shop"]["new_customer_repurchase_nd"] == pytest.approx(1 / 4)


def _daily(buyer: str, first: date, days: int) -> list[list[Any]]:
    out = []
    for i in range(days):
        stamp = f"{first + timedelta(days=i)} 10:00:00"
        out.append([f"{buyer}-{i}", buyer, stamp, stamp, 5, 0])
    return out


def test_wholesaler_left_out_of_purchase_cycle() -> None:
    orders = [
        *_daily("w", date(2024, 1, 1), 100),  # 100 purchase days (last 04-09): a wholesaler
        *_daily("v", date(2024, 1, 1), 99),  # 99: counts, 98 gaps of 1 day
        ["x1", "x", "2024-05-01 10:00:00", "2024-05-01 10:00:00", 5, 0],
        ["x2", "x", "2024-05-11 10:00:00", "2024-05-11 10:00:00", 5, 0],
        ["x3", "x", "2024-07-11 10:00:00", "2024-07-11 10:00:00", 5, 0],  # after the period end
        ["y1", "y", "2024-05-01 10:00:00", "2024-05-01 10:00:00", 5, 0],  # one purchase day
    ]
    data = case(orders, ("2024-06-01", "2024-06-30"), "2024-07-31 00:00:00")
    assert report_of(data, SHOP_IDS)["shop"]["purchase_cycle_days"] == pytest.approx(108 / 99)
    # up to 04-08 w has 99 purchase days and counts too
    data = case(orders, ("2024-04-08", "2024-04-08"), "2024-07-31 00:00:00")
    assert report_of(data, SHOP_IDS)["shop"]["purchase_cycle_days"] == pytest.approx(1)


def test_refunds_and_payment_day() -> None:
    orders = [
        ["r1", "r", "2024-05-01 10:00:00", "2024-05-01 10:00:00", 50, 50],  # fully refunded
        ["r2", "r", "2024-06-02 10:00:00", "2024-06-02 10:00:00", 50, 20],  # partly: a purchase
        ["s1", "s", "2024-05-01 10:00:00", "2024-05-01 10:00:00", 50, 0],
        ["s2", "s", "2024-05-31 23:00:00", "2024-06-01 00:30:00", 50, 0],  # paid in June
        ["t1", "t", "2024-05-20 10:00:00", None, 50, 0],  # never paid
    ]
    data = case(orders, ("2024-06-01", "2024-06-30"), "2024-07-31 00:00:00")
    shop = report_of(data, SHOP_IDS)["shop"]
    assert shop["repeat_customer_share"] == pytest.approx(1 / 2)  # s old, r new
    assert shop["old_customer_churn"] == 0  # s only (r's May order refunded, t unpaid)
    assert shop["new_customer_repurchase_nd"] == 0  # r: first purchase 06-02, none after


# Agent level (taobao: 2-day credit lookback). Period June 2024.
# c1: old (03-01 order credited to a1), inquiry with a1 06-10 -> a1's repeat customer.
# c2: new, a1's inquiry order created 06-29, paid 07-02 (after the period: still a customer).
# c3: silent order 06-15 09:00 secured by a2 (reply 09:06, paid 09:10), again 06-20 (silent);
#     06-15 is an after-sales consultation (earlier order, none in the window), not an inquiry.
# c4: inquiry with a2 06-05, order fully refunded: not a customer, still converts (paid).
# c5: a1's inquiry order 05-10, nothing in June: lost.
# c6: new, inquiry with a1 06-12, paid the same day, no repurchase.
# c7: new, inquiry with a2 06-20, no order.
AGENT_MESSAGES = [
    ["c1", "a1", "buyer", "2024-03-01 09:00:00"],
    ["c1", "a1", "agent", "2024-03-01 09:01:00"],
    ["c1", "a1", "buyer", "2024-06-10 10:00:00"],
    ["c1", "a1", "agent", "2024-06-10 10:01:00"],
    ["c2", "a1", "buyer", "2024-06-29 10:00:00"],
    ["c2", "a1", "agent", "2024-06-29 10:01:00"],
    ["c3", "a2", "buyer", "2024-06-15 09:05:00"],
    ["c3", "a2", "agent", "2024-06-15 09:06:00"],
    ["c4", "a2", "buyer", "2024-06-05 10:00:00"],
    ["c4", "a2", "agent", "2024-06-05 10:01:00"],
    ["c5", "a1", "buyer", "2024-05-10 10:00:00"],
    ["c5", "a1", "agent", "2024-05-10 10:01:00"],
    ["c6", "a1", "buyer", "2024-06-12 10:00:00"],
    ["c6", "a1", "agent", "2024-06-12 10:01:00"],
    ["c7", "a2", "buyer", "2024-06-20 10:00:00"],
    ["c7", "a2", "agent", "2024-06-20 10:01:00"],
]
AGENT_ORDERS = [
    ["k1a", "c1", "2024-03-01 10:00:00", "2024-03-01 10:05:00", 100, 0],
    ["k1b", "c1", "2024-06-10 12:00:00", "2024-06-10 12:05:00", 100, 0],
    ["k2", "c2", "2024-06-29 11:00:00", "2024-07-02 09:00:00", 100, 0],
    ["k3a", "c3", "2024-06-15 09:00:00", "2024-06-15 09:10:00", 100, 0],
    ["k3b", "c3", "2024-06-20 09:00:00", "2024-06-20 09:10:00", 100, 0],
    ["k4", "c4", "2024-06-05 11:00:00", "2024-06-05 11:05:00", 100, 100],
    ["k5", "c5", "2024-05-10 11:00:00", "2024-05-10 11:05:00", 100, 0],
    ["k6", "c6", "2024-06-12 11:00:00", "2024-06-12 11:05:00", 100, 0],
]


@pytest.fixture(scope="module")
def agent_report() -> dict[str, Any]:
    data = case(AGENT_ORDERS, ("2024-06-01", "2024-06-30"), "2024-08-31 00:00:00", AGENT_MESSAGES)
    return report_of(data, IDS)


def test_shop_over_purchases(agent_report: dict[str, Any]) -> None:
    shop = agent_report["shop"]
    assert shop["repeat_customer_share"] == pytest.approx(1 / 3)  # c1 of c1, c3, c6
    assert shop["old_customer_churn"] == pytest.approx(1 / 2)  # c5 of c1, c5
    assert shop["purchase_cycle_days"] == pytest.approx((101 + 5) / 2)  # c1, c3
    assert shop["new_customer_conversion"] == pytest.approx(3 / 4)  # c2, c4, c6 of +c7
    assert shop["new_customer_repurchase_nd"] == pytest.approx(1 / 2)  # c3 of c3, c6
    assert shop["new_customer_retention_nd"] == pytest.approx(1 / 2)


def test_agent_customers(agent_report: dict[str, Any]) -> None:
    a1, a2 = agent(agent_report, "a1"), agent(agent_report, "a2")
    # a1's customers: c1 (old), c2 (paid after the period), c6
    assert a1["repeat_customer_share"] == pytest.approx(1 / 3)
    assert a1["old_customer_churn"] == pytest.approx(1 / 2)  # lookback: c1 (03-01), c5 (lost)
    assert a1["purchase_cycle_days"] == pytest.approx(101)  # c2 has no purchase by 06-30
    assert a1["new_customer_conversion"] == 1  # c2, c6 (c1 is old)
    assert a1["new_customer_repurchase_nd"] == 0  # c6
    assert a1["new_customer_retention_nd"] == 0
    # a2's customer: c3 through the secured silent order
    assert a2["repeat_customer_share"] == 0
    assert a2["old_customer_churn"] is None
    assert a2["purchase_cycle_days"] == pytest.approx(5)
    assert a2["new_customer_conversion"] == pytest.approx(1 / 2)  # c4 (paid), c7
    assert a2["new_customer_repurchase_nd"] == 1
    assert a2["new_customer_retention_nd"] == 1


def test_explain_lists_the_members_behind_a_b_and_q() -> None:
    data = case(AGENT_ORDERS, ("2024-06-01", "2024-06-30"), "2024-08-31 00:00:00", AGENT_MESSAGES)

    def members(metric: str, flag: str, agent_id: str | None = None) -> dict[str, Any]:
        ex = explain_of(data, metric, agent_id)
        rows = {r["buyer_id"]: r[flag] for r in ex.rows}
        assert ex.row_count == len(rows)  # one row per member
        # the rows give the figure: the flagged members over all of them
        assert ex.value == pytest.approx(sum(map(bool, rows.values())) / len(rows))
        return rows

    assert members("repeat_customer_share", "repeat") == {"c1": True, "c3": False, "c6": False}
    assert members("repeat_customer_share", "repeat", "a1") == {
        "c1": True,  # first purchase 03-01
        "c2": False,  # paid after the period, by as_of
        "c6": False,
    }
    assert members("repeat_customer_share", "repeat", "a2") == {"c3": False}
    assert members("old_customer_churn", "lost") == {"c1": False, "c5": True}
    assert members("old_customer_churn", "lost", "a1") == {"c1": False, "c5": True}
    a1 = explain_of(data, "old_customer_churn", "a1")
    last = {r["buyer_id"]: r["last_order_day"] for r in a1.rows}
    assert last == {"c1": date(2024, 3, 1), "c5": date(2024, 5, 10)}

    q = explain_of(data, "purchase_cycle_days")
    cycles = {r["buyer_id"]: (r["purchase_days"], r["span_days"]) for r in q.rows}
    assert cycles == {"c1": (2, 101), "c3": (2, 5)}  # 03-01 -> 06-10, 06-15 -> 06-20
    assert q.value == pytest.approx(sum(s for _, s in cycles.values()) / 2)


@st.composite
def _orders(draw: st.DrawFn) -> list[list[Any]]:
    rows = []
    for i in range(draw(st.integers(1, 25))):
        buyer = draw(st.sampled_from([f"b{n}" for n in range(1, 9)]))
        # mostly a day on an edge (05-01 + n): the period's first and last, 7 days after 06-01
        # and 06-02, the last first day whose 30 days end by as_of (06-14) and the one after it
        edge = st.sampled_from([31, 32, 38, 39, 44, 45, 50, 74, 75])
        created = date(2024, 5, 1) + timedelta(days=draw(st.integers(0, 90) | edge | edge))
        stamp = f"{created} {i % 24:02d}:00:00"
        paid = draw(st.booleans())
        refund = draw(st.sampled_from([0, 0, 5, 10]))
        rows.append([f"o{i}", buyer, stamp, stamp if paid else None, 10, refund])
    return rows


def _shop_oracle(
    orders: list[list[Any]], first: date, last: date, as_of: datetime
) -> dict[str, float | None]:
    """A, B, Q, D and E of the shop over [first, last] (taobao settings), straight from
    metrics.md: purchases are buyer-days of paid (by as_of), not fully refunded orders."""
    days: dict[str, set[date]] = {}
    for _id, buyer, _created, paid, amount, refund in orders:
        kept = not (refund > 0 and refund >= amount)
        if paid is not None and datetime.fromisoformat(paid) <= as_of and kept:
            days.setdefault(buyer, set()).add(datetime.fromisoformat(paid).date())

    def complete(day: date, n: int) -> bool:  # the window (day, day + n] has ended by as_of
        return datetime.combine(day + timedelta(days=n + 1), datetime.min.time()) <= as_of

    def bought(buyer: str, since: date, until: date) -> bool:
        return any(since <= d <= until for d in days[buyer])

    buyers = [b for b in days if bought(b, first, last)]
    repeat = [b for b in buyers if min(days[b]) < first]
    lookback = [b for b in days if bought(b, first - timedelta(days=180), first - timedelta(1))]
    lost = [b for b in lookback if not bought(b, first, last)]
    gaps = []
    for b in days:
        history = sorted(d for d in days[b] if d <= last)
        if 2 <= len(history) <= 99:
            gaps += [(y - x).days for x, y in pairwise(history)]
    new = [b for b in days if first <= min(days[b]) <= last]
    followed = [b for b in new if complete(min(days[b]), 30)]
    retained_days = [d for d in {min(days[b]) for b in new} if complete(d, 7)]
    newcomers = [b for b in new if min(days[b]) in retained_days]

    def again(b: str, n: int) -> bool:
        f = min(days[b])
        return bought(b, f + timedelta(1), f + timedelta(n))

    return {
        "repeat_customer_share": ratio(len(repeat), len(buyers)),
        "old_customer_churn": ratio(len(lost), len(lookback)),
        "purchase_cycle_days": ratio(sum(gaps), len(gaps)),
        "new_customer_repurchase_nd": ratio(sum(again(b, 30) for b in followed), len(followed)),
        "new_customer_retention_nd": ratio(sum(again(b, 7) for b in newcomers), len(newcomers)),
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_orders(), st.randoms(use_true_random=False))
def test_rates_bounded_order_free_and_as_the_spec_reads(
    orders: list[list[Any]], rnd: random.Random
) -> None:
    data = case(orders, ("2024-06-01", "2024-06-20"), "2024-07-15 00:00:00")
    report = report_of(data, SHOP_IDS)
    as_of = datetime(2024, 7, 15)
    want = _shop_oracle(orders, date(2024, 6, 1), date(2024, 6, 20), as_of)
    assert {k: report["shop"][k] for k in want} == pytest.approx(want)
    for row in report["days"]:
        d = date.fromisoformat(row["date"])
        assert {k: row[k] for k in want} == pytest.approx(_shop_oracle(orders, d, d, as_of)), d
    for row in [report["shop"], *report["days"]]:
        for key in SHOP_IDS:
            if key != "purchase_cycle_days" and row[key] is not None:
                assert 0 <= row[key] <= 1
        assert row["purchase_cycle_days"] is None or row["purchase_cycle_days"] >= 1
    shuffled = orders[:]
    rnd.shuffle(shuffled)
    again = report_of(case(shuffled, ("2024-06-01", "2024-06-20"), "2024-07-15 00:00:00"), SHOP_IDS)
    assert again["shop"] == pytest.approx(report["shop"])
    assert [sorted(d.items()) for d in again["days"]] == [sorted(d.items()) for d in report["days"]]


@st.composite
def _agent_orders(draw: st.DrawFn) -> tuple[list[list[Any]], list[list[Any]], list[tuple]]:
    """Orders, each credited to the agent who replied to its buyer 5 minutes before it (orders
    at distinct hours, so no other reply comes in between), and their facts for the oracle."""
    orders, messages, facts = [], [], []
    for i in range(draw(st.integers(1, 20))):
        buyer = draw(st.sampled_from(["b1", "b2", "b3", "b4"]))
        who = draw(st.sampled_from(["a1", "a2"]))
        created = datetime(2024, 5, 20, i) + timedelta(days=draw(st.integers(0, 25)))
        paid = draw(st.sampled_from([None, timedelta(hours=1), timedelta(days=2)]))
        refund = draw(st.sampled_from([0, 0, 5, 10]))
        stamp = str(created)
        messages.append([buyer, who, "buyer", str(created - timedelta(minutes=10))])
        messages.append([buyer, who, "agent", str(created - timedelta(minutes=5))])
        orders.append(
            [f"o{i}", buyer, stamp, None if paid is None else str(created + paid), 10, refund]
        )
        facts.append(
            (
                buyer,
                who,
                created.date(),
                None if paid is None else (created + paid).date(),
                refund < 10,
            )
        )
    return orders, messages, facts


def _churn_oracle(
    facts: list[tuple], agent_id: str, first: date, last: date, lookback: int
) -> float | None:
    """old_customer_churn of one agent over [first, last], straight from metrics.md."""
    bought = {(b, paid) for b, _, _, paid, kept in facts if paid is not None and kept}
    own = [
        (b, created) for b, who, created, paid, kept in facts if who == agent_id and paid and kept
    ]
    members = set()
    for buyer in {b for b, _ in own}:
        before = [c for b, c in own if b == buyer and c < first]
        if before and max(before) >= first - timedelta(days=lookback):
            members.add(buyer)
    if not members:
        return None
    lost = [b for b in members if not any(first <= d <= last for bb, d in bought if bb == b)]
    return len(lost) / len(members)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_agent_orders(), st.integers(1, 15))
def test_agent_churn_matches_the_definition(
    data: tuple[list[list[Any]], list[list[Any]], list[tuple]], lookback: int
) -> None:
    orders, messages, facts = data
    period = ("2024-06-01", "2024-06-10")
    report_data = case(orders, period, "2024-07-15 00:00:00", messages)
    report_data["settings"] = {"churn_lookback_days": lookback}
    report = report_of(report_data, ["old_customer_churn"], by_agent_day=True)
    start, end = date(2024, 6, 1), date(2024, 6, 10)
    for row in report["agents"]:
        expected = _churn_oracle(facts, row["agent_id"], start, end, lookback)
        assert row["old_customer_churn"] == pytest.approx(expected)
    for row in report["agent_days"]:
        d = date.fromisoformat(row["date"])
        expected = _churn_oracle(facts, row["agent_id"], d, d, lookback)
        assert row["old_customer_churn"] == pytest.approx(expected)
