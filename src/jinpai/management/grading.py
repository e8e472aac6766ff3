"""Grading (客服等级, a balanced scorecard), promotion candidates and bottom flags.

Each dimension maps a figure to a level by the balanced scorecard's thresholds; the grade
combines the levels of the dimensions the agent has a value for. A grade never changes the
roster's level by itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from jinpai.management.plans import Direction, metric_direction
from jinpai.management.ranking import dense_ranks, tie_key
from jinpai.management.versions import Versioned

GradeLevel = Literal["junior", "mid", "senior", "gold"]
LEVELS: tuple[GradeLevel, ...] = ("junior", "mid", "senior", "gold")  # worst to best
POINTS: dict[str, int] = {level: i + 1 for i, level in enumerate(LEVELS)}
LEVEL_ZH = {"junior": "初级客服", "mid": "中级客服", "senior": "高级客服", "gold": "金牌客服"}
Rule = Literal["weakest", "majority", "points"]

RoleScores = Mapping[str, Mapping[str, float | None]]  # role -> agent -> KPI score


class Dimension(BaseModel):
    """``gold``, ``senior``, ``mid`` are the boundaries below each level. Higher-better: gold
    above ``gold``, senior in (senior, gold], mid in (mid, senior], junior at or below ``mid``.
    Lower-better: gold below ``gold``, senior in [gold, senior), mid in [senior, mid), junior
    at or above ``mid``. Which way is better is the metric's own (the catalogue's)."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    code: str | None = None
    gold: float
    senior: float
    mid: float

    @model_validator(mode="before")
    @classmethod
    def _stated_direction(cls, data: Any) -> Any:
        """Rules saved (or written) with a direction: it must be the metric's, and is dropped."""
        if isinstance(data, Mapping) and "direction" in data:
            data = dict(data)
            stated = data.pop("direction")
            own = metric_direction(str(data.get("metric")))
            if own is not None and stated != own:
                raise ValueError(f"{data.get('metric')!r} is {own}-is-better, not {stated}")
        return data

    @model_validator(mode="after")
    def _rated(self) -> Dimension:
        if metric_direction(self.metric) is None:
            raise ValueError(f"{self.metric!r} cannot grade: no higher/lower direction")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def direction(self) -> Direction:
        return metric_direction(self.metric) or "higher"  # never None after validation

    def level(self, value: float) -> GradeLevel:
        v = tie_key(value)  # a rate computed as 0.7000000000000001 is the 70% edge
        edges = [tie_key(self.gold), tie_key(self.senior), tie_key(self.mid)]
        for level, edge in zip(("gold", "senior", "mid"), edges, strict=True):
            if (v > edge) if self.direction == "higher" else (v < edge):
                return level  # type: ignore[return-value]
        return "junior"


def default_dimensions() -> list[Dimension]:
    return [
        Dimension(metric="repeat_customer_share", code="A", gold=0.70, senior=0.50, mid=0.30),
        Dimension(metric="old_customer_churn", code="B", gold=0.20, senior=0.30, mid=0.40),
        Dimension(metric="purchase_cycle_days", code="Q", gold=45, senior=70, mid=95),
        Dimension(metric="new_customer_conversion", code="C", gold=0.80, senior=0.70, mid=0.60),
        Dimension(metric="new_customer_repurchase_nd", code="D", gold=0.10, senior=0.07, mid=0.04),
        Dimension(metric="new_customer_retention_nd", code="E", gold=0.05, senior=0.04, mid=0.03),
    ]  # fmt: skip


class GradingRules(Versioned):
    """The grading settings of a month on (management.md, Grading). Beside the spec's rule,
    dimensions, promotion and bottom settings, two choices the spec leaves open:

    - ``bottom_when_all_tie``: when every scored agent of a role ties, the spec's lowest rank
      is everyone's. By default nobody is flagged then (a flag should single someone out);
      ``true`` flags them all, the spec read literally.
    - ``streak_lookback``: a bottom streak is counted back at most this many months (default
      12, a year), so grading a month never reads the whole history.
    """

    rule: Rule = "weakest"
    dimensions: list[Dimension] = Field(default_factory=default_dimensions)
    promotion_months: int = Field(3, ge=1)
    promotion_top: int = Field(3, ge=1)  # ranks 1..promotion_top
    bottom_min_agents: int = Field(3, ge=2)
    bottom_when_all_tie: bool = False
    streak_lookback: int = Field(12, ge=1)  # months looked back for a bottom streak

    @property
    def metrics(self) -> list[str]:
        return [d.metric for d in self.dimensions]


class DimensionLevel(BaseModel):
    value: float | None
    level: GradeLevel | None


class AgentGrade(BaseModel):
    agent_id: str
    role: str | None = None
    dimensions: dict[str, DimensionLevel]
    grade: GradeLevel | None
    previous_grade: GradeLevel | None = None


def combine(levels: Sequence[str], rule: Rule) -> GradeLevel | None:
    """weakest: the lowest level (the barrel principle); majority: the most frequent, a tie going
    to the lower level; points: gold 4 .. junior 1, averaged and rounded down."""
    if not levels:
        return None
    if rule == "weakest":
        return LEVELS[min(POINTS[x] for x in levels) - 1]
    if rule == "majority":
        counts = Counter(levels)
        most = max(counts.values())
        return LEVELS[min(POINTS[x] for x, n in counts.items() if n == most) - 1]
    total = sum(POINTS[x] for x in levels)
    return LEVELS[total // len(levels) - 1]  # integer floor: no float rounding at x.0


def grade_agent(agent_id: str, figures: Mapping[str, Any], rules: GradingRules) -> AgentGrade:
    dims: dict[str, DimensionLevel] = {}
    for d in rules.dimensions:
        value = figures.get(d.metric)
        value = None if value is None else float(value)
        dims[d.metric] = DimensionLevel(
            value=value, level=None if value is None else d.level(value)
        )
    levels = [x.level for x in dims.values() if x.level is not None]
    return AgentGrade(agent_id=agent_id, dimensions=dims, grade=combine(levels, rules.rule))


def grade_agents(
    agents: Mapping[str, Mapping[str, Any]],
    rules: GradingRules,
    roles: Mapping[str, str | None] | None = None,
    previous: Mapping[str, AgentGrade] | None = None,
) -> list[AgentGrade]:
    out = []
    for agent_id, figures in agents.items():
        g = grade_agent(agent_id, figures, rules)
        g.role = (roles or {}).get(agent_id)
        before = (previous or {}).get(agent_id)
        g.previous_grade = before.grade if before is not None else None
        out.append(g)
    return out


def grade_changes(
    grades: Sequence[AgentGrade], previous: Mapping[str, AgentGrade]
) -> list[dict[str, Any]]:
    """Agents whose grade differs from last month's, with the figures behind both (the
    supervisor confirms any change of the roster's level)."""
    changes = []
    for g in grades:
        before = previous.get(g.agent_id)
        if before is None or before.grade == g.grade:
            continue
        changes.append(
            {
                "agent_id": g.agent_id,
                "from": before.grade,
                "to": g.grade,
                "dimensions": {m: d.model_dump() for m, d in g.dimensions.items()},
                "previous_dimensions": {m: d.model_dump() for m, d in before.dimensions.items()},
            }
        )
    return changes


def promotion_candidates(
    history: Sequence[RoleScores], rules: GradingRules
) -> list[dict[str, Any]]:
    """Agents ranked 1..promotion_top by KPI score in their role in each of the last
    ``promotion_months`` months; ``history`` is newest first (history[0] = the month graded)."""
    months = rules.promotion_months
    if len(history) < months:
        return []
    out = []
    for role, scores in history[0].items():
        for agent_id in sorted(scores):
            ranks, kpis = [], []
            for month_scores in history[:months]:
                values = month_scores.get(role, {})
                rank = dense_ranks(values).get(agent_id)
                if rank is None or rank > rules.promotion_top:
                    break
                ranks.append(rank)
                kpis.append(values[agent_id])
            else:
                out.append({"role": role, "agent_id": agent_id, "ranks": ranks, "kpi_scores": kpis})
    return out


def bottom_of(scores: Mapping[str, float | None], rules: GradingRules) -> set[str]:
    """The agents of a role's lowest dense rank, when the role has at least
    ``bottom_min_agents`` scored agents (and, unless ``bottom_when_all_tie``, more than one
    rank)."""
    ranks = dense_ranks(scores)
    if len(ranks) < rules.bottom_min_agents or not ranks:
        return set()
    lowest = max(ranks.values())
    if lowest == 1 and not rules.bottom_when_all_tie:
        return set()
    return {a for a, r in ranks.items() if r == lowest}


def bottom_flags(history: Sequence[RoleScores], rules: GradingRules) -> list[dict[str, Any]]:
    """This month's bottom agents per role with ``streak``: the months in a row (this one
    included, going back through ``history``) each has held the bottom of the role."""
    if not history:
        return []
    out = []
    for role in sorted(history[0]):
        for agent_id in sorted(bottom_of(history[0][role], rules)):
            streak = 0
            for month_scores in history:
                if agent_id not in bottom_of(month_scores.get(role, {}), rules):
                    break
                streak += 1
            out.append({"role": role, "agent_id": agent_id, "streak": streak})
    return out


def needs_more_history(
    history: Sequence[RoleScores], rules: GradingRules, available: bool = True
) -> bool:
    """Whether an older month could still lengthen a bottom streak (for lazy loading)."""
    if not available or len(history) >= rules.streak_lookback:
        return False
    return any(row["streak"] == len(history) for row in bottom_flags(history, rules))
