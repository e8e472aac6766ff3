"""Why a figure is what it is: the rows behind one metric for one shop or agent and period.

Generic over the framework, never per metric:

- an :class:`Aggregate` shows the rows of its building block (``ctx.block(source, level)``) whose
  attribution day is in the period, for that shop / agent;
- a :class:`Ratio` or :class:`Formula` shows the explanation of each of its inputs;
- a :class:`Composite` shows the rows it declares (``rows``): members of the period with the flag
  that counts them, or the events behind an object figure.

Rows about an order also show the order's product and status from the orders table.

Time columns are shown as the supervisor reads them: ``X_us`` (UTC epoch µs) and ``X_lus``
(shop-local wall time) as local datetimes, day indices (``day``, ``X_day``) as dates.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import ibis.expr.types as ir

from jinpai.engine.report import ReportRequest, local_time, make_context
from jinpai.engine.runner import compute, plain_number, resolve
from jinpai.metrics.base import Aggregate, Composite, Formula, Grain, Level, Metric, Ratio
from jinpai.metrics.blocks_chat import left_join
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.metrics.context import MetricContext, Period, day_from_index, day_index
from jinpai.metrics.rules import RuleSettings

# epoch micro-seconds at or above this (2001-09-09) are points in time, below it durations
_EPOCH_FLOOR_US = 10**15
_EPOCH_NAIVE = datetime(1970, 1, 1)
ORDER_DETAILS = ("sku", "title", "status")  # canonical order columns no metric reads


@dataclass
class Explanation:
    """One figure and what it is made of (JSON-ready through :meth:`to_dict`)."""

    metric_id: str
    zh: str
    kind: str  # aggregate | ratio | formula | composite
    unit: str
    description: str
    shop_id: str | None
    agent_id: str | None
    period: Period
    value: Any
    settings: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # the building block of an Aggregate
    day_column: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_count: int = 0  # all the rows behind the figure, even when ``rows`` is cut at a limit
    inputs: list[Explanation] = field(default_factory=list)
    shop_inputs: dict[str, Any] = field(default_factory=dict)  # shop figures a formula reads

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric_id,
            "zh": self.zh,
            "kind": self.kind,
            "unit": self.unit,
            "description": self.description,
            "shop_id": self.shop_id,
            "agent_id": self.agent_id,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "value": self.value,
            "settings": self.settings,
            "source": self.source,
            "day_column": self.day_column,
            "columns": self.columns,
            "row_count": self.row_count,
            "rows": [{k: _json_cell(v) for k, v in row.items()} for row in self.rows],
            "inputs": [i.to_dict() for i in self.inputs],
            "shop_inputs": self.shop_inputs,
        }


def explain(
    tables: dict[str, ir.Table],
    request: ReportRequest,
    metric_id: str,
    agent_id: str | None = None,
    day: date | None = None,
    limit: int | None = None,
) -> Explanation:
    """The figure of ``metric_id`` for the shop (or ``agent_id``) over the request's period (or
    the single ``day``), with the rows it is computed from (at most ``limit`` per block)."""
    metric = _metric(metric_id)
    level = Level.AGENT if agent_id is not None else Level.SHOP
    if not metric.available(level):
        raise ValueError(f"metric {metric_id!r} is shop only: leave out the agent")
    if day is not None:
        request = dataclasses.replace(request, period=Period(day, day))
    ctx = make_context(tables, request)
    shop_id = request.shop if request.shop is not None else _only_shop(ctx)
    figures = _figures(ctx, metric, level, shop_id, agent_id)
    return _explain(ctx, request, metric, level, shop_id, agent_id, figures, limit)


def _metric(metric_id: str) -> Metric:
    if metric_id not in CATALOGUE:
        raise ValueError(f"unknown metric {metric_id!r}")
    return CATALOGUE[metric_id]


def _only_shop(ctx: MetricContext) -> str | None:
    m, o = ctx.messages, ctx.orders
    shops = m.select("shop_id").union(o.select("shop_id")).distinct().to_pyarrow()
    names = sorted(shops.column("shop_id").to_pylist())
    if len(names) > 1:
        raise ValueError(f"the data holds several shops ({', '.join(names)}): pick one with shop")
    return names[0] if names else None


def _figures(
    ctx: MetricContext, metric: Metric, level: Level, shop_id: str | None, agent_id: str | None
) -> dict[str, dict[str, Any]]:
    """The figures of the metric and every input: ``{"own": {...}, "shop": {...}}``."""
    ids = [m.id for m in resolve([metric.id], level)]
    shop_key = (shop_id or "default",)
    shop = compute(ctx, ids, Grain(Level.SHOP), rows=[shop_key])
    if level is Level.SHOP:
        return {"own": shop.get(shop_key, {}), "shop": shop.get(shop_key, {})}
    key = (shop_id or "default", agent_id)
    agents = compute(ctx, ids, Grain(Level.AGENT), rows=[key], shop_rows=shop)
    return {"own": agents.get(key, {}), "shop": shop.get(shop_key, {})}


def _explain(
    ctx: MetricContext,
    request: ReportRequest,
    metric: Metric,
    level: Level,
    shop_id: str | None,
    agent_id: str | None,
    figures: dict[str, dict[str, Any]],
    limit: int | None,
) -> Explanation:
    out = Explanation(
        metric_id=metric.id,
        zh=metric.zh,
        kind=_kind(metric),
        unit=str(metric.unit),
        description=metric.description,
        shop_id=shop_id,
        agent_id=agent_id,
        period=request.period,
        value=plain_number(figures["own"].get(metric.id)),
        settings=settings_used(metric, request.rules),
    )
    if isinstance(metric, Aggregate):
        table = ctx.block(metric.source, level)
        table = table.filter(ctx.period.contains(table[metric.day]))
        out.source, out.day_column = metric.source, metric.day
        _show_rows(out, ctx, table, agent_id, limit, request.timezone)
    elif isinstance(metric, Composite):
        table = metric.rows(ctx, level)
        out.day_column = "day" if "day" in table.columns else None
        _show_rows(out, ctx, table, agent_id, limit, request.timezone)
    elif isinstance(metric, Ratio | Formula):
        for name in metric.inputs:
            out.inputs.append(
                _explain(ctx, request, CATALOGUE[name], level, shop_id, agent_id, figures, limit)
            )
        if isinstance(metric, Formula) and level is Level.AGENT:
            out.shop_inputs = {n: plain_number(figures["shop"].get(n)) for n in metric.inputs}
    return out


def _show_rows(
    out: Explanation,
    ctx: MetricContext,
    table: ir.Table,
    agent_id: str | None,
    limit: int | None,
    timezone: str,
) -> None:
    """The rows of ``table`` (the agent's, for an agent) in reading order, at most ``limit``."""
    if agent_id is not None:
        table = table.filter(table.agent_id == agent_id)
    out.row_count = int(table.count().to_pyarrow().as_py())
    table = _with_order_details(ctx, table)
    sort_keys = _sort_columns(table.columns, out.day_column)
    if sort_keys:
        table = table.order_by(sort_keys)
    if limit is not None:
        table = table.limit(limit)
    out.columns, out.rows = readable_rows(table.to_pyarrow().to_pylist(), timezone)


def _with_order_details(ctx: MetricContext, table: ir.Table) -> ir.Table:
    """Rows about orders with what a supervisor knows an order by: its product and status.

    Blocks keep an order's keys and figures only, so that a month's blocks stay small."""
    details = [c for c in ORDER_DETAILS if c not in table.columns]
    if "order_id" not in table.columns or not details:
        return table
    keys = ["shop_id", "order_id"]
    return left_join(table, ctx.orders.select(*keys, *details), keys)


def _kind(metric: Metric) -> str:
    for cls, name in ((Aggregate, "aggregate"), (Ratio, "ratio"), (Formula, "formula")):
        if isinstance(metric, cls):
            return name
    return "composite" if isinstance(metric, Composite) else "metric"


def _sort_columns(columns: tuple[str, ...] | list[str], day_column: str | None) -> list[str]:
    """Rows read in time order: by day, then agent and buyer, then the first time column."""
    wanted = [day_column, "agent_id", "buyer_id"]
    times = [c for c in columns if c.endswith("_us") and not c.endswith("_lus")]
    keys = [c for c in wanted if c in columns] + times[:1] + (["seq"] if "seq" in columns else [])
    return list(dict.fromkeys(keys))


def settings_used(metric: Metric, rules: RuleSettings) -> dict[str, Any]:
    """The metric's settings and their values under ``rules`` (as a supervisor reads them)."""
    return {name: setting_value(rules, name) for name in metric.settings}


def setting_value(rules: RuleSettings, name: str) -> Any:
    if name == "service_hours":
        return rules.service_hours_text()
    return getattr(rules, name, None)


def readable_rows(
    rows: list[dict[str, Any]], timezone: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """Block rows with every point in time as a shop-local datetime and day indices as dates.

    One moment is shown once, as ``X_at`` (local): from the bound ``X_at`` (stored as UTC), else
    ``X_us`` (UTC epoch µs), else ``X_lus`` (local wall µs); the others are left out. A ``_us``
    column holding durations (values before 2001) is shown in seconds as ``X_s``. The decision is
    per column, so a column never mixes kinds.
    """
    if not rows:
        return [], []
    columns = list(rows[0])
    to_local = _utc_to(timezone)
    convert: dict[str, tuple[str, Any]] = {}
    dropped: set[str] = set()
    for c in columns:
        values = [r[c] for r in rows if r[c] is not None]
        if values and all(isinstance(v, datetime) for v in values):
            convert[c] = (c, lambda v: to_local(v) if v.tzinfo else to_local(_micros(v)))
            continue
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            continue
        if c.endswith(("_us", "_lus")):
            local = c.endswith("_lus")
            stem = c.removesuffix("_lus") if local else c.removesuffix("_us")
            if values and not all(abs(v) >= _EPOCH_FLOOR_US for v in values):
                convert[c] = (f"{stem}_s", lambda v: v / 1_000_000)
            elif f"{stem}_at" in columns or (local and f"{stem}_us" in columns):
                dropped.add(c)  # the same moment is shown from another column
            else:
                convert[c] = (f"{stem}_at", _local_wall if local else to_local)
        elif c == "day" or c.endswith("_day"):
            convert[c] = (c, day_from_index)
    kept = [c for c in columns if c not in dropped]
    names = [convert.get(c, (c, None))[0] for c in kept]
    # a renamed column must not shadow one the block already has
    names = [n if n == c or n not in columns else c for n, c in zip(names, kept, strict=True)]
    out = []
    for row in rows:
        shown: dict[str, Any] = {}
        for c, name in zip(kept, names, strict=True):
            value = row[c]
            fn = convert.get(c, (c, None))[1]
            shown[name] = fn(value) if fn is not None and value is not None else value
        out.append(shown)
    return names, out


def _micros(naive_utc: datetime) -> int:
    return (naive_utc - _EPOCH_NAIVE) // timedelta(microseconds=1)


def _local_wall(us: int) -> datetime:
    return _EPOCH_NAIVE + timedelta(microseconds=us)


def _utc_to(timezone: str) -> Any:
    def convert(us: int | datetime) -> datetime:
        if isinstance(us, datetime):  # aware
            return us.astimezone(local_time(0, timezone).tzinfo).replace(tzinfo=None)
        return local_time(us, timezone).replace(tzinfo=None)

    return convert


def _json_cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return plain_number(value)


__all__ = ["Explanation", "day_index", "explain", "readable_rows", "settings_used"]
