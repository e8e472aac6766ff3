"""Building blocks of credit (落实), inquiries (询单) and sales (metrics.md, Inquiries, credit and
sales). Other families (customers, reminders) and ``jinpai explain`` read them, so their names and
columns are a contract.

Windows (W = order_window_days, all ranges half-open, "last" = greatest (sent_us, seq)):

- credit lookback of an order created on day C: ``[start of day C - W + 1, created_at)``;
- conversion window of an inquiry on day D with first buyer message t0: ``[t0, end of D + W - 1)``;
- after-sales look-back of an inquiry: ``[t0 - after_sales_days x 24 h, t0)``.

Day boundaries compare shop-local day indexes (``X_day``), instants compare UTC micro-seconds.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jinpai.metrics.base import Level
from jinpai.metrics.blocks_chat import packed  # also registers the chat blocks read here
from jinpai.metrics.context import MetricContext, block
from jinpai.metrics.rules import MICROS_PER_DAY

BUYER_DAY = ("shop_id", "buyer_id", "day")


def _replies(ctx: MetricContext) -> ir.Table:
    """Valid replies (chat family's block, level-free) under names that never clash in joins."""
    r = ctx.block("valid_replies", Level.AGENT)
    return r.select(
        r_shop="shop_id",
        r_buyer="buyer_id",
        r_agent="agent_id",
        r_day="day",
        r_us="sent_us",
        r_seq="seq",
    )


def _flag(condition: ir.BooleanValue) -> ir.BooleanScalar:
    """Whether any row of the group meets ``condition`` (false, not null, for no or null rows)."""
    return ibis.ifelse(condition, 1, 0).max() == 1


@block("credited_orders")
def credited_orders(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per existing order with the rule and the reply that credited it (level-free).

    ``credit``: 'inquiry' when the buyer got a valid reply in the credit lookback (``agent_id``:
    the agent of the last one, ``credit_message_*`` that reply), else 'silent'. A silent order
    whose buyer got a valid reply in ``[created_at, paid_at)`` is secured by the agent of the last
    one (``secured_*``). ``silent_at_payment`` (paid orders only): no valid reply in ``[start of
    the credit lookback, paid_at)``. An order's product and status are left to the orders
    table (``jinpai explain`` shows them): the block stays small.
    """
    window = ctx.rules.order_window_days
    o = ctx.orders
    orders = o.select(
        "shop_id",
        "order_id",
        "buyer_id",
        "seq",
        "created_us",
        "created_lus",
        "created_day",
        "paid_us",
        "paid_lus",
        "paid_day",
        "amount",
        "refund_amount",
        "items",
        net=o.amount - o.refund_amount,
        fully_refunded=(o.refund_amount > 0) & (o.refund_amount >= o.amount),
        lookback_day=o.created_day - (window - 1),
    )
    r = _replies(ctx)
    # one join for both windows: the lookback [start of C - W + 1, created_at) and, after it,
    # [created_at, paid_at) for securing a silent order
    pairs = orders.select(
        "shop_id", "order_id", "buyer_id", "created_us", "paid_us", "lookback_day"
    )
    pairs = pairs.join(
        r,
        [
            pairs.shop_id == r.r_shop,
            pairs.buyer_id == r.r_buyer,
            r.r_day >= pairs.lookback_day,
            (r.r_us < pairs.created_us) | (pairs.paid_us.notnull() & (r.r_us < pairs.paid_us)),
        ],
    )
    # the last reply of each window: the greatest (sent_us, seq), packed into one exact key
    before = pairs.r_us < pairs.created_us
    after = ~before
    key = packed(pairs.r_us, pairs.r_seq)
    credit = pairs.group_by(c_shop="shop_id", c_order="order_id").aggregate(
        c_agent=pairs.r_agent.argmax(key, where=before),
        c_seq=pairs.r_seq.argmax(key, where=before),
        c_us=pairs.r_us.max(where=before),
        s_agent=pairs.r_agent.argmax(key, where=after),
        s_seq=pairs.r_seq.argmax(key, where=after),
        s_us=pairs.r_us.max(where=after),
    )
    t = orders.left_join(
        credit, [orders.shop_id == credit.c_shop, orders.order_id == credit.c_order]
    )
    silent = t.c_agent.isnull()
    secured = silent & t.s_agent.notnull()
    return t.select(
        "shop_id",
        "order_id",
        "buyer_id",
        "seq",
        "created_us",
        "created_lus",
        "created_day",
        "paid_us",
        "paid_lus",
        "paid_day",
        "amount",
        "refund_amount",
        "net",
        "items",
        "fully_refunded",
        credit=ibis.ifelse(silent, "silent", "inquiry"),
        agent_id=t.c_agent,
        credit_message_seq=t.c_seq,
        credit_message_us=t.c_us,
        secured_agent_id=ibis.ifelse(secured, t.s_agent, ibis.null("string")),
        secured_message_seq=ibis.ifelse(secured, t.s_seq, ibis.null("int64")),
        secured_message_us=ibis.ifelse(secured, t.s_us, ibis.null("int64")),
        silent_at_payment=ibis.ifelse(t.paid_us.notnull(), silent & ~secured, ibis.null("boolean")),
    )


def _first_buyer_messages(ctx: MetricContext) -> ir.Table:
    """The first buyer message (t0) of every buyer-day over all of its chats, and ``answered``:
    whether any of them got a valid reply. Chat-days hold their own first buyer message; t0 is
    the least (sent_us, seq) of those."""
    c = ctx.block("agent_chat_days", Level.AGENT)
    c = c.filter(c.buyer_messages > 0)
    first = packed(c.first_buyer_us, c.first_buyer_seq)
    return c.group_by(list(BUYER_DAY)).aggregate(
        t0_us=c.first_buyer_us.min(),
        t0_lus=c.first_buyer_lus.argmin(first),
        t0_seq=c.first_buyer_seq.argmin(first),
        answered=c.has_reply.any(),
    )


def _conversion(
    ctx: MetricContext, inquiries: ir.Table, orders: ir.Table, keys: tuple[str, ...]
) -> ir.Table:
    """``inquiries`` (``keys`` + t0) with the flags of ``orders`` created in the conversion
    window, and ``prior_order``: an order created in the after-sales look-back."""
    rules = ctx.rules
    o = orders.select(
        o_shop="shop_id",
        o_buyer="buyer_id",
        o_agent="agent_id",
        o_id="order_id",
        o_created_us="created_us",
        o_created_day="created_day",
        o_paid_us="paid_us",
        o_paid_day="paid_day",
    )
    on = [
        inquiries.shop_id == o.o_shop,
        inquiries.buyer_id == o.o_buyer,
        o.o_created_us >= inquiries.t0_us - rules.after_sales_days * MICROS_PER_DAY,
        o.o_created_day <= inquiries.day + (rules.order_window_days - 1),
    ]
    if "agent_id" in keys:
        on.append(inquiries.agent_id == o.o_agent)
    j = inquiries.left_join(o, on)
    converting = j.o_created_us >= j.t0_us
    t = j.group_by([*keys, "t0_us", "t0_lus", "t0_seq"]).aggregate(
        prior_order=_flag(j.o_created_us < j.t0_us),
        ordered=_flag(converting),
        paid=_flag(converting & j.o_paid_us.notnull()),
        next_day_paid=_flag(converting & (j.o_paid_day <= j.day + 1)),
        # each order joins an inquiry once (orders are unique by shop_id, order_id)
        order_ids=j.o_id.collect(where=converting),
    )
    # sorted text rather than an array: the same on every backend and readable in explain
    ids = t.order_ids
    return t.mutate(
        order_ids=ibis.ifelse(ids.length() > 0, ids.sort().join(","), ibis.null("string"))
    )


def _shop_inquiries(ctx: MetricContext) -> ir.Table:
    """One row per inquiry buyer-day; after-sales consultations are dropped."""
    t0 = _first_buyer_messages(ctx)
    candidates = t0.filter(t0.answered).drop("answered")
    t = _conversion(ctx, candidates, _orders(ctx), BUYER_DAY)
    if ctx.rules.after_sales_days > 0:
        # an after-sales consultation: an earlier order in the look-back and none in the window
        t = t.filter(~(t.prior_order & ~t.ordered))
    return t


@block("inquiries")
def inquiries(ctx: MetricContext, level: Level) -> ir.Table:
    """Inquiries with their conversion flags (ordered / paid / next_day_paid) and ``order_ids``.

    Shop: one row per inquiry buyer-day, converted by any order (silent ones too) created in the
    conversion window. Agent: one row per (inquiry, agent who gave the buyer a valid reply that
    day), converted only by inquiry orders credited to that agent.
    """
    columns = ("t0_us", "t0_lus", "t0_seq", "ordered", "paid", "next_day_paid", "order_ids")
    if level is Level.SHOP:
        return _shop_inquiries(ctx).select(*BUYER_DAY, *columns)
    shop = ctx.block("inquiries", Level.SHOP)
    c = ctx.block("agent_chat_days", Level.AGENT)
    repliers = c.filter(c.has_reply).select(*BUYER_DAY, "agent_id", "first_reply_us")
    agent_rows = repliers.join(
        shop.select(*BUYER_DAY, "t0_us", "t0_lus", "t0_seq"), list(BUYER_DAY)
    )
    o = _orders(ctx)
    credited = o.filter(o.credit == "inquiry")
    keys = (*BUYER_DAY, "agent_id", "first_reply_us")
    t = _conversion(ctx, agent_rows, credited, keys)
    return t.select(*BUYER_DAY, "agent_id", "first_reply_us", *columns)


def _orders(ctx: MetricContext) -> ir.Table:
    """``credited_orders`` is level-free: build (and cache) it once."""
    return ctx.block("credited_orders", Level.SHOP)


@block("sales_orders", stored=False)
def sales_orders(ctx: MetricContext, level: Level) -> ir.Table:
    """The sales orders: inquiry orders (agent_id = the credited agent), paid, not fully
    refunded. Attributed by created_day."""
    o = _orders(ctx)
    return o.filter(o.credit == "inquiry", o.paid_us.notnull(), ~o.fully_refunded)


@block("secured_silent_orders", stored=False)
def secured_silent_orders(ctx: MetricContext, level: Level) -> ir.Table:
    """Secured silent orders, paid, not fully refunded, with ``agent_id`` = the securing agent.
    Attributed by created_day."""
    o = _orders(ctx)
    o = o.filter(o.secured_agent_id.notnull(), ~o.fully_refunded)
    return o.mutate(agent_id=o.secured_agent_id)


@block("volume_orders", stored=False)
def volume_orders(ctx: MetricContext, level: Level) -> ir.Table:
    """Shop: every order. Agent: the inquiry orders credited to the agent."""
    o = _orders(ctx)
    return o if level is Level.SHOP else o.filter(o.credit == "inquiry")
