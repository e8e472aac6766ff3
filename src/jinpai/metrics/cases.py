"""After-sales cases (售后工单): how many, how fast, how many ended in a dispute (metrics.md).

Per agent by the case's agent_id. Cases are counted whatever their order: a case names an order
only for reference, and the exclusion of fake orders (补单) concerns orders.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jinpai.metrics.base import Aggregate, Direction, Level, Metric, Unit, exact_mean
from jinpai.metrics.context import MetricContext, block

FAMILY = "cases"
MICROS_PER_HOUR = 3_600_000_000


@block("after_sales_cases")
def after_sales_cases(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per case opened by as_of; resolution columns are null while it is open."""
    c = ctx.tables["cases"]
    if level is Level.AGENT:
        c = c.filter(c.agent_id.notnull())
    handling_us = c.resolved_us - c.opened_us
    sla_us = round(ctx.rules.case_sla_hours * MICROS_PER_HOUR)
    return c.select(
        "shop_id",
        "case_id",
        "order_id",
        "buyer_id",
        "agent_id",
        "kind",
        "disputed",
        "seq",
        "opened_us",
        "opened_lus",
        "opened_day",
        "resolved_us",
        "resolved_lus",
        "resolved_day",
        handling_us=handling_us,
        within_sla=ibis.ifelse(handling_us <= sla_us, 1, 0),  # null while open
        dispute=ibis.ifelse(c.disputed, 1, 0),
    )


def _resolved(metric_id: str, zh: str, **kwargs: object) -> Aggregate:
    """An aggregate over the cases resolved in the period."""
    return Aggregate(
        id=metric_id,
        zh=zh,
        family=FAMILY,
        source="after_sales_cases",
        day="resolved_day",
        **kwargs,  # type: ignore[arg-type]
    )


METRICS: list[Metric] = [
    Aggregate(
        id="cases_opened",
        zh="工单数(新建)",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Cases opened in the period (by opened_at).",
        source="after_sales_cases",
        day="opened_day",
        value=lambda t: t.count(),
    ),
    _resolved(
        "cases_resolved",
        "工单数(完结)",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        description="Cases resolved in the period (by resolved_at).",
        value=lambda t: t.count(),
    ),
    _resolved(
        "handling_hours",
        "售后处理时长",
        unit=Unit.HOURS,
        direction=Direction.LOWER,
        tags=("summary",),
        description="Mean of resolved_at - opened_at, in hours, over the cases resolved in the "
        "period.",
        value=lambda t: exact_mean(t.handling_us, MICROS_PER_HOUR),
        empty=None,
    ),
    _resolved(
        "case_sla_rate",
        "售后时效达标率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        description="Cases resolved in the period within case_sla_hours of being opened "
        "(resolved_at - opened_at <= case_sla_hours) / cases resolved in the period.",
        settings=("case_sla_hours",),
        value=lambda t: t.within_sla.mean(),
        empty=None,
    ),
    _resolved(
        "dispute_rate",
        "纠纷率",
        unit=Unit.RATE,
        direction=Direction.LOWER,
        description="Disputed cases resolved in the period / cases resolved in the period.",
        value=lambda t: t.dispute.mean(),
        empty=None,
    ),
]
