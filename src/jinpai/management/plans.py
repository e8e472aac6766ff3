"""KPI plans (绩效考核表): per role, a list of weighted indicators (management.md, KPI scorecard).

An indicator's metric is a catalogue id, a rating kind (the month's mean of the agent's ratings of
that kind) or ``sales_target_completion`` (sales / the agent's monthly target from the pay terms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinpai.canonical.schema import RATING_KINDS
from jinpai.management.versions import Versioned
from jinpai.metrics.base import Unit

Direction = Literal["higher", "lower"]

SALES_TARGET_COMPLETION = "sales_target_completion"
RATING_KIND_IDS: frozenset[str] = frozenset(RATING_KINDS.values())
KPI_SCORE = "kpi_score"  # rankable like a metric (ranking.py)
WEIGHT_TOTAL = 100.0


@dataclass(frozen=True)
class Figure:
    """A figure that plans and rankings rate beside the catalogue's metrics, declared once."""

    zh: str
    unit: Unit | None  # None: a plain number (a rating's score)
    direction: Direction


# the Chinese spelling of each rating kind: the first alias of RATING_KINDS
_RATING_ZH = {v: k for k, v in reversed(list(RATING_KINDS.items())) if k != v}
FIGURES: dict[str, Figure] = {
    SALES_TARGET_COMPLETION: Figure("指标完成率", Unit.RATE, "higher"),  # sales / monthly target
    KPI_SCORE: Figure("KPI得分", Unit.POINTS, "higher"),  # out of 100 (and above, capped)
    **{kind: Figure(_RATING_ZH.get(kind, kind), None, "higher") for kind in RATING_KIND_IDS},
}


def metric_direction(metric: str) -> Direction | None:
    """higher/lower of a catalogue metric, rating kind or target completion (None: neutral or
    unknown, so a plan must say)."""
    if metric in FIGURES:
        return FIGURES[metric].direction
    from jinpai.metrics.catalogue import CATALOGUE

    found = CATALOGUE.get(metric)
    if found is None or found.direction.value not in ("higher", "lower"):
        return None
    return found.direction.value  # type: ignore[return-value]


def figure_zh(metric: str) -> str:
    """The Chinese name of a catalogue metric or another rated figure (else its id)."""
    from jinpai.metrics.catalogue import CATALOGUE

    found = FIGURES.get(metric) or CATALOGUE.get(metric)
    return found.zh if found is not None else metric


def figure_unit(metric: str) -> Unit | None:
    """The unit a catalogue metric or another rated figure is shown in (None: a plain number)."""
    from jinpai.metrics.catalogue import CATALOGUE

    found = FIGURES.get(metric) or CATALOGUE.get(metric)
    return found.unit if found is not None else None


def known_metric(metric: str) -> bool:
    from jinpai.metrics.catalogue import CATALOGUE

    return metric in CATALOGUE or metric in RATING_KIND_IDS or metric == SALES_TARGET_COMPLETION


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    weight: float = Field(gt=0)
    direction: Direction | None = None  # default: the catalogue's
    reference: Literal["team_average", "target"] = "team_average"
    target: float | None = None
    cap: float = Field(1.2, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        if not known_metric(self.metric):
            raise ValueError(
                f"unknown indicator metric {self.metric!r}: a catalogue id, a rating kind "
                f"({', '.join(sorted(RATING_KIND_IDS))}) or {SALES_TARGET_COMPLETION}"
            )
        if self.direction is None:
            self.direction = metric_direction(self.metric)
            if self.direction is None:
                raise ValueError(f"{self.metric!r} has no direction: give direction higher/lower")
        if self.reference == "target" and self.target is None:
            raise ValueError(f"indicator {self.metric!r}: reference target needs a target value")
        return self


class KpiPlan(Versioned):
    """One role's plan; the weights sum to 100."""

    role: str
    name: str | None = None
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _weights(self) -> KpiPlan:
        total = sum(i.weight for i in self.indicators)
        if abs(total - WEIGHT_TOTAL) > 1e-6:
            raise ValueError(f"the weights of the {self.role} plan sum to {total:g}, not 100")
        metrics = [i.metric for i in self.indicators]
        if len(set(metrics)) != len(metrics):
            raise ValueError(f"the {self.role} plan lists a metric twice")
        return self

    @property
    def metrics(self) -> list[str]:
        return [i.metric for i in self.indicators]


def _plan(role: str, name: str, weights: dict[str, float]) -> KpiPlan:
    return KpiPlan(
        role=role,
        name=name,
        indicators=[Indicator(metric=m, weight=w) for m, w in weights.items()],
    )


def default_plans() -> list[KpiPlan]:
    """The presale KPI table with its service checks (chat sampling, exams), and the aftersale plan."""
    return [
        _plan(
            "presale",
            "售前客服绩效考核 (默认)",
            {
                "sales": 30,
                "inquiry_to_payment": 25,
                "aov": 15,
                "avg_response_s": 15,
                "reply_rate": 5,
                "quality_check": 10,
            },
        ),
        _plan(
            "aftersale",
            "售后客服绩效考核 (默认)",
            {
                "handling_hours": 30,
                "case_sla_rate": 25,
                "dispute_rate": 15,
                "avg_response_s": 15,
                "quality_check": 15,
            },
        ),
    ]


def template(name: str, role: str = "presale") -> KpiPlan:
    """The two further templates that ship with the product (seeds)."""
    weights = TEMPLATES.get(name)
    if weights is None:
        raise ValueError(f"unknown plan template {name!r}; choose {', '.join(TEMPLATES)}")
    return _plan(role, TEMPLATE_NAMES[name], weights)


# 指标完成率 30 / 询单→付款 20 / 有效客单价 20 / 回复率 20 / 响应时间 5 / 出勤 5
# 询单转化 35 / 落实客单价 25 / 回复率 15 / 响应时间 15 / 主管评分 10
TEMPLATES: dict[str, dict[str, float]] = {
    "target_completion": {
        SALES_TARGET_COMPLETION: 30,
        "inquiry_to_payment": 20,
        "aov": 20,
        "reply_rate": 20,
        "avg_response_s": 5,
        "attendance": 5,
    },
    "conversion": {
        "inquiry_conversion": 35,
        "aov": 25,
        "reply_rate": 15,
        "avg_response_s": 15,
        "supervisor": 10,
    },
}
TEMPLATE_NAMES = {
    "target_completion": "指标完成率模板",
    "conversion": "询单转化模板",
}
