"""Payment reminders (催付): how many were sent and how many unpaid orders they won back.

A reminder succeeds when its order is paid within ``reminder_success_hours`` after it and it is
the last reminder of that order before the payment (metrics.md, Payment reminders).
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir

from jinpai.canonical.schema import CHANNELS
from jinpai.metrics.base import (
    Aggregate,
    Composite,
    Direction,
    Grain,
    Level,
    Metric,
    Ratio,
    Unit,
    entries,
)
from jinpai.metrics.context import MetricContext, block

FAMILY = "reminders"
MICROS_PER_HOUR = 3_600_000_000
Z_95 = 1.959963984540054  # two-sided 95% normal quantile
NO_SCRIPT = "none"  # the key of reminders logged without a script
SUCCESS_PARTS = {
    "reminded_orders": Unit.COUNT,
    "recovered_orders": Unit.COUNT,
    "rate": Unit.RATE,
    "ci_low": Unit.RATE,
    "ci_high": Unit.RATE,
}


@block("reminder_outcomes")
def reminder_outcomes(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per reminder of a known order, with whether it succeeded.

    The inner join to the (as_of-cut) orders drops reminders of unknown and excluded orders.
    A reminder at the very instant of the payment is not "after" it.
    """
    r = ctx.tables["reminders"]
    o = ctx.orders.select(
        "shop_id",
        "order_id",
        "buyer_id",
        "paid_us",
        "paid_lus",
        net=ctx.orders.amount - ctx.orders.refund_amount,
    )
    j = r.join(o, ["shop_id", "order_id"])
    j = j.mutate(before_payment=j.paid_us.notnull() & (j.sent_us <= j.paid_us))
    # the last reminder before the payment: first in (sent, seq) descending among those before it
    last = ibis.window(
        group_by=[j.shop_id, j.order_id, j.before_payment],
        order_by=[ibis.desc(j.sent_us), ibis.desc(j.seq)],
    )
    j = j.mutate(rank_before_payment=ibis.row_number().over(last))
    window_us = round(ctx.rules.reminder_success_hours * MICROS_PER_HOUR)
    last_before = j.before_payment & (j.rank_before_payment == 0)
    return j.select(
        "shop_id",
        "agent_id",
        "order_id",
        "buyer_id",
        "channel",
        "script_id",
        "seq",
        "sent_us",
        "sent_lus",
        "paid_us",
        "paid_lus",
        "net",
        "before_payment",
        day=j.sent_day,
        last_before_payment=last_before,
        success=last_before & (j.paid_us - j.sent_us <= window_us),
    )


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a binomial proportion; None without trials."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # at p = 0 or 1 the bound is exactly 0 or 1 (rounding would leave 0.9999999999999999)
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


def success_summary(reminded: int, recovered: int) -> dict[str, Any]:
    """The JSON object of one script or channel."""
    interval = wilson_interval(recovered, reminded)
    return {
        "reminded_orders": reminded,
        "recovered_orders": recovered,
        "rate": recovered / reminded if reminded else None,
        "ci_low": interval[0] if interval else None,
        "ci_high": interval[1] if interval else None,
    }


def _period_outcomes(ctx: MetricContext, level: Level) -> ir.Table:
    """The reminders sent in the period, those without a script under ``NO_SCRIPT``."""
    t = ctx.block("reminder_outcomes", level)
    t = t.filter(ctx.period.contains(t.day))
    return t.mutate(script_id=t.script_id.fill_null(NO_SCRIPT))


def _success_by(column: str) -> Any:
    def compute(ctx: MetricContext, grain: Grain) -> ir.Table:
        t = _period_outcomes(ctx, grain.level)
        keys = list(grain.keys)
        counts = t.group_by([*keys, t[column].name("key")]).aggregate(
            reminded=t.order_id.nunique(),
            recovered=t.order_id.nunique(where=t.success),
        )
        return entries(counts, keys, ("key", "reminded", "recovered"))

    return compute


def _success_figure(counts: list[dict[str, Any]]) -> dict[str, Any]:
    """Each key's summary (its rate and interval from the two counts the engine returns)."""
    figure = {
        c["key"]: success_summary(int(c["reminded"]), int(c["recovered"] or 0)) for c in counts
    }
    return dict(sorted(figure.items()))


_SUCCESS_TEXT = (
    "the order is paid within reminder_success_hours after the reminder and the reminder is the "
    "last of that order before the payment; reminders sent after the payment never succeed"
)

METRICS: list[Metric] = [
    Aggregate(
        id="reminders_sent",
        zh="催付次数",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        tags=("daily_sheet",),
        description="Reminders sent in the period (reminders of unknown or excluded orders are "
        "ignored).",
        source="reminder_outcomes",
        value=lambda t: t.count(),
    ),
    Aggregate(
        id="reminded_orders",
        zh="催付订单数",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Distinct orders of the reminders sent in the period.",
        source="reminder_outcomes",
        value=lambda t: t.order_id.nunique(),
    ),
    Aggregate(
        id="recovered_orders",
        zh="催付挽回订单数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Orders whose successful reminder is one of the reminders sent in the period "
        f"(per agent: the agent's own reminders); a reminder succeeds when {_SUCCESS_TEXT}.",
        settings=("reminder_success_hours",),
        source="reminder_outcomes",
        value=lambda t: t.order_id.nunique(where=t.success),
    ),
    Aggregate(
        id="recovered_sales",
        zh="催付挽回金额",
        unit=Unit.YUAN,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet",),
        description="Sum of amount - refund_amount of the recovered orders (an order has at most "
        "one successful reminder).",
        settings=("reminder_success_hours",),
        source="reminder_outcomes",
        value=lambda t: t.net.sum(where=t.success).fill_null(0),
    ),
    Ratio(
        id="reminder_success_rate",
        zh="催付成功率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("summary",),
        description="recovered_orders / reminded_orders.",
        settings=("reminder_success_hours",),
        numerator="recovered_orders",
        denominator="reminded_orders",
    ),
    Composite(
        id="reminder_success_by_script",
        zh="催付话术成功率",
        unit=Unit.OBJECT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description='Per script_id (reminders without one under "none"): reminded_orders, '
        "recovered_orders, their rate and its 95% Wilson score interval (ci_low, ci_high) over "
        "the reminded orders, so the best wording can be told apart from luck.",
        settings=("reminder_success_hours",),
        compute=_success_by("script_id"),
        rows=_period_outcomes,
        empty=dict,
        shape=_success_figure,
        keys=".+",
        parts=SUCCESS_PARTS,
    ),
    Composite(
        id="reminder_success_by_channel",
        zh="催付渠道成功率",
        unit=Unit.OBJECT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Per channel (im, sms, phone): reminded_orders, recovered_orders, their rate "
        "and its 95% Wilson score interval (ci_low, ci_high) over the reminded orders.",
        settings=("reminder_success_hours",),
        compute=_success_by("channel"),
        rows=_period_outcomes,
        empty=dict,
        shape=_success_figure,
        keys="|".join(sorted(set(CHANNELS.values()))),
        parts=SUCCESS_PARTS,
    ),
]
