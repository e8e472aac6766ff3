"""Runs catalogue metrics for a period and grain on whatever backend the tables are bound to.

Aggregates that share a building block and attribution day run as one grouped query; ratios and
formulas are then computed per row, so no figure is ever derived from rounded or summed rates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import chain
from typing import Any

import pyarrow as pa

from jinpai.metrics.base import (
    Aggregate,
    Composite,
    Formula,
    Grain,
    Level,
    Metric,
    Ratio,
    ratio,
)
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.metrics.context import MetricContext, day_from_index

Key = tuple[Any, ...]


def resolve(metric_ids: Iterable[str], level: Level) -> list[Metric]:
    """The metrics asked for plus every metric they are computed from, inputs first."""
    ordered: dict[str, Metric] = {}

    def visit(metric_id: str) -> None:
        if metric_id in ordered:
            return
        metric = CATALOGUE[metric_id]
        for name in metric.inputs:
            visit(name)
        ordered[metric_id] = metric

    for metric_id in metric_ids:
        if CATALOGUE[metric_id].available(level):
            visit(metric_id)
    return list(ordered.values())


def with_shop_inputs(metric_ids: Sequence[str]) -> list[str]:
    """The metrics to compute for the shop's rows beside an agent's ``metric_ids``: those plus
    what a formula compares with the shop's (aov for aov_index)."""
    formulas = [m for m in map(CATALOGUE.__getitem__, metric_ids) if isinstance(m, Formula)]
    return list(dict.fromkeys([*metric_ids, *(name for f in formulas for name in f.uses)]))


def compute(
    ctx: MetricContext,
    metric_ids: Sequence[str],
    grain: Grain,
    rows: Iterable[Key] = (),
    shop_rows: dict[Key, dict[str, Any]] | None = None,
) -> dict[Key, dict[str, Any]]:
    """Figures per grain key (``shop_id[, agent_id][, day]``; ``day`` as a date).

    ``rows`` are keys that must appear even without activity (roster agents, every day);
    ``shop_rows`` the shop's figures at the same period/day grain, for formulas against the shop
    (computed for ``with_shop_inputs(metric_ids)``).
    """
    metrics = resolve(metric_ids, grain.level)
    values: dict[Key, dict[str, Any]] = defaultdict(dict)
    for key in rows:
        values[key]
    aggregates = [m for m in metrics if isinstance(m, Aggregate)]
    composites = [m for m in metrics if isinstance(m, Composite)]
    results = chain(
        _run_aggregates(ctx, aggregates, grain), _run_composites(ctx, composites, grain)
    )
    for result in results:
        for key, figures in result.items():
            values[key].update(figures)
    for key, figures in values.items():
        shop = _shop_figures(key, grain, shop_rows)
        for metric in metrics:
            if isinstance(metric, Aggregate):
                figures.setdefault(metric.id, metric.empty)
            elif isinstance(metric, Composite) and metric.id not in figures:
                figures[metric.id] = metric.empty()
            elif isinstance(metric, Ratio):
                figures[metric.id] = ratio(figures[metric.numerator], figures[metric.denominator])
            elif isinstance(metric, Formula):
                figures[metric.id] = metric.compute(figures, shop)
    wanted = {m.id for m in metrics if m.id in set(metric_ids)}
    return {
        key: {k: v for k, v in figures.items() if k in wanted} for key, figures in values.items()
    }


def _shop_figures(
    key: Key, grain: Grain, shop_rows: dict[Key, dict[str, Any]] | None
) -> dict[str, Any]:
    if not shop_rows:
        return {}
    shop_key = (key[0], key[-1]) if grain.by_day else (key[0],)
    return shop_rows.get(shop_key, {})


def _run_aggregates(
    ctx: MetricContext, metrics: list[Aggregate], grain: Grain
) -> Iterable[dict[Key, dict[str, Any]]]:
    groups: dict[tuple[str, str], list[Aggregate]] = defaultdict(list)
    for metric in metrics:
        groups[(metric.source, metric.day)].append(metric)
    for (source, day_column), members in groups.items():
        table = ctx.block(source, grain.level)
        table = table.filter(ctx.period.contains(table[day_column]))
        if grain.by_day:
            table = table.mutate(day=table[day_column])
        keys = list(grain.keys)
        query = table.group_by(keys).aggregate(**{m.id: m.value(table) for m in members})
        yield _keyed(query.to_pyarrow(), keys, [m.id for m in members])


def _run_composites(
    ctx: MetricContext, metrics: list[Composite], grain: Grain
) -> Iterable[dict[Key, dict[str, Any]]]:
    keys = list(grain.keys)
    for metric in metrics:
        rows = _keyed(metric.compute(ctx, grain).to_pyarrow(), keys, ["value"])
        yield {key: {metric.id: metric.shape(row["value"])} for key, row in rows.items()}


def _keyed(result: pa.Table, keys: list[str], names: list[str]) -> dict[Key, dict[str, Any]]:
    columns = result.to_pydict()
    out: dict[Key, dict[str, Any]] = {}
    for i in range(result.num_rows):
        key = tuple(day_from_index(columns[k][i]) if k == "day" else columns[k][i] for k in keys)
        out[key] = {name: plain_number(columns[name][i]) for name in names}
    return out


def plain_number(value: Any) -> Any:
    """JSON-ready numbers: exact decimals become floats only at the very end."""
    if isinstance(value, Decimal):
        return float(value)
    return value
