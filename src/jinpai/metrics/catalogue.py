"""The metric catalogue: every metric of metrics.md, by family, in the spec's order."""

from __future__ import annotations

from jinpai.metrics import cases, chat, conversion, customers, reminders, team
from jinpai.metrics.base import Metric

FAMILIES: dict[str, tuple[str, list[Metric]]] = {
    "chat": ("聊天 Chat", chat.METRICS),
    "conversion": ("询单、落实与销售 Inquiries, credit and sales", conversion.METRICS),
    "reminders": ("催付 Payment reminders", reminders.METRICS),
    "cases": ("售后工单 After-sales cases", cases.METRICS),
    "customers": ("客户 Customers", customers.METRICS),
    "team": ("团队与时间 Team and time", team.METRICS),
}


def _build() -> dict[str, Metric]:
    catalogue: dict[str, Metric] = {}
    for family, (_, metrics) in FAMILIES.items():
        for metric in metrics:
            if metric.id in catalogue:
                raise ValueError(f"metric {metric.id!r} is defined twice")
            if metric.family != family:
                raise ValueError(f"metric {metric.id!r} declares family {metric.family!r}")
            catalogue[metric.id] = metric
    for metric in catalogue.values():
        for name in metric.inputs:
            if name not in catalogue:
                raise ValueError(f"metric {metric.id!r} uses unknown metric {name!r}")
    return catalogue


CATALOGUE: dict[str, Metric] = _build()


def get(metric_id: str) -> Metric:
    try:
        return CATALOGUE[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}") from None
