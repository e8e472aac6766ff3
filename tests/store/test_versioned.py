"""KPI plans, grading rules and pay settings: JSON documents versioned by month."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel
from sqlalchemy.orm import Session

from jinpai.store import versioned

PRESALE = {
    "role": "presale",
    "indicators": [
        {"metric": "sales", "weight": 30, "reference": "team_average", "cap": 1.2},
        {"metric": "quality_check", "weight": 10, "reference": {"target": 90}},
    ],
    "name": "售前绩效考核表",
}


class Indicator(BaseModel):
    metric: str
    weight: float


class Plan(BaseModel):
    role: str
    indicators: list[Indicator]


def test_plan_in_force_per_month(session: Session) -> None:
    versioned.save_plan(session, "s1", "presale", "2024-01", PRESALE, created_by="boss")
    april = Plan(role="presale", indicators=[Indicator(metric="sales", weight=100)])
    versioned.save_plan(session, "s1", "presale", "2024-04", april)
    session.commit()
    assert versioned.plan_in_force(session, "s1", "presale", "2024-03") == PRESALE
    assert versioned.plan_in_force(session, "s1", "presale", "2024-04") == april.model_dump()
    assert versioned.plan_in_force(session, "s1", "presale", "2023-12") is None
    assert versioned.plan_in_force(session, "s1", "aftersale", "2024-03") is None
    assert [m for m, _ in versioned.plan_history(session, "s1", "presale")] == [
        date(2024, 1, 1),
        date(2024, 4, 1),
    ]


def test_returned_plan_is_a_copy(session: Session) -> None:
    versioned.save_plan(session, "s1", "presale", "2024-01", PRESALE)
    session.commit()
    plan = versioned.plan_in_force(session, "s1", "presale", "2024-01")
    plan["indicators"].append({"metric": "aov"})
    assert versioned.plan_in_force(session, "s1", "presale", "2024-01") == PRESALE


def test_saving_the_same_month_replaces_it(session: Session) -> None:
    versioned.save_plan(session, "s1", "presale", "2024-01", PRESALE)
    versioned.save_plan(session, "s1", "presale", "2024-01-20", {"indicators": []})
    session.commit()
    assert versioned.plan_history(session, "s1", "presale") == [
        (date(2024, 1, 1), {"indicators": []})
    ]


def test_documents_must_be_json(session: Session) -> None:
    with pytest.raises(ValueError, match="JSON"):
        versioned.save_plan(session, "s1", "presale", "2024-01", {"when": date(2024, 1, 1)})
    with pytest.raises(ValueError, match="JSON"):
        versioned.save_plan(session, "s1", "presale", "2024-01", {"cap": float("nan")})
    with pytest.raises(TypeError):
        versioned.save_plan(session, "s1", "presale", "2024-01", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_pay_settings_and_grading_rules(session: Session) -> None:
    versioned.save_pay_settings(session, "s1", "2024-01", {"mode": "kpi", "award": 500})
    versioned.save_pay_settings(
        session, "s1", "2024-05", {"mode": "bonus_pool", "settle_days": 7, "max_deduction": 0.05}
    )
    versioned.save_grading_rules(session, "s1", "2024-01", {"rule": "weakest"})
    session.commit()
    assert versioned.pay_settings_in_force(session, "s1", "2024-04") == {
        "mode": "kpi",
        "award": 500,
    }
    assert versioned.pay_settings_in_force(session, "s1", "2024-05")["mode"] == "bonus_pool"
    assert versioned.grading_rules_in_force(session, "s1", "2024-09") == {"rule": "weakest"}
    assert versioned.grading_rules_in_force(session, "other", "2024-09") is None
    with pytest.raises(ValueError, match="mode"):
        versioned.save_pay_settings(session, "s1", "2024-06", {"mode": "piecework"})
    with pytest.raises(ValueError, match="settle_days"):
        versioned.save_pay_settings(session, "s1", "2024-06", {"settle_days": -1})
