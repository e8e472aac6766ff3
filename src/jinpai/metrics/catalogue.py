"""The metric catalogue: every metric of metrics.md, by family, in the spec's order.

:func:`validate` returns every issue of the declarations at once (MetricFlow's habit); the
catalogue is not built while there is one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from jinpai.metrics import cases, chat, conversion, customers, reminders, team
from jinpai.metrics.base import TAGS, Aggregate, Composite, Direction, Metric, Unit
from jinpai.metrics.context import BLOCKS
from jinpai.metrics.rules import RuleSettings

FAMILIES: dict[str, tuple[str, list[Metric]]] = {
    "chat": ("聊天 Chat", chat.METRICS),
    "conversion": ("询单、落实与销售 Inquiries, credit and sales", conversion.METRICS),
    "reminders": ("催付 Payment reminders", reminders.METRICS),
    "cases": ("售后工单 After-sales cases", cases.METRICS),
    "customers": ("客户 Customers", customers.METRICS),
    "team": ("团队与时间 Team and time", team.METRICS),
}
METRIC_ID = re.compile(r"[a-z][a-z0-9_]*")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Issue:
    metric: str | None  # None: the catalogue as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.metric}: {self.message}" if self.metric else self.message


def validate(metrics: Iterable[Metric] | None = None, *, rated: Iterable[str] = ()) -> list[Issue]:
    """Every issue of ``metrics`` (default: the catalogue), none raised. ``rated``: ids that
    something rates (a KPI plan, a grading dimension), each of which must say which way is
    better."""
    metrics = list(CATALOGUE.values() if metrics is None else metrics)
    ids = {m.id for m in metrics}
    issues = [
        Issue(metric_id, "is defined twice")
        for metric_id, n in Counter(m.id for m in metrics).items()
        if n > 1
    ]
    for metric in metrics:
        issues += (Issue(metric.id, message) for message in _problems(metric, ids))
    carried = {tag for m in metrics for tag in m.tags}
    issues += (Issue(None, f"tag {tag!r} is on no metric") for tag in TAGS if tag not in carried)
    by_id = {m.id: m for m in metrics}
    for metric_id in rated:
        found = by_id.get(metric_id)
        if found is None:
            issues.append(Issue(metric_id, "is rated but not a metric"))
        elif found.direction not in (Direction.HIGHER, Direction.LOWER):
            issues.append(Issue(metric_id, "is rated but says no direction (higher or lower)"))
    return issues


def _problems(metric: Metric, ids: set[str]) -> Iterable[str]:
    """What is wrong with one declaration."""
    if not METRIC_ID.fullmatch(metric.id):
        yield "the id is not lower_snake_case"
    if not CHINESE.search(metric.zh or ""):
        yield "no Chinese name (zh)"
    if not (metric.description or "").strip():
        yield "no description"
    if metric.family not in FAMILIES:
        yield f"unknown family {metric.family!r}"
    if not isinstance(metric.unit, Unit):
        yield f"unknown unit {metric.unit!r}"
    if not isinstance(metric.direction, Direction):
        yield f"unknown direction {metric.direction!r}"
    for tag in metric.tags:
        if tag not in TAGS:
            yield f"tag {tag!r} is read by nothing (known tags: {', '.join(TAGS)})"
    if len(set(metric.tags)) != len(metric.tags):
        yield "a tag is given twice"
    for name in metric.settings:
        if name not in RuleSettings.model_fields:
            yield f"unknown setting {name!r}"
    for name in metric.inputs:
        if name not in ids:
            yield f"uses unknown metric {name!r}"
    if isinstance(metric, Aggregate) and metric.source not in BLOCKS:
        yield f"unknown block {metric.source!r}"
    if metric.unit is Unit.OBJECT and not (isinstance(metric, Composite) and metric.parts):
        yield "an object figure is a composite that declares its parts"
    if isinstance(metric, Composite):
        yield from _composite_problems(metric)


def _composite_problems(metric: Composite) -> Iterable[str]:
    for part, unit in metric.parts.items():
        if not isinstance(unit, Unit) or unit is Unit.OBJECT:
            yield f"part {part!r} has no number unit"
    if metric.parts:
        try:
            re.compile(metric.keys)
        except re.error:
            yield f"keys {metric.keys!r} is not a regular expression"


def _build() -> dict[str, Metric]:
    catalogue: dict[str, Metric] = {}
    issues: list[str] = []
    for family, (_, metrics) in FAMILIES.items():
        for metric in metrics:
            if metric.family != family:
                issues.append(f"{metric.id}: declares family {metric.family!r} under {family!r}")
            catalogue.setdefault(metric.id, metric)
    issues += map(str, validate(m for _, ms in FAMILIES.values() for m in ms))
    if issues:
        raise ValueError("the metric catalogue is not valid:\n" + "\n".join(issues))
    return catalogue


CATALOGUE: dict[str, Metric] = _build()


def get(metric_id: str) -> Metric:
    try:
        return CATALOGUE[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}") from None


def tagged(tag: str) -> tuple[str, ...]:
    """The ids of the metrics carrying ``tag``, in catalogue order."""
    if tag not in TAGS:
        raise KeyError(f"unknown tag {tag!r}")
    return tuple(m.id for m in CATALOGUE.values() if tag in m.tags)
