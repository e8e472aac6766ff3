"""Credit, inquiries, conversion, sales and shop volume on random small shops (hypothesis), against
a plain-Python oracle written straight from metrics.md (Inquiries, credit and sales; Shop volume).

The oracle walks the rows one by one, with none of the engine's joins, windows or packed keys: a
figure that both agree on is what the spec's sentences say, on data full of equal timestamps,
transfers, excluded and refunded orders, payments on the next-day edge and after as_of, and
after-sales consultations.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jinpai.metrics.rules import rule_settings
from tests.metrics.chat_helpers import turns
from tests.metrics.golden import ratio
from tests.metrics.test_properties_conversion import PERIOD, PROPERTY, at, run

FIRST, LAST = (date.fromisoformat(d) for d in PERIOD)
COUNTS = (
    "inquiries",
    "ordering_buyers",
    "paying_buyers",
    "next_day_paying_buyers",
    "secured_silent_buyers",
    "orders_created",
    "orders_paid",
    "paid_buyers",
)
SUMS = ("sales", "secured_silent_sales", "paid_sales")
SHOP_ONLY = ("silent_order_share", "silent_paid_share", "inquiry_sales_share")

# two-hour steps over the four days of the period (at() counts half hours)
HOURS = st.integers(0, 4 * 12 - 1).map(lambda i: 4 * i)
BUYERS = ["b1", "b2"]


@st.composite
def shops(draw: st.DrawFn) -> tuple[list[list[Any]], list[list[Any]]]:
    """Conversations (a buyer and an agent taking turns, half an hour apart or at the same
    instant), in random row order, and orders: some placed by a buyer just after one of their
    conversations, so that credit is common, the rest at random."""
    rows, ends = [], []
    for _ in range(draw(st.integers(1, 8))):
        buyer, agent = draw(st.sampled_from(BUYERS)), draw(st.sampled_from(["a1", "a2"]))
        slot = draw(HOURS)
        for sender in draw(turns(1, 5)):
            slot += draw(st.sampled_from([0, 1, 1, 2]))
            auto = sender == "agent" and draw(st.integers(0, 4)) == 4
            rows.append([buyer, agent, sender, at(slot), auto])
        ends.append((buyer, slot))
    sold = []
    for i in range(draw(st.integers(0, 8))):
        buyer, created = draw(st.sampled_from(BUYERS)), draw(HOURS)
        if draw(st.booleans()):  # right after a conversation of the buyer
            buyer, end = draw(st.sampled_from(ends))
            created = end + draw(st.integers(0, 3))
        sold.append([f"o{i}", buyer, at(created), *draw(_order_rest(created))])
    return draw(st.permutations(rows)), sold


@st.composite
def _order_rest(draw: st.DrawFn, created: int) -> list[Any]:
    """Payment, amount, refund, items and 补单 flag of an order created at slot ``created``;
    a payment is often on the next-day edge: the last half hour of the next day or the midnight
    after it."""
    midnight = (created // 48 + 2) * 48
    paid = draw(
        st.none()
        | st.integers(0, 100).map(lambda d: created + d)
        | st.sampled_from([midnight - 1, midnight])
    )
    amount = draw(st.integers(0, 500))
    return [
        None if paid is None else at(paid),
        amount,
        draw(st.sampled_from([0, 0, amount // 2, amount])),
        draw(st.integers(1, 3)),
        draw(st.integers(0, 5)) == 5,
    ]


def _start(day: date) -> datetime:
    return datetime.combine(day, time())


def _in_period(moment: datetime | None) -> bool:
    return moment is not None and FIRST <= moment.date() <= LAST


class Shop:
    """The shop as of ``as_of`` under ``profile``, read row by row."""

    def __init__(
        self, messages: list[list[Any]], orders: list[list[Any]], as_of: datetime, profile: str
    ) -> None:
        rules = rule_settings(profile)
        self.window, self.after_sales = rules.order_window_days, rules.after_sales_days
        chats: dict[tuple[str, str, date], list[tuple[datetime, int, str, bool]]] = defaultdict(
            list
        )
        for seq, (buyer, agent, sender, sent, auto) in enumerate(messages, start=1):
            sent_at = datetime.fromisoformat(sent)
            if sent_at <= as_of:  # nothing after as_of exists
                chats[(buyer, agent, sent_at.date())].append((sent_at, seq, sender, auto))
        # valid replies (at, seq, buyer, agent); per buyer-day: t0 and the agents who replied
        self.replies: list[tuple[datetime, int, str, str]] = []
        self.t0: dict[tuple[str, date], tuple[datetime, int]] = {}
        self.repliers: dict[tuple[str, date], set[str]] = defaultdict(set)
        for (buyer, agent, day), chat in chats.items():
            wrote = False
            for sent_at, seq, sender, auto in sorted(chat):
                if sender == "buyer":
                    wrote = True
                    self.t0[(buyer, day)] = min(
                        self.t0.get((buyer, day), (sent_at, seq)), (sent_at, seq)
                    )
                elif not auto and wrote:
                    self.replies.append((sent_at, seq, buyer, agent))
                    self.repliers[(buyer, day)].add(agent)
        self.orders = [o for o in map(self._order, orders) if o and o["created"] <= as_of]
        for o in self.orders:
            if o["paid"] is not None and o["paid"] > as_of:
                o["paid"] = None  # paid after as_of: not yet paid
            lookback = _start(o["created"].date() - timedelta(days=self.window - 1))
            o["agent"] = self._last_reply(o["buyer"], lookback, o["created"])
            o["secured"] = None
            if o["agent"] is None and o["paid"] is not None:
                o["secured"] = self._last_reply(o["buyer"], o["created"], o["paid"])
            o["silent_at_payment"] = (
                o["paid"] is not None and self._last_reply(o["buyer"], lookback, o["paid"]) is None
            )

    @staticmethod
    def _order(row: list[Any]) -> dict[str, Any] | None:
        order_id, buyer, created, paid, amount, refund, items, exclude = row
        if exclude:  # 补单 do not exist
            return None
        return {
            "id": order_id,
            "buyer": buyer,
            "created": datetime.fromisoformat(created),
            "paid": None if paid is None else datetime.fromisoformat(paid),
            "net": amount - refund,
            "items": items,
            "fully_refunded": refund > 0 and refund >= amount,
        }

    def _last_reply(self, buyer: str, since: datetime, before: datetime) -> str | None:
        """The agent of the last valid reply to ``buyer`` in [since, before)."""
        inside = [r for r in self.replies if r[2] == buyer and since <= r[0] < before]
        return max(inside)[3] if inside else None

    def inquiries(self) -> list[tuple[date, set[str], list[dict[str, Any]]]]:
        """(day, agents who replied, orders created in the conversion window) per inquiry."""
        out = []
        for (buyer, day), agents in self.repliers.items():
            t0 = self.t0[(buyer, day)][0]
            mine = [o for o in self.orders if o["buyer"] == buyer]
            window = [o for o in mine if t0 <= o["created"] < _start(day) + timedelta(self.window)]
            earlier = [
                o for o in mine if t0 - timedelta(days=self.after_sales) <= o["created"] < t0
            ]
            if self.after_sales > 0 and earlier and not window:
                continue  # an after-sales consultation
            out.append((day, agents, window))
        return out

    def figures(self, agent: str | None) -> dict[str, Any]:
        """The period's figures of the shop (``agent`` None) or of one agent."""

        def credited(o: dict[str, Any]) -> bool:
            return o["agent"] is not None if agent is None else o["agent"] == agent

        f: dict[str, Any] = dict.fromkeys(COUNTS, 0) | dict.fromkeys(SUMS, 0)
        for day, agents, window in self.inquiries():
            if not FIRST <= day <= LAST or (agent is not None and agent not in agents):
                continue
            converting = window if agent is None else [o for o in window if credited(o)]
            paid = [o for o in converting if o["paid"] is not None]
            f["inquiries"] += 1
            f["ordering_buyers"] += bool(converting)
            f["paying_buyers"] += bool(paid)
            f["next_day_paying_buyers"] += any(o["paid"] < _start(day) + timedelta(2) for o in paid)
        created = [o for o in self.orders if _in_period(o["created"])]
        sold = [o for o in created if credited(o) and o["paid"] and not o["fully_refunded"]]
        f["sales"] = sum(o["net"] for o in sold)
        buyers = {o["buyer"] for o in sold}
        f["aov"] = ratio(f["sales"], len(buyers))
        f["items_per_buyer"] = ratio(sum(o["items"] for o in sold), len(buyers))
        secured = [
            o
            for o in created
            if o["secured"] is not None
            and (agent is None or o["secured"] == agent)
            and o["paid"]
            and not o["fully_refunded"]
        ]
        f["secured_silent_buyers"] = len({o["buyer"] for o in secured})
        f["secured_silent_sales"] = sum(o["net"] for o in secured)
        volume = self.orders if agent is None else [o for o in self.orders if credited(o)]
        paid_in_period = [o for o in volume if _in_period(o["paid"])]
        f["orders_created"] = sum(_in_period(o["created"]) for o in volume)
        f["orders_paid"] = len(paid_in_period)
        f["paid_sales"] = sum(o["net"] for o in paid_in_period)
        f["paid_buyers"] = len({o["buyer"] for o in paid_in_period})
        if agent is None:
            f["silent_order_share"] = ratio(sum(o["agent"] is None for o in created), len(created))
            f["silent_paid_share"] = ratio(
                sum(o["silent_at_payment"] for o in paid_in_period), len(paid_in_period)
            )
            f["inquiry_sales_share"] = ratio(
                sum(o["net"] for o in paid_in_period if o["agent"] is not None), f["paid_sales"]
            )
        return f


def _assert_same(got: dict[str, Any], want: dict[str, Any], who: str) -> None:
    for name, value in want.items():
        if value is None:
            assert got.get(name) is None, (who, name, got.get(name))
        else:
            assert got.get(name) is not None, (who, name, value)
            assert abs(got[name] - value) < 1e-6, (who, name, got[name], value)


@settings(PROPERTY, max_examples=40)
@given(shops(), st.integers(4 * 24, 4 * 54), st.sampled_from(["taobao", "pdd", "raw"]))
def test_the_engine_agrees_with_a_row_by_row_reading_of_the_spec(
    shop_rows: tuple[list[list[Any]], list[list[Any]]], cut: int, profile: str
) -> None:
    chat, sold = shop_rows
    as_of = at(cut)
    rep = run(chat, sold, as_of=as_of, profile=profile)
    shop = Shop(chat, sold, datetime.fromisoformat(as_of), profile)
    _assert_same(rep["shop"], shop.figures(None), "shop")
    agents = {a["agent_id"]: a for a in rep["agents"]}
    for agent in ("a1", "a2"):
        want = shop.figures(agent)
        want = {k: v for k, v in want.items() if k not in SHOP_ONLY}
        if agent not in agents:  # no activity at all: every count and sum is 0
            assert not any(want[k] for k in (*COUNTS, *SUMS)), (agent, want)
            continue
        _assert_same(agents[agent], want, agent)
