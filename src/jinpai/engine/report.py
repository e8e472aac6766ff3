"""A report: every catalogue figure for a period, for the shop, each agent and each day.

The shape is the JSON contract of architecture.md. Values are never rounded here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis.expr.types as ir

from jinpai.engine.runner import Key, compute, with_shop_inputs
from jinpai.metrics.base import Grain, Level
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.metrics.context import MetricContext, Period, day_index
from jinpai.metrics.rules import RuleSettings
from jinpai.settings import DEFAULT_TIMEZONE

EPOCH_UTC = datetime(1970, 1, 1)


@dataclass(frozen=True)
class ReportRequest:
    period: Period
    rules: RuleSettings
    as_of: datetime | None = None  # aware, or naive shop-local
    shop: str | None = None
    metrics: Sequence[str] | None = None  # default: the whole catalogue
    by_agent_day: bool = False
    timezone: str = DEFAULT_TIMEZONE  # the report's: a naive as_of and the as_of shown are in it
    timezones: Mapping[str, str] = field(default_factory=dict)  # each shop's, where known


def default_as_of_us(tables: dict[str, ir.Table], shop: str | None) -> int | None:
    """The latest sent_at, created_at or paid_at of the reported shop(s); reminders and excluded
    orders do not count."""
    m, o = tables["messages"], tables["orders"]
    if shop is not None:
        m, o = m.filter(m.shop_id == shop), o.filter(o.shop_id == shop)
    o = o.filter(~o.exclude)
    latest = [
        m.sent_us.max().to_pyarrow().as_py(),
        o.created_us.max().to_pyarrow().as_py(),
        o.paid_us.max().to_pyarrow().as_py(),
    ]
    present = [v for v in latest if v is not None]
    return max(present) if present else None


def as_of_micros(as_of: datetime, timezone: str) -> int:
    aware = as_of if as_of.tzinfo else as_of.replace(tzinfo=ZoneInfo(timezone))
    utc = aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return (utc - EPOCH_UTC) // timedelta(microseconds=1)


def local_time(us: int, timezone: str) -> datetime:
    utc = (EPOCH_UTC + timedelta(microseconds=us)).replace(tzinfo=ZoneInfo("UTC"))
    return utc.astimezone(ZoneInfo(timezone))


def make_context(tables: dict[str, ir.Table], request: ReportRequest) -> MetricContext:
    if request.shop is not None:
        tables = {name: t.filter(t.shop_id == request.shop) for name, t in tables.items()}
    if request.as_of is not None:
        as_of_us = as_of_micros(request.as_of, request.timezone)
    else:
        found = default_as_of_us(tables, None)
        # no data at all: as_of is the end of the period
        as_of_us = (
            found
            if found is not None
            else as_of_micros(
                datetime.combine(request.period.end + timedelta(days=1), datetime.min.time()),
                request.timezone,
            )
        )

    def day_of_as_of(timezone: str) -> int:
        return day_index(local_time(as_of_us, timezone).date())

    shop_days = {shop: day_of_as_of(zone) for shop, zone in request.timezones.items()}
    return MetricContext(
        tables,
        request.rules,
        request.period,
        as_of_us,
        day_of_as_of(request.timezone),
        shop_as_of_days=shop_days,
    )


def build_report(tables: dict[str, ir.Table], request: ReportRequest) -> dict[str, Any]:
    ctx = make_context(tables, request)
    ids = list(request.metrics or CATALOGUE)
    shops = _shops(ctx)
    days = [
        (shop, request.period.start + timedelta(days=i))
        for shop in shops
        for i in range((request.period.end - request.period.start).days + 1)
    ]
    shop_ids = with_shop_inputs(ids)
    shop_rows = compute(ctx, shop_ids, Grain(Level.SHOP), rows=[(s,) for s in shops])
    day_rows = compute(ctx, shop_ids, Grain(Level.SHOP, by_day=True), rows=days)
    shop_figures, day_figures = _only(shop_rows, ids), _only(day_rows, ids)
    agent_figures = compute(
        ctx, ids, Grain(Level.AGENT), rows=_roster_agents(ctx), shop_rows=shop_rows
    )
    report: dict[str, Any] = {
        "period": {"from": request.period.start.isoformat(), "to": request.period.end.isoformat()},
        "as_of": local_time(ctx.as_of_us, request.timezone).isoformat(),
        "profile": request.rules.profile,
    }
    if len(shops) == 1:
        report["shop"] = shop_figures[(shops[0],)]
    report["shops"] = [{"shop_id": s, **shop_figures[(s,)]} for s in shops]
    report["agents"] = [
        {"shop_id": k[0], "agent_id": k[1], **v} for k, v in sorted(agent_figures.items())
    ]
    report["days"] = [
        {"shop_id": k[0], "date": k[1].isoformat(), **v} for k, v in sorted(day_figures.items())
    ]
    if request.by_agent_day:
        agent_days = compute(ctx, ids, Grain(Level.AGENT, by_day=True), shop_rows=day_rows)
        report["agent_days"] = [
            {"shop_id": k[0], "agent_id": k[1], "date": k[2].isoformat(), **v}
            for k, v in sorted(agent_days.items())
        ]
    return report


def _only(rows: dict[Key, dict[str, Any]], ids: list[str]) -> dict[Key, dict[str, Any]]:
    wanted = set(ids)
    return {key: {k: v for k, v in f.items() if k in wanted} for key, f in rows.items()}


def _shops(ctx: MetricContext) -> list[str]:
    m, o = ctx.messages, ctx.orders
    query = m.select("shop_id").union(o.select("shop_id")).distinct()
    return sorted(query.to_pyarrow().column("shop_id").to_pylist()) or ["default"]


def _roster_agents(ctx: MetricContext) -> list[tuple[str, str]]:
    """Roster agents employed on at least one day of the period."""
    a = ctx.tables["agents"]
    employed = a.filter(
        a.hired_day.isnull() | (a.hired_day <= ctx.period.last_day),
        a.left_day.isnull() | (a.left_day >= ctx.period.first_day),
    )
    rows = employed.select("shop_id", "agent_id").to_pyarrow().to_pylist()
    return [(r["shop_id"], r["agent_id"]) for r in rows]
