"""The KPI scorecard (绩效考核表) of one role and month, from the figures of the role's agents.

Rules (management.md): the reference is the plain mean over the role's agents that have a value
(0 is a value, null is not) or a fixed target; an indicator nobody has is left out and the other
weights are scaled back to 100; an agent without a value where others have one scores 0 on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from jinpai.management.plans import WEIGHT_TOTAL, Indicator, KpiPlan

Figures = Mapping[str, Any]


class IndicatorScore(BaseModel):
    metric: str
    weight: float  # after rescaling (what the points use)
    plan_weight: float
    direction: str
    value: float | None
    reference: float | None
    score: float
    points: float


class AgentScore(BaseModel):
    agent_id: str
    role: str
    kpi_score: float | None  # percent; None when the plan has no indicator left
    indicators: list[IndicatorScore]


class Scorecard(BaseModel):
    month: str | None = None
    role: str
    plan_valid_from: str
    dropped: list[str]  # indicators no agent of the role has a value for
    agents: list[AgentScore]

    def kpi(self) -> dict[str, float | None]:
        return {a.agent_id: a.kpi_score for a in self.agents}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is no value


def team_average(values: Mapping[str, float | None]) -> float | None:
    present = [v for v in values.values() if v is not None]
    return sum(present) / len(present) if present else None


def indicator_score(value: float | None, reference: float | None, ind: Indicator) -> float:
    """min(cap, value/reference) higher-better, min(cap, reference/value) lower-better."""
    if value is None or reference is None:
        return 0.0
    if ind.direction == "higher":
        if value == 0:
            return 0.0
        if reference == 0:
            return ind.cap  # anything beats a zero reference
        return min(ind.cap, value / reference)
    if value == 0:
        return ind.cap
    return min(ind.cap, reference / value)


def score_role(
    plan: KpiPlan,
    agents: Mapping[str, Figures],
    month: str | None = None,
) -> Scorecard:
    """The scorecard of ``agents`` ({agent_id: {metric: value}}, the role's agents only)."""
    columns = {
        ind.metric: {a: _number(f.get(ind.metric)) for a, f in agents.items()}
        for ind in plan.indicators
    }
    kept = [i for i in plan.indicators if any(v is not None for v in columns[i.metric].values())]
    dropped = [i.metric for i in plan.indicators if i not in kept]
    kept_weight = sum(i.weight for i in kept)
    references = {
        i.metric: (team_average(columns[i.metric]) if i.reference == "team_average" else i.target)
        for i in kept
    }
    rows: list[AgentScore] = []
    for agent_id in agents:
        scores: list[IndicatorScore] = []
        for ind in kept:
            weight = ind.weight * WEIGHT_TOTAL / kept_weight
            value, reference = columns[ind.metric][agent_id], references[ind.metric]
            score = indicator_score(value, reference, ind)
            scores.append(
                IndicatorScore(
                    metric=ind.metric,
                    weight=weight,
                    plan_weight=ind.weight,
                    direction=str(ind.direction),
                    value=value,
                    reference=reference,
                    score=score,
                    points=weight * score,
                )
            )
        kpi = sum(s.points for s in scores) if scores else None
        rows.append(AgentScore(agent_id=agent_id, role=plan.role, kpi_score=kpi, indicators=scores))
    return Scorecard(
        month=month,
        role=plan.role,
        plan_valid_from=plan.valid_from,
        dropped=dropped,
        agents=rows,
    )
