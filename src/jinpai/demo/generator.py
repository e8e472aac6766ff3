"""The demo shop generator: a believable month of the seed-000 team as a canonical data folder.

Days are simulated one after another; each day is a handful of numpy batches (its chats, orders,
reminders, cases). Rows that belong to a later day (a payment reminder the next morning, a chat
crossing midnight, an order placed the day after chatting) wait in time-ordered buffers and are
written when their day is done, so memory holds about one day and files come out in time order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from jinpai.canonical.schema import TABLES
from jinpai.demo import chats, commerce, staff
from jinpai.demo.chats import INQUIRY, PREPAY, REVISIT, Convs
from jinpai.demo.output import Format, Pending, TableSink, money, nicks, take, timestamps
from jinpai.demo.shop import (
    CAMPAIGN_HOURLY,
    CHANNELS,
    HOURLY,
    IS_AFTERSALE,
    IS_PRESALE,
    PRODUCTS,
    ROSTER,
    SCRIPTS,
    agent_arrays,
    campaign_day,
    day_weights,
)
from jinpai.demo.texts import BANK, pick

DAY, H = 86400, 3600
EPOCH = date(1970, 1, 1)
SILENT_PER_INQUIRY = 0.60  # silent orders per inquiry chat: ~55% of orders are silent
FAKE_PER_INQUIRY = 0.012  # 补单
REVISITS_PER_INQUIRY = 0.03
HISTORY_DAYS = 180
POOL_PER_INQUIRY = 0.35  # returning buyers known from the 180 days before the period
ORDER_ID_BASE = 3_612_345_000_000_000_000
MESSAGE_ID_BASE = 100_000_000_000
CASE_ID_BASE = 202_400_000
DEFAULT_MESSAGES = 60_000
_PILOT_MESSAGES = 100_000
_EST_MESSAGES_PER_INQUIRY = 15.0  # first guess only; the pilot run measures it
ALL_AGENTS = np.ones(len(ROSTER), dtype=bool)


@dataclass(frozen=True)
class GenerationSummary:
    out: Path
    fmt: str
    seed: int
    days: int
    start: date
    campaign: date
    rows: dict[str, int]
    seconds: float
    files: list[Path] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.rows["messages"]

    @property
    def throughput(self) -> float:
        """Messages written per second."""
        return self.messages / self.seconds if self.seconds else 0.0


def generate_shop(
    out: Path,
    seed: int = 0,
    days: int = 31,
    messages: int = DEFAULT_MESSAGES,
    start: date = date(2024, 3, 1),
    fmt: Format = "parquet",
) -> GenerationSummary:
    """Write the demo shop's tables (one file each, ``fmt``) into ``out``; about ``messages``
    chat messages over ``days`` days from ``start``. Same arguments -> byte-identical files."""
    if days < 1 or messages < 1:
        raise ValueError("days and messages must be positive")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}")
    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scale = _calibrate(seed, days, messages, start)
    sinks = {name: TableSink(out, table, fmt) for name, table in TABLES.items()}
    try:
        _Simulation(seed, days, start, scale, sinks).run()
    finally:
        for s in sinks.values():
            s.close()
    return GenerationSummary(
        out=out,
        fmt=fmt,
        seed=seed,
        days=days,
        start=start,
        campaign=date.fromordinal(start.toordinal() + campaign_day(days, start)),
        rows={name: s.rows for name, s in sinks.items()},
        seconds=time.perf_counter() - t_start,
        files=[s.path for s in sinks.values()],
    )


def _calibrate(seed: int, days: int, messages: int, start: date) -> float:
    """Inquiry chats per unit of day weight giving ~``messages`` in total, measured by a pilot
    run without output (chat length, follow-up chats and reminders all add messages)."""
    pilot_scale = _PILOT_MESSAGES / (_EST_MESSAGES_PER_INQUIRY * days)
    pilot = _Simulation(seed + 7919, days, start, pilot_scale, None)
    pilot.run()
    per_weight = max(pilot.counts["messages"], 1) / (pilot_scale * pilot.weights.sum())
    # the real run draws its day weights first from the same seed
    weights = day_weights(days, start, np.random.default_rng(seed))
    return messages / (per_weight * weights.sum())


class _Growing:
    """An append-only int64 array (buyers seen this period) with amortised growth."""

    def __init__(self) -> None:
        self.data = np.empty(1024, dtype=np.int64)
        self.n = 0

    def add(self, values: np.ndarray) -> None:
        need = self.n + values.size
        if need > self.data.size:
            self.data = np.resize(self.data, max(need, 2 * self.data.size))
        self.data[self.n : need] = values
        self.n = need


class _Simulation:
    def __init__(
        self, seed: int, days: int, start: date, scale: float, sinks: dict[str, TableSink] | None
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.days, self.start, self.scale, self.sinks = days, start, scale, sinks
        self.day0 = (start - EPOCH).days * DAY
        self.end = self.day0 + days * DAY
        self.campaign = campaign_day(days, start)
        self.weights = day_weights(days, start, self.rng)
        self.agents = agent_arrays()
        self.plan = staff.schedule(days, self.campaign)
        self.duty = staff.duty_weights(self.plan, self.agents["capacity"])
        self.pool = max(1, int(scale * self.weights.sum() * POOL_PER_INQUIRY))
        self.next_buyer = self.pool
        self.next_order = self.next_case = self.next_message = 0
        self.seen = _Growing()
        self.pending = {
            "messages": Pending("sent_at"),
            "orders": Pending("created"),
            "reminders": Pending("sent_at"),
            "cases": Pending("opened"),
            "convs": Pending("t0"),
        }
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.agent_ids = pa.array([a.agent_id for a in ROSTER])
        self.bank = pa.array(BANK)

    # ---------------------------------------------------------------- run
    def run(self) -> None:
        if self.sinks is not None:
            self._roster()
            self._history()
        for d in range(self.days):
            self._day(d)
            self._flush(min(self.day0 + (d + 1) * DAY, self.end))

    def _roster(self) -> None:
        assert self.sinks is not None
        self.sinks["agents"].write(staff.agent_rows(self.start))
        sh = staff.shift_rows(self.plan, self.day0)
        self.sinks["shifts"].write(
            {
                "agent_id": take(self.agent_ids, sh["agent"]),
                "starts_at": timestamps(sh["starts_at"]),
                "ends_at": timestamps(sh["ends_at"]),
            }
        )
        r = staff.rating_rows(self.rng, self.plan, self.start)
        r["agent_id"] = take(self.agent_ids, np.array(r.pop("agent"), dtype=np.int64))
        self.sinks["ratings"].write(r)

    def _history(self) -> None:
        """Earlier purchases of the returning-buyer pool, so repeat share and churn have data."""
        rng = self.rng
        per_buyer = 1 + rng.poisson(0.6, self.pool)
        buyer = np.repeat(np.arange(self.pool, dtype=np.int64), per_buyer)
        day = rng.integers(-HISTORY_DAYS, 0, buyer.size)
        created = self.day0 + day * DAY + _times_of_day(rng, HOURLY, buyer.size)
        order = np.argsort(created, kind="stable")
        buyer, created = buyer[order], created[order]
        for lo in range(0, buyer.size, 500_000):
            b, c = buyer[lo : lo + 500_000], created[lo : lo + 500_000]
            o = commerce.new_orders(rng, self.next_order, b, c, np.full(b.size, -1))
            self.next_order += b.size
            o["paid"] = c + 10 + rng.integers(0, 900, b.size)
            full = rng.random(b.size) < 0.03
            o["refund"] = np.where(full, o["cents"], 0)
            o["status"] = np.where(full, commerce.CLOSED, commerce.COMPLETED)
            self._write_orders(o)

    # ---------------------------------------------------------------- one day
    def _day(self, d: int) -> None:
        rng, lam = self.rng, self.scale * self.weights[d]
        t_day = self.day0 + d * DAY
        camp = d == self.campaign
        hourly = CAMPAIGN_HOURLY if camp else HOURLY
        conv = self._inquiries(d, t_day, hourly, int(rng.poisson(lam)), camp)

        # silent and fake orders, placed without chatting
        n_s, n_f = rng.poisson(lam * SILENT_PER_INQUIRY), rng.poisson(lam * FAKE_PER_INQUIRY)
        s_created = t_day + _times_of_day(rng, hourly, n_s)
        silent = commerce.new_orders(
            rng, self._orders(n_s), self._buyers(n_s, 0.62, 0.26), s_created,
            np.full(n_s, -1), discount=0.85 if camp else 1.0,
        )  # fmt: skip
        f_created = t_day + _times_of_day(rng, hourly, n_f)
        fake = commerce.new_orders(
            rng, self._orders(n_f), self._new_buyers(n_f), f_created, np.full(n_f, -1), exclude=True
        )
        # some silent buyers ask before paying ("刚拍了,什么时候发货"), then pay: secured silent
        asks = np.flatnonzero(rng.random(n_s) < 0.24)
        prepay = self._convs(
            d, s_created[asks] + rng.integers(120, 1200, asks.size), silent["buyer"][asks], PREPAY
        )
        revisit, outreach = self._revisits(d, t_day, lam)
        later = self.pending["convs"].pop_before(t_day + DAY)
        parts = [conv, prepay, revisit]
        if later is not None:
            parts.append(self._convs(d, later["t0"], later["buyer"], later["kind"], later["agent"]))
        batch = _concat_convs(parts)
        msgs, outcome = chats.build(
            rng,
            batch,
            self.agents["reply_median_s"],
            self.agents["away_p"],
            self.agents["unanswered_p"],
        )
        self.pending["messages"].push(msgs)
        self.pending["messages"].push(outreach)

        # inquiry orders: placed after the chat, within the two-day window
        n_inq = conv.size
        o_inq = self._inquiry_orders(d, t_day, outcome, n_inq, conv, camp)
        forced = np.full(n_s, -1, dtype=np.int64)
        o_asked = n_inq + np.arange(asks.size)
        pays = rng.random(asks.size) < 0.9
        forced[asks[pays]] = outcome.end_t[o_asked[pays]] + rng.integers(60, 900, pays.sum())
        orders = commerce.concat([o_inq, silent, fake])
        forced_all = np.concatenate([np.full(o_inq["buyer"].size, -1), forced, np.full(n_f, -1)])
        settled = commerce.settle(
            rng,
            orders,
            forced_all,
            self.end,
            lambda t: self._route_at(t, IS_AFTERSALE),
            self.next_case,
        )
        self.next_case += settled.cases["case_no"].size
        self.seen.add(orders["buyer"][~orders["exclude"]])
        self.pending["orders"].push(orders)
        self.pending["reminders"].push(settled.reminders)
        self.pending["messages"].push(settled.im_messages)
        self.pending["cases"].push(settled.cases)
        self.pending["convs"].push(settled.convs)

    def _inquiries(self, d: int, t_day: int, hourly: np.ndarray, n: int, camp: bool) -> Convs:
        rng = self.rng
        t0 = t_day + _times_of_day(rng, hourly, n)
        c = self._convs(d, t0, self._buyers(n, 0.72, 0.20), INQUIRY, mask=IS_PRESALE)
        # transfers: the buyer waits, then is moved to another presale agent
        hours = (t0 - t_day) // H
        other = staff.route(rng, self.duty, d, hours, IS_PRESALE)
        moved = (rng.random(n) < 0.04) & (other != c.agent)
        c.agent2 = np.where(moved, other, -1)
        closer = np.where(moved, other, c.agent)
        c.intent = rng.random(n) < self.agents["conversion"][closer] * (1.08 if camp else 1.0)
        return c

    def _inquiry_orders(
        self, d: int, t_day: int, out: chats.ConvOutcome, n: int, conv: Convs, camp: bool
    ) -> dict[str, np.ndarray]:
        rng = self.rng
        agent, end_t = out.last_reply_agent[:n], out.end_t[:n]
        # an unanswered last question loses half the buyers who meant to buy
        buys = conv.intent & (agent >= 0) & (out.closed_answered[:n] | (rng.random(n) < 0.5))
        i = np.flatnonzero(buys)
        u = rng.random(i.size)
        soon = end_t[i] + 30 + rng.lognormal(np.log(300), 1.0, i.size).astype(np.int64)
        later = end_t[i] + rng.integers(H, 8 * H, i.size)
        next_day = t_day + DAY + _times_of_day(rng, HOURLY, i.size)
        created = np.where(u < 0.7, soon, np.where(u < 0.9, later, next_day))
        created = np.minimum(created, t_day + 2 * DAY - 1)  # stay inside the credit window
        created = np.maximum(created, end_t[i] + 1)
        return commerce.new_orders(
            rng, self._orders(i.size), conv.buyer[i], created, agent[i],
            discount=0.85 if camp else 1.0,
        )  # fmt: skip

    def _revisits(self, d: int, t_day: int, lam: float) -> tuple[Convs, dict[str, np.ndarray]]:
        """回访: an agent writes to an earlier customer (outreach); a third of them answer."""
        rng = self.rng
        n = int(rng.poisson(lam * REVISITS_PER_INQUIRY))
        t = t_day + rng.integers(10 * H, 20 * H, n)
        buyer = rng.integers(0, self.pool, n)
        agent = self._route_at(t, IS_AFTERSALE)
        outreach = {
            "sent_at": t,
            "buyer": buyer,
            "agent": agent,
            "is_buyer": np.zeros(n, dtype=bool),
            "is_auto": np.zeros(n, dtype=bool),
            "content": pick(rng, "revisit_open", n),
        }
        answer = rng.random(n) < 0.33
        c = self._convs(
            d, t[answer] + rng.integers(120, 3600, answer.sum()), buyer[answer], REVISIT,
            agent=agent[answer],
        )  # fmt: skip
        return c, outreach

    # ---------------------------------------------------------------- helpers
    def _convs(
        self,
        d: int,
        t0: np.ndarray,
        buyer: np.ndarray,
        kind: int | np.ndarray,
        agent: np.ndarray | None = None,
        mask: np.ndarray = ALL_AGENTS,
    ) -> Convs:
        n = t0.size
        kinds = np.broadcast_to(np.asarray(kind, dtype=np.int64), (n,)).copy()
        routed = self._route_at(t0, mask)
        if agent is not None:
            routed = np.where(agent >= 0, agent, routed)
        hour = (t0 % DAY) // H
        load = (1.6 if d == self.campaign else 1.0) * (1 + 0.25 * HOURLY[hour] / HOURLY.max())
        return Convs(
            t0=t0.astype(np.int64),
            buyer=buyer.astype(np.int64),
            kind=kinds,
            agent=routed,
            agent2=np.full(n, -1, dtype=np.int64),
            intent=np.zeros(n, dtype=bool),
            load=load,
        )

    def _route_at(self, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Agents of ``mask`` on duty at times ``t`` (day clipped to the period)."""
        days = np.clip((t - self.day0) // DAY, 0, self.days - 1)
        hours = (t % DAY) // H
        out = np.empty(t.size, dtype=np.int64)
        for d in np.unique(days):  # a day or two per call
            sel = days == d
            out[sel] = staff.route(self.rng, self.duty, int(d), hours[sel], mask)
        return out

    def _new_buyers(self, n: int) -> np.ndarray:
        ids = np.arange(self.next_buyer, self.next_buyer + n, dtype=np.int64)
        self.next_buyer += n
        return ids

    def _buyers(self, n: int, p_new: float, p_pool: float) -> np.ndarray:
        """New buyers, returning buyers from the pool, and buyers already seen this period."""
        u = self.rng.random(n)
        out = self._new_buyers(n)
        pool = u >= p_new
        out[pool] = self.rng.integers(0, self.pool, pool.sum())
        seen = (u >= p_new + p_pool) & (self.seen.n > 0)
        out[seen] = self.seen.data[self.rng.integers(0, max(self.seen.n, 1), seen.sum())]
        return out

    def _orders(self, n: int) -> int:
        first = self.next_order
        self.next_order += n
        return first

    # ---------------------------------------------------------------- output
    def _flush(self, t: int) -> None:
        for name in ("messages", "orders", "reminders", "cases"):
            rows = self.pending[name].pop_before(t)
            if rows is None:
                continue
            n = len(next(iter(rows.values())))
            self.counts[name] += n
            if self.sinks is not None:
                getattr(self, f"_write_{name}")(rows)

    def _write_messages(self, m: dict[str, np.ndarray]) -> None:
        assert self.sinks is not None
        n = m["sent_at"].size
        ids = np.arange(self.next_message, self.next_message + n, dtype=np.int64) + MESSAGE_ID_BASE
        self.next_message += n
        self.sinks["messages"].write(
            {
                "buyer_id": nicks(m["buyer"]),
                "agent_id": take(self.agent_ids, m["agent"]),
                "sender": take(["agent", "buyer"], m["is_buyer"].astype(np.int64)),
                "sent_at": timestamps(m["sent_at"]),
                "is_auto": m["is_auto"],
                "content": take(self.bank, m["content"]),
                "message_id": pa.array(ids).cast(pa.string()),
            }
        )

    def _write_orders(self, o: dict[str, np.ndarray]) -> None:
        assert self.sinks is not None
        self.sinks["orders"].write(
            {
                "order_id": _order_ids(o["order_no"]),
                "buyer_id": nicks(o["buyer"]),
                "created_at": timestamps(o["created"]),
                "paid_at": timestamps(o["paid"], null=o["paid"] < 0),
                "amount": money(o["cents"]),
                "status": take(list(commerce.STATUSES), o["status"]),
                "items": o["items"],
                "refund_amount": money(o["refund"]),
                "exclude": o["exclude"],
                "sku": take([p.sku for p in PRODUCTS], o["product"]),
                "title": take([p.title for p in PRODUCTS], o["product"]),
            }
        )

    def _write_reminders(self, r: dict[str, np.ndarray]) -> None:
        assert self.sinks is not None
        self.sinks["reminders"].write(
            {
                "order_id": _order_ids(r["order_no"]),
                "agent_id": take(self.agent_ids, r["agent"]),
                "sent_at": timestamps(r["sent_at"]),
                "channel": take(list(CHANNELS), r["channel"]),
                "script_id": take([s[0] for s in SCRIPTS], r["script"]),
            }
        )

    def _write_cases(self, c: dict[str, np.ndarray]) -> None:
        assert self.sinks is not None
        self.sinks["cases"].write(
            {
                "case_id": pa.array(c["case_no"] + CASE_ID_BASE).cast(pa.string()),
                "order_id": _order_ids(c["order_no"]),
                "buyer_id": nicks(c["buyer"]),
                "agent_id": take(self.agent_ids, c["agent"]),
                "kind": take(list(chats.CASE_KINDS), c["kind"]),
                "opened_at": timestamps(c["opened"]),
                "resolved_at": timestamps(c["resolved"], null=c["resolved"] < 0),
                "disputed": c["disputed"],
            }
        )


def _order_ids(no: np.ndarray) -> pa.Array:
    # Taobao-like 19-digit ids; the stride makes neighbours look unrelated
    return pa.array(ORDER_ID_BASE + no * 7919 + no % 89).cast(pa.string())


def _times_of_day(rng: np.random.Generator, hourly: np.ndarray, n: int) -> np.ndarray:
    """Seconds into the day, hours drawn from the ``hourly`` profile."""
    hours = rng.choice(24, n, p=hourly / hourly.sum())
    return hours * H + rng.integers(0, H, n)


def _concat_convs(parts: list[Convs]) -> Convs:
    return Convs(
        **{f: np.concatenate([getattr(p, f) for p in parts]) for f in Convs.__dataclass_fields__}
    )
