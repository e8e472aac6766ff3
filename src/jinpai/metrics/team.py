"""Team and time (团队与时间): when the team works and when buyers come (metrics.md)."""

from __future__ import annotations

import ibis.expr.types as ir

from jinpai.metrics.base import Aggregate, Direction, Level, Metric, Unit
from jinpai.metrics.context import MetricContext, block

FAMILY = "team"


@block("agent_days")
def agent_days(ctx: MetricContext, level: Level) -> ir.Table:
    """Days on which an agent sent at least one valid (typed, not automatic) message."""
    m = ctx.messages
    typed = m.filter(m.sender == "agent", ~m.is_auto)
    return typed.select("shop_id", "agent_id", day=typed.sent_day).distinct()


METRICS: list[Metric] = [
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
