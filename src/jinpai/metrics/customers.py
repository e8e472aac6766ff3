"""Customers (客户黏度 and 吸引新客户能力 of the balanced-scorecard grading): repeat buyers, churn, purchase cycle, new
customers' conversion, repurchase and retention (metrics.md, Customers).

Everything rests on **purchases**: buyer-days (the shop-local day of paid_at) with at least one
paid order that is not fully refunded, over the whole history up to as_of. A follow-up window
(f, f + N] is complete when the end of day f + N is <= as_of; day boundaries are whole multiples
of a day in the local domain, so that is ``f + N + 1 <= as_of_day``.

A, B and Q depend on where the period starts or ends (a purchase "before the period"), so they are
computed per window of the grain: the whole period, or each of its days. C, D and E attach to one
day (an inquiry's, a new customer's first purchase) and are plain aggregates.

Per agent, the agent's **customers** are the buyers of orders credited to the agent (inquiry
orders, or silent orders the agent secured) created in the window, paid by as_of and not fully
refunded.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jinpai.metrics.base import Aggregate, Composite, Direction, Grain, Level, Metric, Unit
from jinpai.metrics.context import MetricContext, block

FAMILY = "customers"
WHOLESALER_DAYS = 100  # a buyer with this many purchase days or more is left out of Q
BUYER = ("shop_id", "buyer_id")


@block("purchases")
def purchases(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per purchase (shop, buyer, day of paid_at) over the whole history (level-free).

    ``purchase_no`` counts the buyer's purchase days from 1; ``first_day`` is the buyer's first
    purchase day ever (the day they were new), ``next_day`` their following purchase day."""
    if level is Level.AGENT:
        return ctx.block("purchases", Level.SHOP)
    o = ctx.orders
    fully_refunded = (o.refund_amount > 0) & (o.refund_amount >= o.amount)
    o = o.filter(o.paid_us.notnull(), ~fully_refunded)
    days = o.group_by([*BUYER, o.paid_day.name("day")]).aggregate(
        orders=o.count(),
        net=(o.amount - o.refund_amount).sum(),
        first_paid_us=o.paid_us.min(),
        first_order_id=o.order_id.min(),
    )
    history = ibis.window(group_by=list(BUYER), order_by=days.day)
    whole = ibis.window(group_by=list(BUYER))
    days = days.mutate(
        purchase_no=ibis.row_number().over(history) + 1,
        prev_day=days.day.lag().over(history),
        next_day=days.day.lead().over(history),
        first_day=days.day.min().over(whole),
    )
    return days.mutate(new=days.day == days.first_day)


def _customer_orders(ctx: MetricContext) -> ir.Table:
    """Orders credited to an agent (inquiry orders, secured silent orders), paid by as_of and not
    fully refunded: one row per order with the agent it is credited to."""
    c = ctx.block("credited_orders", Level.SHOP)  # level-free
    owner = ibis.ifelse(c.credit == "inquiry", c.agent_id, c.secured_agent_id)
    c = c.mutate(owner=owner)
    c = c.filter(c.owner.notnull(), c.paid_us.notnull(), ~c.fully_refunded)
    return c.select(
        "shop_id",
        "order_id",
        "buyer_id",
        "credit",
        "created_day",
        "paid_day",
        agent_id="owner",
    )


def _first_days(ctx: MetricContext) -> ir.Table:
    p = ctx.block("purchases", Level.SHOP)
    return p.filter(p.new).select(f_shop="shop_id", f_buyer="buyer_id", first_day="first_day")


@block("new_customers")
def new_customers(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per new customer (per agent: per agent with an order credited to them among the
    purchases of the first purchase day), at the first purchase day ``day``, with whether the
    D and E follow-up windows are complete and hold another purchase."""
    rules = ctx.rules
    p = ctx.block("purchases", Level.SHOP)
    n = p.filter(p.new)
    second = n.next_day
    as_of_day = ctx.as_of_day_of(n.shop_id)
    n = n.select(
        *BUYER,
        "day",
        "orders",
        "net",
        "first_order_id",
        second_purchase_day=second,
        repurchase_complete=n.day + rules.repurchase_days + 1 <= as_of_day,
        repurchased=ibis.ifelse(second.notnull() & (second <= n.day + rules.repurchase_days), 1, 0),
        retention_complete=n.day + rules.retention_days + 1 <= as_of_day,
        retained=ibis.ifelse(second.notnull() & (second <= n.day + rules.retention_days), 1, 0),
    )
    if level is Level.SHOP:
        return n
    c = _customer_orders(ctx)
    owners = c.select(
        o_shop="shop_id", o_buyer="buyer_id", o_day="paid_day", agent_id="agent_id"
    ).distinct()
    j = n.join(
        owners, [n.shop_id == owners.o_shop, n.buyer_id == owners.o_buyer, n.day == owners.o_day]
    )
    return j.drop("o_shop", "o_buyer", "o_day")


@block("new_customer_inquiries")
def new_customer_inquiries(ctx: MetricContext, level: Level) -> ir.Table:
    """The inquiries (per agent: the agent's inquiries) of buyers with no purchase day before the
    inquiry's day; ``paid`` as in paying_buyers."""
    q = ctx.block("inquiries", level)
    f = _first_days(ctx)
    j = q.left_join(f, [q.shop_id == f.f_shop, q.buyer_id == f.f_buyer]).drop("f_shop", "f_buyer")
    j = j.filter(j.first_day.isnull() | (j.first_day >= j.day))
    return j.mutate(paying=ibis.ifelse(j.paid, 1, 0))


# --- A, B and Q: one figure per window of the grain --------------------------------------------


def _windows(ctx: MetricContext, grain: Grain) -> ir.Table:
    """The windows [w_first, w_last] (day indices) a grain reports: the period or each day."""
    first, last = ctx.period.first_day, ctx.period.last_day
    if grain.by_day:
        days = list(range(first, last + 1))
        data = {"w_first": days, "w_last": days}
    else:
        data = {"w_first": [first], "w_last": [last]}
    return ibis.memtable(data, schema={"w_first": "int64", "w_last": "int64"})


def _within(day: ir.IntegerValue, w: ir.Table, grain: Grain) -> list[ir.BooleanValue]:
    """``day`` in the window [w_first, w_last]. A one-day window is an equality, so the join is
    a hash join rather than a range join of every row with every day."""
    if grain.by_day:
        return [day == w.w_first]
    return [day >= w.w_first, day <= w.w_last]


def _members(ctx: MetricContext, grain: Grain) -> ir.Table:
    """Distinct (shop[, agent], window, buyer): at shop level buyers with a purchase in the
    window; per agent the agent's customers with the order created in it."""
    w = _windows(ctx, grain)
    if grain.level is Level.SHOP:
        t, day = ctx.block("purchases", Level.SHOP), "day"
    else:
        t, day = _customer_orders(ctx), "created_day"
    j = t.join(w, _within(t[day], w, grain))
    keys = ["shop_id", "agent_id"] if grain.level is Level.AGENT else ["shop_id"]
    return j.select(*keys, "w_first", "w_last", "buyer_id").distinct()


def _flag(members: ir.Table, flagged: ir.Table, name: str) -> ir.Table:
    """``members`` with boolean ``name``: a row of ``flagged`` has the same (shop, window, buyer)."""
    f = flagged.select(
        g_shop="shop_id", g_first="w_first", g_buyer="buyer_id", **{name: ibis.literal(True)}
    ).distinct()
    j = members.left_join(
        f,
        [
            members.shop_id == f.g_shop,
            members.w_first == f.g_first,
            members.buyer_id == f.g_buyer,
        ],
    ).drop("g_shop", "g_first", "g_buyer")
    return j.mutate(**{name: j[name].fill_null(False)})


def _purchases_before(ctx: MetricContext, members: ir.Table) -> ir.Table:
    """(shop, window, buyer) of members with a purchase before the window."""
    f = _first_days(ctx)
    j = members.join(f, [members.shop_id == f.f_shop, members.buyer_id == f.f_buyer])
    return j.filter(j.first_day < j.w_first)


def _history_at_end(ctx: MetricContext, members: ir.Table) -> ir.Table:
    """Per member: purchase days up to the window end (``n``) and days between the first and
    the last of them (``span``, the sum of the gaps). A buyer's last purchase on or before the
    end is the purchase whose next purchase day is after it (or none)."""
    p = ctx.block("purchases", Level.SHOP).select(
        h_shop="shop_id",
        h_buyer="buyer_id",
        h_day="day",
        h_next="next_day",
        n="purchase_no",
        span=lambda t: t.day - t.first_day,
    )
    return members.join(
        p,
        [
            members.shop_id == p.h_shop,
            members.buyer_id == p.h_buyer,
            p.h_day <= members.w_last,
            p.h_next.isnull() | (p.h_next > members.w_last),
        ],
    ).drop("h_shop", "h_buyer", "h_day", "h_next")


def _share(grain: Grain, t: ir.Table, num: ir.NumericValue, den: ir.NumericValue) -> ir.Table:
    """num / den per grain key (the window's first day is the day of a by-day grain); ``None``
    where den is 0. Both are whole numbers, so the division is exact in any engine."""
    keys = [t.shop_id, t.agent_id] if grain.level is Level.AGENT else [t.shop_id]
    if grain.by_day:
        keys.append(t.w_first.name("day"))
    sums = t.group_by(keys).aggregate(num=num, den=den)
    value = sums.num.cast("float64") / sums.den.cast("float64").nullif(0)
    return sums.select(*(k.get_name() for k in keys), value=value)


def _repeat_members(ctx: MetricContext, grain: Grain) -> ir.Table:
    """Members of each window with ``repeat``: a purchase before the window."""
    members = _members(ctx, grain)
    return _flag(members, _purchases_before(ctx, members), "repeat")


def repeat_customer_share(ctx: MetricContext, grain: Grain) -> ir.Table:
    t = _repeat_members(ctx, grain)
    return _share(grain, t, t.repeat.cast("int64").sum(), t.count())


def _period_rows(members: ir.Table) -> ir.Table:
    """``jinpai explain``'s rows: the members of the one window that is the period."""
    return members.drop("w_first", "w_last")


def repeat_customer_rows(ctx: MetricContext, level: Level) -> ir.Table:
    """The members of the period, each with their first purchase day ever."""
    t = _repeat_members(ctx, Grain(level))
    f = _first_days(ctx)
    j = t.left_join(f, [t.shop_id == f.f_shop, t.buyer_id == f.f_buyer])
    return _period_rows(j.drop("f_shop", "f_buyer"))


def _churn_members(ctx: MetricContext, grain: Grain) -> ir.Table:
    """Members of each window (the lookback before it) with ``lost``: no purchase at the shop in
    the window. Per agent by day the figures come from :func:`_agent_churn` instead."""
    lookback = ctx.rules.churn_lookback_days
    p = ctx.block("purchases", Level.SHOP)
    w = _windows(ctx, grain)
    if grain.level is Level.SHOP:
        # The members without a distinct over (purchase x window) pairs: a buyer is a member iff
        # their last purchase day before w_first is in [w_first - lookback, w_first - 1], and
        # that purchase is the one whose next purchase day (or none) is on or after w_first, so
        # each (buyer, window) comes from exactly one purchase row; lost: that next purchase day
        # is not in the window.
        t = p.join(
            w,
            [
                p.day < w.w_first,
                p.day >= w.w_first - lookback,
                p.next_day.isnull() | (p.next_day >= w.w_first),
            ],
        )
        return t.select(
            "shop_id",
            "w_first",
            "w_last",
            "buyer_id",
            last_purchase_day="day",
            next_purchase_day="next_day",
            lost=~(t.next_day.notnull() & (t.next_day <= t.w_last)),
        )
    # the agent's customer is a member iff an order credited to the agent was created in the
    # lookback (then their last one before w_first is in it too)
    c = _customer_orders(ctx)
    j = c.join(w, [c.created_day < w.w_first, c.created_day >= w.w_first - lookback])
    members = j.group_by("shop_id", "agent_id", "w_first", "w_last", "buyer_id").aggregate(
        last_order_day=j.created_day.max()
    )
    bought = p.join(w, _within(p.day, w, grain)).select("shop_id", "w_first", "buyer_id")
    t = _flag(members, bought, "bought")
    return t.mutate(lost=~t.bought).drop("bought")


def old_customer_churn(ctx: MetricContext, grain: Grain) -> ir.Table:
    if grain.level is Level.AGENT and grain.by_day:
        t = _agent_churn(ctx, grain)
        return _share(grain, t, t.num.sum(), t.den.sum())
    t = _churn_members(ctx, grain)
    return _share(grain, t, t.lost.cast("int64").sum(), t.count())


def _agent_churn(ctx: MetricContext, grain: Grain) -> ir.Table:
    """Per agent and day: ``den`` members, ``num`` members lost (no purchase in the window).

    The same figures as :func:`_churn_members` gives (the tests hold both to metrics.md), without
    a row per member and day: a customer of the lookback is a member of every day of the
    period. Each order day d of an agent's customer makes them a member of the windows starting
    in [d + 1, min(d + lookback, their next such order day)], and these spans of one customer
    never overlap. So members are counted from the span ends (+1 at a start, -1 after an end)
    and only the members with a purchase are joined."""
    lookback = ctx.rules.churn_lookback_days
    p = ctx.block("purchases", Level.SHOP)
    w = _windows(ctx, grain)
    c = _customer_orders(ctx).select("shop_id", "agent_id", "buyer_id", day="created_day")
    c = c.distinct()
    history = ibis.window(group_by=[c.shop_id, c.agent_id, c.buyer_id], order_by=c.day)
    after, until = c.day.lead().over(history), c.day + lookback
    spans = c.select(
        "shop_id",
        "agent_id",
        "buyer_id",
        first=c.day + 1,
        last=ibis.ifelse(after.notnull() & (after < until), after, until),
    )
    one = ibis.literal(1, "int64")
    edges = spans.select("shop_id", "agent_id", day="first", delta=one).union(
        spans.select("shop_id", "agent_id", day=spans["last"] + 1, delta=-one), distinct=False
    )
    edges = edges.group_by("shop_id", "agent_id", "day").aggregate(delta=edges.delta.sum())
    members = edges.join(w, edges.day <= w.w_first)
    members = members.group_by("shop_id", "agent_id", "w_first").aggregate(den=members.delta.sum())
    bought = p.select(q_shop="shop_id", q_buyer="buyer_id", q_day="day")
    j = spans.join(
        bought,
        [
            spans.shop_id == bought.q_shop,
            spans.buyer_id == bought.q_buyer,
            spans.first <= bought.q_day,
        ],
    )
    j = j.join(w, [j.first <= w.w_first, w.w_first <= j["last"], *_within(j.q_day, w, grain)])
    active = j.select("shop_id", "agent_id", "w_first", "buyer_id").distinct()
    active = active.group_by(a_shop="shop_id", a_agent="agent_id", a_first="w_first").aggregate(
        active=ibis._.count()
    )
    t = members.filter(members.den > 0)
    t = t.left_join(
        active,
        [t.shop_id == active.a_shop, t.agent_id == active.a_agent, t.w_first == active.a_first],
    )
    return t.select("shop_id", "agent_id", "w_first", "den", num=t.den - t.active.fill_null(0))


def _cycle_members(ctx: MetricContext, grain: Grain) -> ir.Table:
    """The buyers of each window whose gaps count: ``purchase_days`` (2 to 99) up to the window
    end and ``span_days`` from the first to the last of them (the sum of their gaps)."""
    if grain.level is Level.SHOP:
        # every buyer with a purchase by the window end: their last purchase on or before it
        p = ctx.block("purchases", Level.SHOP)
        w = _windows(ctx, grain)
        h = p.join(w, [p.day <= w.w_last, p.next_day.isnull() | (p.next_day > w.w_last)])
        h = h.mutate(n=h.purchase_no, span=h.day - h.first_day)
    else:
        h = _history_at_end(ctx, _members(ctx, grain))
    keys = ["shop_id", "agent_id"] if grain.level is Level.AGENT else ["shop_id"]
    h = h.filter(h.n >= 2, h.n < WHOLESALER_DAYS)
    return h.select(*keys, "w_first", "w_last", "buyer_id", purchase_days="n", span_days="span")


def purchase_cycle_days(ctx: MetricContext, grain: Grain) -> ir.Table:
    h = _cycle_members(ctx, grain)
    return _share(grain, h, h.span_days.sum(), (h.purchase_days - 1).sum())


METRICS: list[Metric] = [
    Composite(
        id="repeat_customer_share",
        zh="回头客占比",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("summary",),
        description="(A) Buyers with a purchase in the period who also have a purchase before "
        "the period / buyers with a purchase in the period (a purchase: a shop-local day of "
        "paid_at with a paid order that is not fully refunded). Per agent over the agent's "
        "customers: buyers of orders credited to the agent (inquiry or secured silent) created "
        "in the period, paid by as_of and not fully refunded.",
        compute=repeat_customer_share,
        rows=repeat_customer_rows,
    ),
    Composite(
        id="old_customer_churn",
        zh="老客户流失率",
        unit=Unit.RATE,
        direction=Direction.LOWER,
        family=FAMILY,
        description="(B) Buyers with a purchase in the churn_lookback_days before the period and "
        "none in the period / buyers with a purchase in those lookback days. Per agent over the "
        "buyers of the agent's credited orders (paid, not fully refunded) created in the "
        "lookback days, lost if they have no purchase at the shop in the period.",
        settings=("churn_lookback_days",),
        compute=old_customer_churn,
        rows=lambda ctx, level: _period_rows(_churn_members(ctx, Grain(level))),
    ),
    Composite(
        id="purchase_cycle_days",
        zh="平均购买周期",
        unit=Unit.DAYS,
        direction=Direction.LOWER,
        family=FAMILY,
        description="(Q) Mean of the gaps in days between adjacent purchase days, pooled (every "
        "gap of every buyer counts once), over all buyers with 2 to 99 purchase days up to the "
        "period end (100 or more: a wholesaler, left out). Per agent over the agent's customers "
        "of the period and their whole purchase history up to the period end.",
        compute=purchase_cycle_days,
        rows=lambda ctx, level: _period_rows(_cycle_members(ctx, Grain(level))),
    ),
    Aggregate(
        id="new_customer_conversion",
        zh="新客户成交转化率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="(C) Inquiries of buyers with no purchase day before the inquiry's day D "
        "that count in paying_buyers / such inquiries (per agent: the agent's inquiries, "
        "converting only through inquiry orders credited to the agent).",
        settings=("order_window_days", "after_sales_days"),
        source="new_customer_inquiries",
        value=lambda t: t.paying.mean(),
        empty=None,
    ),
    Aggregate(
        id="new_customer_repurchase_nd",
        zh="新客户N天重复购买率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="(D) New customers whose first purchase day f is in the period and whose "
        "window (f, f + repurchase_days] is complete (its last day ended by as_of), with "
        "another purchase in it / those new customers. Per agent: new customers whose first "
        "purchase day holds an order credited to the agent (inquiry or secured silent).",
        settings=("repurchase_days",),
        source="new_customers",
        value=lambda t: t.repurchased.mean(where=t.repurchase_complete),
        empty=None,
    ),
    Aggregate(
        id="new_customer_retention_nd",
        zh="新客户N天客户保持率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="(E) Pooled over the days d of the period whose window (d, d + "
        "retention_days] is complete: new customers of d (buyers on their first purchase day ever) with a purchase in it / "
        "new customers of d. Per agent: new customers whose first purchase day holds an order "
        "credited to the agent (inquiry or secured silent).",
        settings=("retention_days",),
        source="new_customers",
        value=lambda t: t.retained.mean(where=t.retention_complete),
        empty=None,
    ),
]
