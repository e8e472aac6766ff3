"""The KPI scorecard rules of management.md, each expected number worked from the rule text."""

from __future__ import annotations

import pytest

from jinpai.management.plans import Indicator, KpiPlan, default_plans, template
from jinpai.management.scorecard import score_role


def plan(*indicators: Indicator, role: str = "presale") -> KpiPlan:
    return KpiPlan(role=role, indicators=list(indicators))


def by_agent(card) -> dict:  # type: ignore[no-untyped-def]
    return {a.agent_id: a for a in card.agents}


def test_team_average_reference_cap_and_lower_better() -> None:
    p = plan(
        Indicator(metric="sales", weight=60),
        Indicator(metric="avg_response_s", weight=40),
    )
    agents = {
        "a": {"sales": 10000, "avg_response_s": 30},
        "b": {"sales": 20000, "avg_response_s": 90},
        "c": {"sales": 0, "avg_response_s": 60},
    }
    card = by_agent(score_role(p, agents))
    sales_ref = (10000 + 20000 + 0) / 3  # 0 is a value: it counts in the mean
    resp_ref = (30 + 90 + 60) / 3
    a = 60 * min(1.2, 10000 / sales_ref) + 40 * min(1.2, resp_ref / 30)
    b = 60 * min(1.2, 20000 / sales_ref) + 40 * min(1.2, resp_ref / 90)
    c = 60 * 0 + 40 * min(1.2, resp_ref / 60)  # sales 0 scores 0 (higher-better)
    assert card["a"].kpi_score == pytest.approx(a)
    assert card["b"].kpi_score == pytest.approx(b)
    assert card["c"].kpi_score == pytest.approx(c)
    sales_b = card["b"].indicators[0]
    assert sales_b.reference == pytest.approx(sales_ref)
    assert sales_b.score == 1.2  # 20000 / 10000 = 2, capped
    assert sales_b.points == pytest.approx(60 * 1.2)


def test_lower_better_value_zero_scores_cap() -> None:
    p = plan(Indicator(metric="dispute_rate", weight=100, cap=1.5), role="aftersale")
    card = by_agent(score_role(p, {"x": {"dispute_rate": 0.0}, "y": {"dispute_rate": 0.1}}))
    assert card["x"].kpi_score == pytest.approx(100 * 1.5)
    assert card["y"].kpi_score == pytest.approx(100 * (0.05 / 0.1))


def test_null_is_not_a_value_and_scores_zero_where_others_have_one() -> None:
    p = plan(Indicator(metric="sales", weight=50), Indicator(metric="aov", weight=50))
    agents = {
        "a": {"sales": 300.0, "aov": 150.0},
        "b": {"sales": 100.0, "aov": 100.0},
        "c": {"sales": 0.0, "aov": None},  # no orders: sales 0 but no aov
    }
    card = by_agent(score_role(p, agents))
    aov_ref = (150 + 100) / 2  # c is left out of the mean
    assert card["a"].indicators[1].reference == pytest.approx(aov_ref)
    assert card["c"].indicators[1].score == 0
    sales_ref = 400 / 3
    assert card["a"].kpi_score == pytest.approx(50 * min(1.2, 300 / sales_ref) + 50 * 150 / aov_ref)
    assert card["c"].kpi_score == 0


def test_indicator_nobody_has_is_dropped_and_weights_rescaled() -> None:
    p = plan(
        Indicator(metric="sales", weight=60),
        Indicator(metric="aov", weight=30),
        Indicator(metric="quality_check", weight=10),
    )
    agents = {
        "a": {"sales": 200.0, "aov": 100.0, "quality_check": None},
        "b": {"sales": 100.0, "aov": 50.0},
    }
    result = score_role(p, agents)
    assert result.dropped == ["quality_check"]
    card = by_agent(result)
    w_sales, w_aov = 60 * 100 / 90, 30 * 100 / 90  # the remaining 90 scaled back to 100
    assert [i.weight for i in card["a"].indicators] == pytest.approx([w_sales, w_aov])
    assert card["a"].kpi_score == pytest.approx(
        w_sales * min(1.2, 200 / 150) + w_aov * min(1.2, 100 / 75)
    )
    assert card["b"].kpi_score == pytest.approx(w_sales * 100 / 150 + w_aov * 50 / 75)


def test_fixed_target_and_everyone_at_reference_scores_100() -> None:
    p = plan(
        Indicator(metric="reply_rate", weight=50, reference="target", target=0.95),
        Indicator(metric="quality_check", weight=50),
    )
    card = by_agent(score_role(p, {"a": {"reply_rate": 0.95, "quality_check": 80}}))
    assert card["a"].kpi_score == pytest.approx(100)


def test_plans_validate_weights_metrics_and_ship_defaults() -> None:
    with pytest.raises(ValueError, match="sum to"):
        plan(Indicator(metric="sales", weight=90))
    with pytest.raises(ValueError, match="unknown indicator"):
        Indicator(metric="no_such_metric", weight=10)
    presale, aftersale = default_plans()
    assert {i.metric: i.weight for i in presale.indicators} == {
        "sales": 30, "inquiry_to_payment": 25, "aov": 15,
        "avg_response_s": 15, "reply_rate": 5, "quality_check": 10,
    }  # fmt: skip
    assert {i.metric: i.weight for i in aftersale.indicators} == {
        "handling_hours": 30, "case_sla_rate": 25, "dispute_rate": 15,
        "avg_response_s": 15, "quality_check": 15,
    }  # fmt: skip
    assert presale.indicators[3].direction == "lower"
    assert sum(i.weight for i in template("target_completion").indicators) == 100
    assert template("conversion").metrics[-1] == "supervisor"
