"""The JSON contracts of ``jinpai score | pay | grade | rank`` (management.md, Contracts), shaped
from the pure results. Values are exact; surfaces round for display only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinpai.management.configuration import ManagementConfig
from jinpai.management.grading import (
    AgentGrade,
    RoleScores,
    bottom_flags,
    grade_agents,
    grade_changes,
    promotion_candidates,
)
from jinpai.management.month import MonthFigures
from jinpai.management.pay import PaySheet, compute_pay
from jinpai.management.plans import KPI_SCORE, metric_direction
from jinpai.management.ranking import rank_rows
from jinpai.management.scorecard import Scorecard, score_role


def scorecards(
    figures: MonthFigures, config: ManagementConfig, role: str | None = None
) -> dict[str, Scorecard]:
    """The scorecard of each role (with a plan in force) that has agents this month."""
    out: dict[str, Scorecard] = {}
    for r in figures.roles():
        plan = config.plan_for(r, figures.month)
        if plan is None or (role is not None and r != role):
            continue
        agents = {a.agent_id: a.figures for a in figures.role_agents(r)}
        out[r] = score_role(plan, agents, figures.month)
    return out


def role_scores(cards: Mapping[str, Scorecard]) -> dict[str, dict[str, float | None]]:
    return {role: card.kpi() for role, card in cards.items()}


def _head(figures: MonthFigures) -> dict[str, Any]:
    return {
        "month": figures.month,
        "shop_id": figures.shop_id,
        "as_of": figures.as_of,
        "profile": figures.profile,
    }


def score_result(figures: MonthFigures, cards: Mapping[str, Scorecard]) -> dict[str, Any]:
    names = {a.agent_id: a.name for a in figures.agents}
    agents = []
    for card in cards.values():
        for a in card.agents:
            row = a.model_dump()
            row.update(shop_id=figures.shop_id, name=names.get(a.agent_id))
            agents.append(row)
    roles = [
        {"role": c.role, "plan_valid_from": c.plan_valid_from, "dropped": c.dropped}
        for c in cards.values()
    ]
    return {**_head(figures), "roles": roles, "agents": agents}


def pay_result(
    figures: MonthFigures,
    cards: Mapping[str, Scorecard],
    config: ManagementConfig,
    role: str | None,
) -> dict[str, Any]:
    terms = config.terms_for(figures.month)
    sheet: PaySheet = compute_pay(figures, cards, terms, config.allowances, config.adjustments)
    rows = [r for r in sheet.agents if role is None or r.role == role]
    totals = {k: sum(getattr(r, k) for r in rows) for k in sheet.totals}
    return {
        **_head(figures),
        "mode": sheet.mode,
        "terms_valid_from": sheet.terms_valid_from,
        "agents": [r.model_dump(mode="json") for r in rows],
        "totals": totals,
    }


def grade_result(
    figures: MonthFigures,
    previous: MonthFigures | None,
    config: ManagementConfig,
    history: Sequence[RoleScores],
    role: str | None = None,
) -> dict[str, Any]:
    """``history``: the KPI scores per role, newest first (history[0] = this month)."""
    rules = config.grading_for(figures.month)
    before: dict[str, AgentGrade] = {}
    if previous is not None:
        prev_rules = config.grading_for(previous.month)
        prev_agents = {a.agent_id: a.figures for a in previous.agents}
        before = {g.agent_id: g for g in grade_agents(prev_agents, prev_rules)}
    staff = [a for a in figures.agents if role is None or a.role == role]
    grades = grade_agents(
        {a.agent_id: a.figures for a in staff},
        rules,
        roles={a.agent_id: a.role for a in staff},
        previous=before,
    )
    if role is not None:
        history = [{role: h.get(role, {})} for h in history]
    return {
        **_head(figures),
        "rule": rules.rule,
        "agents": [g.model_dump() for g in grades],
        "changes": grade_changes(grades, before),
        "promotion_candidates": promotion_candidates(history, rules),
        "bottom": bottom_flags(history, rules),
        "history_months": len(history),
    }


def rank_result(
    figures: MonthFigures,
    metric: str,
    cards: Mapping[str, Scorecard] | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    """Dense ranks per role on a figure (direction-aware; neutral figures rank higher first) or
    on the KPI score."""
    if metric == KPI_SCORE:
        values = role_scores(cards or {})
    else:
        values = {
            r: {a.agent_id: a.figures.get(metric) for a in figures.role_agents(r)}
            for r in figures.roles()
        }
    if role is not None:
        values = {role: values.get(role, {})}
    direction = metric_direction(metric) or "higher"
    return {
        **_head(figures),
        "metric": metric,
        "direction": direction,
        "agents": rank_rows(values, direction),
    }
