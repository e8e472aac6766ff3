"""Team and time (团队与时间): when the team works and when buyers come (metrics.md).

hourly_load and off_hours_inquiries are shop only and JSON objects; online_days is per agent.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from jinpai.metrics.base import (
    Aggregate,
    Composite,
    Direction,
    Grain,
    Level,
    Metric,
    Unit,
    entries,
)
from jinpai.metrics.context import MetricContext, block
from jinpai.metrics.rules import MICROS_PER_DAY, MICROS_PER_SECOND

FAMILY = "team"
MICROS_PER_HOUR = 3600 * MICROS_PER_SECOND
EPOCH_ISOWEEKDAY = 4  # 1970-01-01, day index 0, was a Thursday


@block("agent_days")
def agent_days(ctx: MetricContext, level: Level) -> ir.Table:
    """Days on which an agent sent at least one valid (typed, not automatic) message: the days of
    their chat-days with one (the chat family's block; no second pass over all messages)."""
    d = ctx.block("message_chat_days", Level.AGENT)
    return d.filter(d.valid_agent_messages > 0).select("shop_id", "agent_id", "day").distinct()


def _isoweekday(day: ir.IntegerValue) -> ir.IntegerValue:
    return (day + (EPOCH_ISOWEEKDAY - 1)) % 7 + 1


def _hour(day: ir.IntegerValue, lus: ir.IntegerValue) -> ir.IntegerValue:
    return ((lus - day * MICROS_PER_DAY) // MICROS_PER_HOUR).cast("int64")


def _load_events(ctx: MetricContext) -> ir.Table:
    """The period's inquiries (at t0) and counted rounds (at their begin), each with its ``kind``
    and shop-local ``weekday`` and ``hour``."""
    q = ctx.block("inquiries", Level.SHOP)
    q = q.filter(ctx.period.contains(q.day))
    r = ctx.block("rounds", Level.SHOP)
    r = r.filter(ctx.period.contains(r.day), r.counted)
    return q.select(
        "shop_id",
        "day",
        "buyer_id",
        agent_id=ibis.null("string"),  # the shop's inquiry pools the buyer's chats
        kind=ibis.literal("inquiry"),
        event_lus="t0_lus",
        weekday=_isoweekday(q.day),
        hour=_hour(q.day, q.t0_lus),
    ).union(
        r.select(
            "shop_id",
            "day",
            "buyer_id",
            "agent_id",
            kind=ibis.literal("round"),
            event_lus="begin_lus",
            weekday=_isoweekday(r.day),
            hour=_hour(r.day, r.begin_lus),
        ),
        distinct=False,
    )


def hourly_load(ctx: MetricContext, grain: Grain) -> ir.Table:
    """``{"isoweekday-HH": {"inquiries", "rounds"}}``: inquiries by the weekday and hour of t0,
    counted rounds by those of their begin (shop-local)."""
    u = _load_events(ctx)
    keys = list(grain.keys)
    slots = u.group_by([*keys, "weekday", "hour"]).aggregate(
        inquiries=(u.kind == "inquiry").cast("int64").sum(),
        rounds=(u.kind == "round").cast("int64").sum(),
    )
    return entries(slots, keys, ("weekday", "hour", "inquiries", "rounds"))


def _load_figure(slots: list[dict[str, Any]]) -> dict[str, Any]:
    figure = {
        f"{s['weekday']}-{s['hour']:02d}": {
            "inquiries": int(s["inquiries"]),
            "rounds": int(s["rounds"]),
        }
        for s in slots
    }
    return dict(sorted(figure.items()))


def staffed_inquiries(ctx: MetricContext) -> ir.Table:
    """The shop's inquiries with ``staffed``: t0 falls inside a shift of some agent of the shop
    (shifts are [starts_at, ends_at)); for a shop without any shift, inside service_hours."""
    q = ctx.block("inquiries", Level.SHOP)
    sh = ctx.tables["shifts"].select(s_shop="shop_id", s_start="starts_us", s_end="ends_us")
    covered = [q.shop_id == sh.s_shop, sh.s_start <= q.t0_us, q.t0_us < sh.s_end]
    q = (
        q.semi_join(sh, covered)
        .mutate(on_shift=ibis.literal(True))
        .union(q.anti_join(sh, covered).mutate(on_shift=ibis.literal(False)))
    )
    shops = sh.select(h_shop="s_shop").distinct().mutate(has_shifts=ibis.literal(True))
    q = q.left_join(shops, q.shop_id == shops.h_shop).drop("h_shop")
    time_of_day = q.t0_lus - q.day * MICROS_PER_DAY
    in_service = (time_of_day >= ctx.rules.service_start_s * MICROS_PER_SECOND) & (
        time_of_day < ctx.rules.service_end_s * MICROS_PER_SECOND
    )
    return q.mutate(staffed=ibis.ifelse(q.has_shifts.fill_null(False), q.on_shift, in_service))


def _period_staffed_inquiries(ctx: MetricContext) -> ir.Table:
    q = staffed_inquiries(ctx)
    return q.filter(ctx.period.contains(q.day))


def off_hours_inquiries(ctx: MetricContext, grain: Grain) -> ir.Table:
    """``{"off_hours": {...}, "staffed": {...}}``, each ``{"inquiries", "paying_buyers",
    "inquiry_to_payment"}``."""
    q = _period_staffed_inquiries(ctx)
    keys = list(grain.keys)
    counts = q.group_by([*keys, "staffed"]).aggregate(
        inquiries=q.count(), paying=ibis.ifelse(q.paid, 1, 0).sum()
    )
    return entries(counts, keys, ("staffed", "inquiries", "paying"))


def _staffing_figure(counts: list[dict[str, Any]]) -> dict[str, Any]:
    return _off_hours_figure(
        {bool(c["staffed"]): (int(c["inquiries"]), int(c["paying"])) for c in counts}
    )


def _off_hours_figure(counts: dict[bool, tuple[int, int]]) -> dict[str, Any]:
    """The figure from (inquiries, paying buyers) per staffed flag (missing: none)."""

    def part(inquiries: int, paying: int) -> dict[str, Any]:
        rate = paying / inquiries if inquiries else None
        return {"inquiries": inquiries, "paying_buyers": paying, "inquiry_to_payment": rate}

    return {
        "off_hours": part(*counts.get(False, (0, 0))),
        "staffed": part(*counts.get(True, (0, 0))),
    }


METRICS: list[Metric] = [
    Composite(
        id="hourly_load",
        zh="分时接待",
        unit=Unit.OBJECT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Inquiries (by the shop-local weekday and hour of their first buyer message "
        "t0) and counted rounds (by those of their begin) per weekday x hour, as an object keyed "
        '"isoweekday-HH" (1 = Monday) of {inquiries, rounds}.',
        settings=("service_hours", "shift_only", "order_window_days", "after_sales_days"),
        shop_only=True,
        compute=hourly_load,
        rows=lambda ctx, level: _load_events(ctx),
        empty=dict,
        shape=_load_figure,
        keys=r"[1-7]-([01]\d|2[0-3])",
        parts={"inquiries": Unit.COUNT, "rounds": Unit.COUNT},
    ),
    Composite(
        id="off_hours_inquiries",
        zh="非值班询单",
        unit=Unit.OBJECT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Inquiries whose t0 falls where no agent is on shift (without shifts: "
        "outside service_hours), with their paying_buyers and inquiry_to_payment beside those "
        "of the other (staffed) inquiries: {off_hours: {inquiries, paying_buyers, "
        "inquiry_to_payment}, staffed: {...}}.",
        settings=("service_hours", "order_window_days", "after_sales_days"),
        shop_only=True,
        compute=off_hours_inquiries,
        rows=lambda ctx, level: _period_staffed_inquiries(ctx),
        empty=lambda: _off_hours_figure({}),
        shape=_staffing_figure,
        keys="off_hours|staffed",
        parts={
            "inquiries": Unit.COUNT,
            "paying_buyers": Unit.COUNT,
            "inquiry_to_payment": Unit.RATE,
        },
    ),
    Aggregate(
        id="online_days",
        zh="上班天数",
        unit=Unit.DAYS,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Days with at least one valid agent message (per agent; the shop: days on "
        "which any agent sent one).",
        source="agent_days",
        value=lambda t: t.day.nunique(),
    ),
]
