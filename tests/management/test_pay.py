"""Pay parts of management.md worked by hand: base, commission, reminder commission, bonus pool
deductions, the monthly award, allowances, adjustments; and versioned plans and terms."""

from __future__ import annotations

from datetime import date

import pytest

from jinpai.management.configuration import ManagementConfig
from jinpai.management.month import ReminderCredit
from jinpai.management.pay import (
    Adjustment,
    Allowance,
    BonusPool,
    Mentorship,
    PayTerms,
    compute_pay,
)
from jinpai.management.plans import Indicator, KpiPlan
from jinpai.management.results import pay_result, scorecards
from tests.management.helpers import agent, month

PLAN = KpiPlan(
    role="presale",
    valid_from="2024-01",
    indicators=[
        Indicator(metric="sales", weight=50),
        Indicator(metric="avg_response_s", weight=30),
        Indicator(metric="quality_check", weight=20, reference="target", target=85),
    ],
)


def three_agents():  # type: ignore[no-untyped-def]
    return month(
        [
            agent(
                "p1",
                commission_rate=0.01,
                sales=10000.0,
                avg_response_s=30.0,
                quality_check=90.0,
                secured_silent_sales=200.0,
                reminders=ReminderCredit(
                    recovered_sales=1000.0, own_sales_orders=400.0, own_secured_orders=100.0
                ),
            ),
            agent(
                "p2", commission_rate=0.02, sales=20000.0, avg_response_s=60.0, quality_check=80.0
            ),
            # joined on 03-16: 16 of March's 31 days; no counted round yet
            agent(
                "p3",
                hired_on=date(2024, 3, 16),
                sales=3000.0,
                avg_response_s=None,
                quality_check=70.0,
            ),
        ]
    )


def test_three_agent_month_scorecard_and_every_pay_part() -> None:
    figures = three_agents()
    config = ManagementConfig(plans=[PLAN], adjustments=[
        Adjustment(month="2024-03", agent_id="p2", amount=-80.0, reason="迟到两次"),
        Adjustment(month="2024-04", agent_id="p2", amount=-999.0, reason="next month"),
    ])  # fmt: skip
    cards = scorecards(figures, config)
    result = pay_result(figures, cards, config, None)
    rows = {r["agent_id"]: r for r in result["agents"]}

    # scorecard: sales vs the team average, response time lower-better, quality vs target 85
    sales_ref = (10000 + 20000 + 3000) / 3
    resp_ref = (30 + 60) / 2  # p3 has no value: left out of the mean, scores 0
    kpi = {
        "p1": 50 * min(1.2, 10000 / sales_ref) + 30 * min(1.2, resp_ref / 30) + 20 * 90 / 85,
        "p2": 50 * min(1.2, 20000 / sales_ref) + 30 * min(1.2, resp_ref / 60) + 20 * 80 / 85,
        "p3": 50 * min(1.2, 3000 / sales_ref) + 30 * 0 + 20 * 70 / 85,
    }
    assert cards["presale"].kpi() == pytest.approx(kpi)

    # base prorated by calendar days employed (hired_on included)
    assert rows["p1"]["base"] == pytest.approx(3000)
    assert rows["p3"]["base"] == pytest.approx(3000 * 16 / 31)
    assert rows["p3"]["inputs"]["base"]["days_employed"] == 16

    # commission = rate x sales x KPI / 100
    assert rows["p1"]["commission"] == pytest.approx(0.01 * 10000 * kpi["p1"] / 100)
    assert rows["p2"]["commission"] == pytest.approx(0.02 * 20000 * kpi["p2"] / 100)
    assert rows["p3"]["commission"] == pytest.approx(0.01 * 3000 * kpi["p3"] / 100)

    # reminder commission: half the commission rate x (recovered on others' orders + secured)
    other = 1000 - 400 - 100
    assert rows["p1"]["reminder_commission"] == pytest.approx(0.01 / 2 * (other + 200))
    assert rows["p1"]["inputs"]["reminder_commission"]["recovered_other"] == other
    assert rows["p2"]["reminder_commission"] == 0

    # the award goes to the highest KPI score of the role
    winner = max(kpi, key=kpi.get)
    assert {a: r["award"] for a, r in rows.items()} == {
        a: (500.0 if a == winner else 0.0) for a in kpi
    }

    assert rows["p2"]["adjustments"] == -80
    assert rows["p2"]["inputs"]["adjustments"] == [{"amount": -80.0, "reason": "迟到两次"}]
    for r in rows.values():
        parts = (
            r["base"] + r["commission"] + r["reminder_commission"] - r["deduction"]
            + r["award"] + r["allowances"] + r["adjustments"]
        )  # fmt: skip
        assert r["total"] == pytest.approx(parts)
        assert r["deduction"] == 0
    assert result["totals"]["total"] == pytest.approx(sum(r["total"] for r in rows.values()))
    assert result["totals"]["award"] == 500


def test_tied_agents_split_the_award() -> None:
    figures = month(
        [
            agent("a", sales=100.0, avg_response_s=40.0, quality_check=85.0),
            agent("b", sales=100.0, avg_response_s=40.0, quality_check=85.0),
            agent("c", sales=50.0, avg_response_s=40.0, quality_check=85.0),
        ]
    )
    config = ManagementConfig(plans=[PLAN], pay_terms=[PayTerms(monthly_award=500)])
    sheet = compute_pay(figures, scorecards(figures, config), config.terms_for("2024-03"))
    awards = {r.agent_id: r.award for r in sheet.agents}
    assert awards == {"a": 250.0, "b": 250.0, "c": 0.0}


def test_bonus_pool_deductions_are_capped() -> None:
    # the default list (2% + 2% + 1%) with a 3% cap: missing all three deducts 3%, not 5%
    terms = PayTerms(
        mode="bonus_pool",
        bonus_pool=BonusPool(max_deduction=0.03),
        agents={"slow": {"sales_target": 50000}, "fast": {"sales_target": 1000}},
    )
    figures = month(
        [
            agent("slow", sales=20000.0, avg_response_s=90.0, order_to_payment=0.5,
                  sales_target_completion=20000 / 50000),
            agent("fast", sales=30000.0, avg_response_s=30.0, order_to_payment=0.9,
                  sales_target_completion=30000 / 1000),
            agent("mid", sales=10000.0, avg_response_s=80.0, order_to_payment=0.8),
        ]
    )  # fmt: skip
    config = ManagementConfig(plans=[PLAN])
    sheet = compute_pay(figures, scorecards(figures, config), terms)
    rows = {r.agent_id: r for r in sheet.agents}
    # response average (90+30+80)/3 = 66.7: slow and mid are above it; payment conversion
    # average 0.733: slow is below it; slow's target completion 40% < 100%
    assert rows["slow"].commission == pytest.approx(0.01 * 20000)  # no KPI factor
    assert rows["slow"].inputs["deduction"]["missed_share"] == pytest.approx(0.05)
    assert rows["slow"].deduction == pytest.approx(0.01 * 20000 * 0.03)
    assert rows["mid"].deduction == pytest.approx(0.01 * 10000 * 0.02)  # response only; no target
    assert rows["fast"].deduction == 0
    assert rows["slow"].total == pytest.approx(3000 + 200 - 6 + 0)


def test_plan_changed_in_april_leaves_march_pay_unchanged() -> None:
    april_plan = KpiPlan(
        role="presale",
        valid_from="2024-04",
        indicators=[Indicator(metric="sales", weight=100)],
    )
    april_terms = PayTerms(valid_from="2024-04", monthly_award=1000, reminder_commission_rate=0.1)
    before = ManagementConfig(plans=[PLAN])
    after = ManagementConfig(plans=[PLAN, april_plan], pay_terms=[april_terms])
    march = three_agents()
    paid = pay_result(march, scorecards(march, before), before, None)
    again = pay_result(march, scorecards(march, after), after, None)
    assert again == paid
    assert after.plan_for("presale", "2024-03") == PLAN
    assert after.plan_for("presale", "2024-04") == april_plan
    april = three_agents().model_copy(update={"month": "2024-04"})
    april_cards = scorecards(april, after)
    assert [i.metric for i in april_cards["presale"].agents[0].indicators] == ["sales"]
    april_pay = pay_result(april, april_cards, after, None)
    assert april_pay["totals"]["award"] == 1000


def test_allowances_coaching_and_left_mid_month() -> None:
    terms = PayTerms(
        coaching_allowance=200,
        mentorships=[
            Mentorship(mentor="old", mentee="new", from_month="2024-03", until_month="2024-05"),
            Mentorship(mentor="old", mentee="gone", until_month="2024-02"),
        ],
        monthly_award=0,
    )
    figures = month(
        [
            agent("old", sales=0.0),
            agent("new", hired_on=date(2024, 3, 20), sales=0.0),
            # left on 03-10: 10 days employed, both ends included
            agent("leaver", hired_on=date(2022, 1, 1), left_on=date(2024, 3, 10), sales=0.0),
            agent("gone", hired_on=date(2022, 1, 1), left_on=date(2024, 2, 29), sales=0.0),
        ]
    )
    extra = [Allowance(month="2024-03", agent_id="new", kind="meal", amount=50, reason="餐补")]
    sheet = compute_pay(figures, {}, terms, allowances=extra)
    rows = {r.agent_id: r for r in sheet.agents}
    assert "gone" not in rows  # not employed in March: no pay row
    assert rows["old"].allowances == 200
    assert rows["new"].allowances == 50
    assert rows["new"].base == pytest.approx(3000 * 12 / 31)
    assert rows["leaver"].base == pytest.approx(3000 * 10 / 31)
    # no plan for the role: the plain commission (no KPI factor) is paid
    assert rows["old"].inputs["commission"]["kpi_factor"] == 1.0


def test_adjustment_needs_a_reason() -> None:
    with pytest.raises(ValueError):
        Adjustment(month="2024-03", agent_id="a", amount=10, reason="")
