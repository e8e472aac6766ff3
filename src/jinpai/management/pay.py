"""Pay (薪资) per agent and month, every part with its inputs (management.md, Pay).

total = base + commission + reminder_commission - deduction + award + allowances + adjustments.
Money stays unrounded here; surfaces round to cents for display only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jinpai.management.month import AgentMonth, MonthFigures, employed_days
from jinpai.management.plans import SALES_TARGET_COMPLETION, known_metric
from jinpai.management.ranking import tie_key, top
from jinpai.management.scorecard import Scorecard, team_average
from jinpai.management.versions import Versioned, days_in_month, normalise_month

MONEY_PARTS = (
    "base",
    "commission",
    "reminder_commission",
    "deduction",
    "award",
    "allowances",
    "adjustments",
    "total",
)


class DeductionRule(BaseModel):
    """One indicator of the bonus pool's short list: missing it deducts ``share`` of the
    commission."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    when: Literal["above_team_average", "below_team_average", "below_target"]
    target: float | None = None
    share: float = Field(ge=0, le=1)

    @field_validator("metric")
    @classmethod
    def _known(cls, value: str) -> str:
        # an unknown name would never be missed, so it would never deduct
        if not known_metric(value):
            raise ValueError(f"unknown metric {value!r}")
        return value

    @model_validator(mode="after")
    def _target(self) -> DeductionRule:
        if self.when == "below_target" and self.target is None:
            raise ValueError(f"{self.metric}: below_target needs a target")
        return self


def default_deductions() -> list[DeductionRule]:
    # the bonus-pool rule of thumb: response time, payment conversion, target completion, about 5% in all
    return [
        DeductionRule(metric="avg_response_s", when="above_team_average", share=0.02),
        DeductionRule(metric="order_to_payment", when="below_team_average", share=0.02),
        DeductionRule(metric=SALES_TARGET_COMPLETION, when="below_target", target=1.0, share=0.01),
    ]


class BonusPool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deductions: list[DeductionRule] = Field(default_factory=default_deductions)
    max_deduction: float = Field(0.05, ge=0, le=1)


class AgentTerms(BaseModel):
    """Per-agent overrides of the roster (base_salary, commission_rate) and the sales target."""

    model_config = ConfigDict(extra="forbid")

    base_salary: float | None = None
    commission_rate: float | None = None
    reminder_commission_rate: float | None = None
    sales_target: float | None = None


class Mentorship(BaseModel):
    """A mentor coaching a new agent (辅导补贴, the mentoring allowance): the coaching allowance is paid for
    each month from ``from_month`` to ``until_month`` in which both are employed."""

    model_config = ConfigDict(extra="forbid")

    mentor: str
    mentee: str
    from_month: str | None = None
    until_month: str | None = None
    amount: float | None = None  # default: the terms' coaching_allowance

    @field_validator("from_month", "until_month", mode="before")
    @classmethod
    def _month(cls, value: object) -> str | None:
        return None if value is None else normalise_month(value)


class PayTerms(Versioned):
    mode: Literal["kpi", "bonus_pool"] = "kpi"
    reminder_commission_rate: float | None = None  # None: half the agent's commission rate
    monthly_award: float = 500.0
    award_roles: list[str] | None = None  # None: every role with a plan
    bonus_pool: BonusPool = Field(default_factory=BonusPool)
    coaching_allowance: float = 0.0  # per mentee and month; the seed names no amount
    mentorships: list[Mentorship] = Field(default_factory=list)
    agents: dict[str, AgentTerms] = Field(default_factory=dict)

    def sales_targets(self) -> dict[str, float]:
        return {a: t.sales_target for a, t in self.agents.items() if t.sales_target is not None}


class MonthEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str
    agent_id: str
    amount: float
    reason: str = Field(min_length=1)

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, value: object) -> str:
        return normalise_month(value)


class Allowance(MonthEntry):
    kind: str = "other"


class Adjustment(MonthEntry):
    """A manual change of one month's pay; the reason is required."""


class AgentPay(BaseModel):
    agent_id: str
    shop_id: str = "default"
    name: str | None = None
    role: str | None
    base: float
    commission: float
    reminder_commission: float
    deduction: float
    award: float
    allowances: float
    adjustments: float
    total: float
    inputs: dict[str, Any]


class PaySheet(BaseModel):
    month: str
    mode: str
    terms_valid_from: str
    agents: list[AgentPay]
    totals: dict[str, float]


def compute_pay(
    figures: MonthFigures,
    scorecards: Mapping[str, Scorecard],
    terms: PayTerms,
    allowances: Sequence[Allowance] = (),
    adjustments: Sequence[Adjustment] = (),
) -> PaySheet:
    """The pay sheet of every roster agent employed in the month."""
    month = figures.month
    staff = [a for a in figures.agents if employed_days(a, month) > 0]
    kpi = {a.agent_id: a.kpi_score for card in scorecards.values() for a in card.agents}
    awards = _awards(scorecards, terms)
    coaching = _coaching(staff, month, terms)
    extra = [e for e in allowances if e.month == month]
    manual = [e for e in adjustments if e.month == month]
    rows: list[AgentPay] = []
    for agent in staff:
        own = terms.agents.get(agent.agent_id, AgentTerms())
        base, base_in = _base(agent, own, month)
        commission, commission_in = _commission(agent, own, terms, kpi.get(agent.agent_id))
        reminder, reminder_in = _reminder(agent, own, terms, commission_in["commission_rate"])
        deduction, deduction_in = _deduction(agent, staff, terms, commission)
        award, award_in = awards.get(agent.agent_id, (0.0, None))
        items = coaching.get(agent.agent_id, []) + [
            {"kind": e.kind, "amount": e.amount, "reason": e.reason}
            for e in extra
            if e.agent_id == agent.agent_id
        ]
        changes = [
            {"amount": e.amount, "reason": e.reason} for e in manual if e.agent_id == agent.agent_id
        ]
        allowance_sum = sum(i["amount"] for i in items)
        adjustment_sum = sum(c["amount"] for c in changes)
        total = base + commission + reminder - deduction + award + allowance_sum + adjustment_sum
        rows.append(
            AgentPay(
                agent_id=agent.agent_id,
                shop_id=agent.shop_id,
                name=agent.name,
                role=agent.role,
                base=base,
                commission=commission,
                reminder_commission=reminder,
                deduction=deduction,
                award=award,
                allowances=allowance_sum,
                adjustments=adjustment_sum,
                total=total,
                inputs={
                    "base": base_in,
                    "commission": commission_in,
                    "reminder_commission": reminder_in,
                    "deduction": deduction_in,
                    "award": award_in,
                    "allowances": items,
                    "adjustments": changes,
                },
            )
        )
    totals = {part: sum(getattr(r, part) for r in rows) for part in MONEY_PARTS}
    return PaySheet(
        month=month, mode=terms.mode, terms_valid_from=terms.valid_from, agents=rows, totals=totals
    )


def _base(agent: AgentMonth, own: AgentTerms, month: str) -> tuple[float, dict[str, Any]]:
    salary = own.base_salary if own.base_salary is not None else agent.base_salary
    days, of = employed_days(agent, month), days_in_month(month)
    inputs = {
        "base_salary": salary,
        "days_employed": days,
        "days_in_month": of,
        "hired_on": agent.hired_on,
        "left_on": agent.left_on,
    }
    return (salary or 0.0) * days / of, inputs


def _commission(
    agent: AgentMonth, own: AgentTerms, terms: PayTerms, kpi: float | None
) -> tuple[float, dict[str, Any]]:
    rate = own.commission_rate if own.commission_rate is not None else agent.commission_rate
    sales = float(agent.figures.get("sales") or 0.0)
    # no KPI factor in bonus_pool mode; without a plan (or with no indicator left) the plain
    # commission is paid: the KPI factor is the plan's effect, and there is no plan
    factor = 1.0 if terms.mode == "bonus_pool" or kpi is None else kpi / 100
    inputs = {
        "commission_rate": rate,
        "sales": sales,
        "kpi_score": kpi,
        "kpi_factor": factor,
        "mode": terms.mode,
    }
    return (rate or 0.0) * sales * factor, inputs


def _reminder(
    agent: AgentMonth, own: AgentTerms, terms: PayTerms, commission_rate: float | None
) -> tuple[float, dict[str, Any]]:
    rate = own.reminder_commission_rate
    if rate is None:
        rate = terms.reminder_commission_rate
    if rate is None:
        rate = (commission_rate or 0.0) / 2
    secured = float(agent.figures.get("secured_silent_sales") or 0.0)
    credit = agent.reminders
    if credit is None:  # figures without per-order detail: the metric as it stands
        recovered = float(agent.figures.get("recovered_sales") or 0.0)
        detail = {"recovered_sales": recovered, "per_order_detail": False}
        other = recovered
    else:
        other = credit.other
        detail = {
            "recovered_sales": credit.recovered_sales,
            "recovered_on_own_sales_orders": credit.own_sales_orders,
            "recovered_on_own_secured_orders": credit.own_secured_orders,
        }
    inputs = {
        "reminder_commission_rate": rate,
        **detail,
        "recovered_other": other,
        "secured_silent_sales": secured,
    }
    if credit is not None:  # the orders behind the recovered figures, each with its part
        inputs["orders"] = [o.model_dump() for o in credit.orders]
    return rate * (other + secured), inputs


def _missed(rule: DeductionRule, value: float | None, reference: float | None) -> bool:
    if value is None or reference is None:
        return False  # no figure, no target: nothing to miss
    if rule.when == "above_team_average":
        return tie_key(value) > tie_key(reference)
    return tie_key(value) < tie_key(reference)


def _deduction(
    agent: AgentMonth, staff: Sequence[AgentMonth], terms: PayTerms, commission: float
) -> tuple[float, dict[str, Any] | None]:
    if terms.mode != "bonus_pool":
        return 0.0, None
    pool = terms.bonus_pool
    team = [a for a in staff if a.role == agent.role]
    checks = []
    for rule in pool.deductions:
        value = _float(agent.figures.get(rule.metric))
        if rule.when == "below_target":
            reference = rule.target
        else:
            reference = team_average({a.agent_id: _float(a.figures.get(rule.metric)) for a in team})
        missed = _missed(rule, value, reference)
        checks.append(
            {
                "metric": rule.metric,
                "when": rule.when,
                "value": value,
                "reference": reference,
                "share": rule.share,
                "missed": missed,
            }
        )
    share = sum(c["share"] for c in checks if c["missed"])
    applied = min(share, pool.max_deduction)
    inputs = {
        "pool": commission,
        "checks": checks,
        "missed_share": share,
        "max_deduction": pool.max_deduction,
        "applied_share": applied,
    }
    return commission * applied, inputs


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _awards(
    scorecards: Mapping[str, Scorecard], terms: PayTerms
) -> dict[str, tuple[float, dict[str, Any]]]:
    """monthly_award to the highest KPI score of each role; tied agents split it equally."""
    out: dict[str, tuple[float, dict[str, Any]]] = {}
    for role, card in scorecards.items():
        if terms.award_roles is not None and role not in terms.award_roles:
            continue
        winners = top(card.kpi())
        if not winners or terms.monthly_award == 0:
            continue
        share = terms.monthly_award / len(winners)
        best = max(s for s in card.kpi().values() if s is not None)
        for agent_id in winners:
            out[agent_id] = (
                share,
                {
                    "monthly_award": terms.monthly_award,
                    "role": role,
                    "kpi_score": best,
                    "winners": winners,
                },
            )
    return out


def _coaching(
    staff: Sequence[AgentMonth], month: str, terms: PayTerms
) -> dict[str, list[dict[str, Any]]]:
    employed = {a.agent_id for a in staff}
    out: dict[str, list[dict[str, Any]]] = {}
    for m in terms.mentorships:
        active = (m.from_month is None or m.from_month <= month) and (
            m.until_month is None or month <= m.until_month
        )
        amount = m.amount if m.amount is not None else terms.coaching_allowance
        if active and amount and m.mentor in employed and m.mentee in employed:
            out.setdefault(m.mentor, []).append(
                {"kind": "coaching", "amount": amount, "reason": f"辅导补贴: 带新人 {m.mentee}"}
            )
    return out
