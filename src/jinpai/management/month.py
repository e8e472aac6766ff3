"""A month's figures (management.md): the catalogue over the calendar month with as_of = the end of
the month + ``settle_days`` (or the latest timestamp in the data if earlier), the month's mean
rating per kind, ``sales_target_completion``, and the per-order reminder detail pay needs.

The models are plain data, so the scorecard, pay and grading take them (or dicts) without an
engine; :func:`compute_month` fills them from bound canonical tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from jinpai.management.plans import RATING_KIND_IDS, SALES_TARGET_COMPLETION
from jinpai.management.versions import month_bounds, month_of, shift_month
from jinpai.settings import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from jinpai.metrics.context import MetricContext
    from jinpai.metrics.rules import RuleSettings

DEFAULT_SETTLE_DAYS = 4


class RecoveredOrder(BaseModel):
    """One order a successful reminder of the agent won back, and which part it counts in."""

    order_id: str
    recovered: float
    part: Literal["own_sales", "own_secured", "other"]


class ReminderCredit(BaseModel):
    """The recovered sales of an agent's successful reminders sent in the month, split by
    whether the agent's commission already pays the order (pay's reminder_commission counts only
    ``other``; see :func:`reminder_credit`), with the orders behind the figures."""

    recovered_sales: float = 0.0
    own_sales_orders: float = 0.0  # the agent's inquiry orders, paid by commission
    own_secured_orders: float = 0.0  # silent orders the agent secured, in secured_silent_sales
    orders: list[RecoveredOrder] = Field(default_factory=list)

    @property
    def other(self) -> float:
        return self.recovered_sales - self.own_sales_orders - self.own_secured_orders


class AgentMonth(BaseModel):
    """One roster agent's month: roster fields and every figure (catalogue ids, rating kinds,
    sales_target_completion)."""

    agent_id: str
    shop_id: str = "default"
    name: str | None = None
    role: str | None = None
    level: str | None = None
    group: str | None = None
    base_salary: float | None = None
    commission_rate: float | None = None
    hired_on: date | None = None
    left_on: date | None = None
    figures: dict[str, Any] = Field(default_factory=dict)
    reminders: ReminderCredit | None = None


class MonthFigures(BaseModel):
    month: str
    shop_id: str = "default"
    as_of: str | None = None
    profile: str | None = None
    agents: list[AgentMonth]
    unrostered: list[str] = Field(default_factory=list)  # active agents missing from the roster

    def role_agents(self, role: str) -> list[AgentMonth]:
        return [a for a in self.agents if a.role == role and employed_days(a, self.month) > 0]

    def roles(self) -> list[str]:
        return sorted({a.role for a in self.agents if a.role})

    def agent(self, agent_id: str) -> AgentMonth | None:
        return next((a for a in self.agents if a.agent_id == agent_id), None)


def employed_days(agent: AgentMonth, month: str) -> int:
    """Calendar days of the month between hired_on and left_on, both included."""
    first, last = month_bounds(month)
    start = max(first, agent.hired_on) if agent.hired_on else first
    end = min(last, agent.left_on) if agent.left_on else last
    return max(0, (end - start).days + 1)


def month_as_of(
    month: str, latest: datetime | None, settle_days: int = DEFAULT_SETTLE_DAYS
) -> datetime:
    """The end of the month + settle_days, or ``latest`` (the data's last event) if earlier.
    Both are shop-local; ``latest`` may be aware."""
    first_next, _ = month_bounds(shift_month(month, 1))
    settled = datetime.combine(first_next, datetime.min.time()) + timedelta(days=settle_days)
    if latest is None:
        return settled
    local = latest.replace(tzinfo=None)
    return latest if local < settled else settled


def target_completion(sales: Any, target: float | None) -> float | None:
    """sales / the agent's monthly target; no value without a (positive) target."""
    if target is None or target <= 0 or sales is None:
        return None
    return float(sales) / target


def add_derived(
    agents: Sequence[AgentMonth],
    ratings: Mapping[str, Mapping[str, float]],
    sales_targets: Mapping[str, float],
) -> None:
    """Put the rating kinds and sales_target_completion into each agent's figures."""
    for agent in agents:
        means = ratings.get(agent.agent_id, {})
        for kind in RATING_KIND_IDS:
            agent.figures[kind] = means.get(kind)
        agent.figures[SALES_TARGET_COMPLETION] = target_completion(
            agent.figures.get("sales"), sales_targets.get(agent.agent_id)
        )


# --- from the engine ---------------------------------------------------------------------------


def compute_month(
    tables: dict[str, ir.Table],
    month: str,
    rules: RuleSettings,
    metrics: Sequence[str],
    *,
    shop: str | None = None,
    as_of: datetime | None = None,
    settle_days: int = DEFAULT_SETTLE_DAYS,
    timezone: str = DEFAULT_TIMEZONE,
    sales_targets: Mapping[str, float] | None = None,
) -> MonthFigures:
    """The month's figures of one shop (``shop``, or the only one) for the catalogue ``metrics``
    (non-catalogue names are ignored: ratings and target completion are always added)."""
    from jinpai.engine.report import (
        ReportRequest,
        default_as_of_us,
        local_time,
        make_context,
    )
    from jinpai.engine.runner import compute, with_shop_inputs
    from jinpai.metrics.base import Grain, Level
    from jinpai.metrics.catalogue import CATALOGUE
    from jinpai.metrics.context import Period

    first, last = month_bounds(month)
    if as_of is None:
        scoped = (
            tables if shop is None else {n: t.filter(t.shop_id == shop) for n, t in tables.items()}
        )
        latest_us = default_as_of_us(scoped, None)
        latest = local_time(latest_us, timezone) if latest_us is not None else None
        as_of = month_as_of(month, latest, settle_days)
    request = ReportRequest(Period(first, last), rules, as_of=as_of, shop=shop, timezone=timezone)
    ctx = make_context(tables, request)
    ids = [m for m in dict.fromkeys(metrics) if m in CATALOGUE]
    roster = _roster(ctx, month)
    shops = sorted({s for s, _ in roster}) or [shop or "default"]
    shop_ids = with_shop_inputs(ids)
    shop_rows = compute(ctx, shop_ids, Grain(Level.SHOP), rows=[(s,) for s in shops]) if ids else {}
    figures = (
        compute(ctx, ids, Grain(Level.AGENT), rows=list(roster), shop_rows=shop_rows) if ids else {}
    )
    ratings = _rating_means(ctx)
    credit = reminder_credit(ctx, settle_days, timezone)
    agents: list[AgentMonth] = []
    for key, row in roster.items():
        agent = AgentMonth(
            **row, figures=dict(figures.get(key, {})), reminders=credit.get(key, ReminderCredit())
        )
        agents.append(agent)
    add_derived(agents, {a: r for (_, a), r in ratings.items()}, sales_targets or {})
    active = {k for k in figures if k not in roster}
    return MonthFigures(
        month=month,
        shop_id=shops[0] if len(shops) == 1 else ",".join(shops),
        as_of=local_time(ctx.as_of_us, timezone).isoformat(),
        profile=rules.profile,
        agents=sorted(agents, key=lambda a: a.agent_id),
        unrostered=sorted(a for _, a in active),
    )


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _roster(ctx: MetricContext, month: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Roster agents employed on at least one day of the month."""
    fields = ("agent_id", "shop_id", "name", "role", "level", "group", "base_salary")
    rows = ctx.tables["agents"].to_pyarrow().to_pylist()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        row = {f: _plain(r.get(f)) for f in fields}
        row.update(
            commission_rate=_plain(r.get("commission_rate")),
            hired_on=r.get("hired_on"),
            left_on=r.get("left_on"),
        )
        probe = AgentMonth(**row)
        if employed_days(probe, month) > 0:
            out[(row["shop_id"], row["agent_id"])] = row
    return out


def _rating_means(ctx: MetricContext) -> dict[tuple[str, str], dict[str, float]]:
    """The month's mean score per agent and kind (ratings dated after as_of do not exist yet)."""
    r = ctx.tables["ratings"]
    r = r.filter(ctx.period.contains(r.rated_day), r.rated_day <= ctx.as_of_day_of(r.shop_id))
    query = r.group_by(["shop_id", "agent_id", "kind"]).aggregate(mean=r.score.mean())
    out: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for row in query.to_pyarrow().to_pylist():
        out[(row["shop_id"], row["agent_id"])][row["kind"]] = float(row["mean"])
    return dict(out)


def reminder_credit(
    ctx: MetricContext, settle_days: int, timezone: str
) -> dict[tuple[str, str], ReminderCredit]:
    """Per agent, the recovered sales of successful reminders sent in the period, with the part
    on orders the agent's commission already pays: inquiry orders credited to the agent (paid,
    not fully refunded: the sales-order rule) and silent orders the agent secured (paid through
    secured_silent_sales), each only if it counted in the figures of the month it was created
    in, that is paid by that month's as_of (its end + ``settle_days``, the pay month's setting).
    An own order of an earlier month paid only after that month's as_of was never paid by
    commission, so its recovery is the reminder's. An order both secured by the agent and
    reminded by them is paid once, through secured_silent_sales."""
    import jinpai.metrics.reminders  # noqa: F401  (registers the reminder_outcomes block)
    from jinpai.engine.report import as_of_micros
    from jinpai.metrics.base import Level
    from jinpai.metrics.context import day_from_index

    r = ctx.block("reminder_outcomes", Level.AGENT)
    r = r.filter(r.success, ctx.period.contains(r.day))
    o = ctx.block("credited_orders", Level.SHOP)
    o = o.select(
        c_shop="shop_id",
        c_order="order_id",
        c_credit="credit",
        c_agent="agent_id",
        c_secured="secured_agent_id",
        c_refunded="fully_refunded",
        c_created_day="created_day",
    )
    j = r.left_join(o, [r.shop_id == o.c_shop, r.order_id == o.c_order])
    own_sale = (j.c_credit == "inquiry") & (j.c_agent == j.agent_id) & ~j.c_refunded
    own_secured = (j.c_secured == j.agent_id) & ~j.c_refunded
    query = j.select(
        "shop_id",
        "agent_id",
        "order_id",
        "net",
        "paid_us",
        "c_created_day",
        own_sale=own_sale.fill_null(False),
        own_secured=own_secured.fill_null(False),
    )
    settled: dict[str, int] = {}

    def counted_in_its_month(row: dict[str, Any]) -> bool:
        month = month_of(day_from_index(row["c_created_day"]))
        if month not in settled:
            settled[month] = as_of_micros(month_as_of(month, None, settle_days), timezone)
        return row["paid_us"] <= settled[month]

    out: dict[tuple[str, str], ReminderCredit] = {}
    for row in query.to_pyarrow().to_pylist():
        credit = out.setdefault((row["shop_id"], row["agent_id"]), ReminderCredit())
        net = float(row["net"] or 0)
        credit.recovered_sales += net
        part = "other"
        if (row["own_sale"] or row["own_secured"]) and counted_in_its_month(row):
            if row["own_sale"]:
                part, credit.own_sales_orders = "own_sales", credit.own_sales_orders + net
            else:
                part, credit.own_secured_orders = "own_secured", credit.own_secured_orders + net
        credit.orders.append(RecoveredOrder(order_id=row["order_id"], recovered=net, part=part))
    for credit in out.values():
        credit.orders.sort(key=lambda o: o.order_id)
    return out
