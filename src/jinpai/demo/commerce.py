"""Orders and what follows them: payment, payment reminders (催付), refunds, after-sales cases and
the later chats an order causes (shipping questions, case chats). Vectorised over one day's orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jinpai.demo.chats import CASE_BASE, CASE_KINDS, CONSULT
from jinpai.demo.shop import (
    CHANNEL_EFFECT,
    CHANNEL_MIX,
    PRODUCTS,
    SCRIPT_MIX,
    SCRIPTS,
    SERVICE_END_H,
    SERVICE_START_H,
)
from jinpai.demo.texts import IDX

H, DAY = 3600, 86400
STATUSES = ("created", "paid", "shipped", "completed", "closed")
CREATED, PAID, SHIPPED, COMPLETED, CLOSED = range(5)
_PRICE = np.array([p.price_cents for p in PRODUCTS])
_PRODUCT_P = np.array([p.weight for p in PRODUCTS]) / sum(p.weight for p in PRODUCTS)
_SCRIPT_P = np.array([s[2] for s in SCRIPTS])

# Route(hours_since_day0_seconds) -> an aftersale agent on duty at those times
Route = Callable[[np.ndarray], np.ndarray]


def new_orders(
    rng: np.random.Generator,
    first_no: int,
    buyer: np.ndarray,
    created: np.ndarray,
    agent: np.ndarray,
    exclude: bool = False,
    discount: float = 1.0,
) -> dict[str, np.ndarray]:
    """Orders with a product, pieces and an amount; payment fields are filled by ``settle``."""
    n = buyer.size
    product = rng.choice(len(PRODUCTS), n, p=_PRODUCT_P)
    items = rng.choice(np.array([1, 2, 3, 4]), n, p=[0.62, 0.24, 0.09, 0.05])
    coupon = np.where(rng.random(n) < 0.2, 0.95, 1.0)  # a store coupon now and then
    cents = np.round(_PRICE[product] * items * discount * coupon).astype(np.int64)
    return {
        "order_no": np.arange(first_no, first_no + n, dtype=np.int64),
        "buyer": buyer.astype(np.int64),
        "created": created.astype(np.int64),
        "paid": np.full(n, -1, dtype=np.int64),
        "cents": cents,
        "items": items.astype(np.int64),
        "refund": np.zeros(n, dtype=np.int64),
        "exclude": np.full(n, exclude),
        "product": product.astype(np.int64),
        "agent": agent.astype(np.int64),  # credited agent, -1 for silent orders
        "status": np.zeros(n, dtype=np.int64),
    }


def concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def in_service(t: np.ndarray, rng: np.random.Generator, spread_s: int) -> np.ndarray:
    """Move times outside 08-23 h to the next 08:00 plus a little."""
    tod = t % DAY
    late = tod >= SERVICE_END_H * H
    early = tod < SERVICE_START_H * H
    morning = t - tod + SERVICE_START_H * H + rng.integers(0, spread_s, t.size)
    return np.where(late, morning + DAY, np.where(early, morning, t))


@dataclass
class Settled:
    reminders: dict[str, np.ndarray]
    im_messages: dict[str, np.ndarray]
    cases: dict[str, np.ndarray]
    convs: dict[str, np.ndarray]  # later chats: t0, buyer, kind, agent (-1: route then)


def settle(
    rng: np.random.Generator,
    o: dict[str, np.ndarray],
    forced_paid: np.ndarray,
    end: int,
    aftersale: Route,
    first_case_no: int,
) -> Settled:
    """Fill paid_at, refunds and status of new orders; derive their reminders, cases, chats.

    ``forced_paid`` >= 0 fixes a payment time (a silent buyer who asked first, then paid)."""
    n = o["buyer"].size
    created, fake = o["created"], o["exclude"]
    silent = o["agent"] < 0
    paid = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    immediate = fake | (u < np.where(silent, 0.70, 0.80))
    paid[immediate] = (
        created[immediate] + 10 + rng.lognormal(np.log(90), 0.8, immediate.sum()).astype(np.int64)
    )
    forced = forced_paid >= 0
    paid[forced] = forced_paid[forced]
    delayed = ~immediate & ~forced

    # payment reminders by the responsible agent: the credited presale agent, else aftersale
    responsible = np.where(silent, aftersale(created), o["agent"])
    reminded = delayed & (rng.random(n) < 0.78)
    r_idx = np.flatnonzero(reminded)
    r_t = in_service(created[r_idx] + rng.integers(20 * 60, 120 * 60, r_idx.size), rng, 90 * 60)
    r_script = rng.choice(len(SCRIPTS), r_idx.size, p=SCRIPT_MIX)
    r_chan = rng.choice(len(CHANNEL_MIX), r_idx.size, p=CHANNEL_MIX)
    p_ok = np.minimum(0.9, _SCRIPT_P[r_script] * CHANNEL_EFFECT[r_chan])
    ok = rng.random(r_idx.size) < p_ok
    wait = np.minimum(rng.lognormal(np.log(2700), 1.0, r_idx.size), 70 * H).astype(np.int64)
    paid[r_idx[ok]] = r_t[ok] + 60 + wait[ok]
    # a second try the next day by sms or phone for a third of the failures
    again = ~ok & (rng.random(r_idx.size) < 0.35)
    a_idx = r_idx[again]
    a_t = in_service(r_t[again] + rng.integers(18 * H, 30 * H, a_idx.size), rng, 3 * H)
    a_script = rng.choice(len(SCRIPTS), a_idx.size, p=SCRIPT_MIX)
    a_chan = rng.choice(np.array([1, 2]), a_idx.size, p=[0.7, 0.3])
    a_ok = rng.random(a_idx.size) < 0.6 * _SCRIPT_P[a_script] * CHANNEL_EFFECT[a_chan]
    a_wait = np.minimum(rng.lognormal(np.log(3600), 1.0, a_idx.size), 70 * H).astype(np.int64)
    paid[a_idx[a_ok]] = a_t[a_ok] + 60 + a_wait[a_ok]
    # not reminded: some pay on their own (often the next day); a few get a stale reminder after
    own = delayed & ~reminded & (rng.random(n) < 0.35)
    paid[own] = created[own] + 600 + rng.lognormal(np.log(5 * H), 0.8, own.sum()).astype(np.int64)
    stale = np.flatnonzero(own & (rng.random(n) < 0.25))
    s_t = paid[stale] + rng.integers(120, 3600, stale.size)

    rem_order = np.concatenate([r_idx, a_idx, stale])
    rem = {
        "order_no": o["order_no"][rem_order],
        "agent": responsible[rem_order],
        "sent_at": np.concatenate([r_t, a_t, s_t]),
        "channel": np.concatenate([r_chan, a_chan, np.zeros(stale.size, dtype=np.int64)]),
        "script": np.concatenate([r_script, a_script, rng.choice(len(SCRIPTS), stale.size)]),
    }
    im = np.flatnonzero(rem["channel"] == 0)
    im_messages = {
        "sent_at": rem["sent_at"][im],
        "buyer": o["buyer"][rem_order][im],
        "agent": rem["agent"][im],
        "is_buyer": np.zeros(im.size, dtype=bool),
        "is_auto": np.zeros(im.size, dtype=bool),
        "content": IDX["script_off"] + rem["script"][im],
    }

    paid[paid >= end] = -1  # not paid by the end of the export
    o["paid"] = paid
    cases, convs = _after_sales(rng, o, end, aftersale, first_case_no)
    o["status"] = _status(o, end)
    return Settled(rem, im_messages, cases, convs)


def _after_sales(
    rng: np.random.Generator, o: dict[str, np.ndarray], end: int, aftersale: Route, first_no: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Refunds with their cases, exchanges, complaints; shipping questions days after payment."""
    n = o["buyer"].size
    paid, cents = o["paid"], o["cents"]
    real = (paid >= 0) & ~o["exclude"]
    u = rng.random(n)
    refund = real & (u < 0.07)
    full = refund & (rng.random(n) < 0.45)
    partial = refund & ~full
    kind = np.full(n, -1, dtype=np.int64)  # index in CASE_KINDS
    kind[full] = np.where(rng.random(full.sum()) < 0.6, 1, 0)
    kind[partial] = np.where(rng.random(partial.sum()) < 0.7, 0, 1)
    kind[real & (u >= 0.07) & (u < 0.092)] = 2  # exchange
    kind[real & (u >= 0.092) & (u < 0.100)] = 3  # complaint
    c = np.flatnonzero(kind >= 0)
    day = (paid[c] // DAY) + rng.integers(2, 10, c.size)
    opened = day * DAY + SERVICE_START_H * H + rng.integers(H, 14 * H, c.size)
    live = opened < end  # a case opened after the export is not in it; nor is its refund
    c, opened = c[live], opened[live]
    ck = kind[c]
    refund_cents = np.where(
        ck <= 1,
        np.where(full[c], cents[c], np.round(cents[c] * rng.uniform(0.15, 0.5, c.size))),
        0,
    ).astype(np.int64)
    o["refund"][c] = refund_cents
    hours = rng.lognormal(np.log(30), 0.7, c.size) * np.where(ck == 3, 1.4, 1.0)
    # tickets are closed in working hours
    resolved = in_service(opened + (hours * H).astype(np.int64), rng, 2 * H)
    resolved[resolved >= end] = -1  # still open at the end of the export
    agent = aftersale(opened)
    disputed = rng.random(c.size) < np.array([0.02, 0.04, 0.02, 0.25])[ck]
    cases = {
        "case_no": np.arange(first_no, first_no + c.size, dtype=np.int64),
        "order_no": o["order_no"][c],
        "buyer": o["buyer"][c],
        "agent": agent,
        "kind": ck,
        "opened": opened,
        "resolved": resolved,
        "disputed": disputed,
    }
    case_chat = {
        "t0": opened - rng.integers(5 * 60, 40 * 60, c.size),
        "buyer": o["buyer"][c],
        "kind": CASE_BASE + ck,
        "agent": agent,
    }
    # "什么时候发货 / 快递到哪了": 1-3 days after payment, routed then
    q = np.flatnonzero(real & (rng.random(n) < 0.30))
    t0 = (paid[q] // DAY + rng.integers(1, 4, q.size)) * DAY
    t0 += SERVICE_START_H * H + rng.integers(H // 2, 14 * H, q.size)
    consult = {
        "t0": t0,
        "buyer": o["buyer"][q],
        "kind": np.full(q.size, CONSULT, dtype=np.int64),
        "agent": np.full(q.size, -1, dtype=np.int64),
    }
    assert len(CASE_KINDS) == 4
    return cases, concat([case_chat, consult])


def _status(o: dict[str, np.ndarray], end: int) -> np.ndarray:
    paid, created = o["paid"], o["created"]
    full_refund = (o["refund"] > 0) & (o["refund"] >= o["cents"])
    age = end - paid
    status = np.where(age > 8 * DAY, COMPLETED, np.where(age > DAY, SHIPPED, PAID))
    status = np.where(full_refund, CLOSED, status)
    # unpaid orders close after 48 h
    return np.where(paid < 0, np.where(end - created > 2 * DAY, CLOSED, CREATED), status)
