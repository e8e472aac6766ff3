"""Seed 004's grading table at its edges, the combination rules, promotion and bottom streaks."""

from __future__ import annotations

import pytest

from jinpai.management.grading import (
    GradingRules,
    bottom_flags,
    combine,
    grade_agent,
    grade_agents,
    grade_changes,
    needs_more_history,
    promotion_candidates,
)
from jinpai.management.ranking import dense_ranks

RULES = GradingRules()

# (metric, value, level) straight from seed 004's table: each edge value and a step either side
EDGES = [
    # A: gold > 70%, senior 50% < A <= 70%, mid 30% < A <= 50%, junior <= 30%
    ("repeat_customer_share", 0.30, "junior"),
    ("repeat_customer_share", 0.3001, "mid"),
    ("repeat_customer_share", 0.50, "mid"),
    ("repeat_customer_share", 0.5001, "senior"),
    ("repeat_customer_share", 0.70, "senior"),
    ("repeat_customer_share", 0.7001, "gold"),
    # B: gold < 20%, senior 20% <= B < 30%, mid 30% <= B < 40%, junior >= 40%
    ("old_customer_churn", 0.1999, "gold"),
    ("old_customer_churn", 0.20, "senior"),
    ("old_customer_churn", 0.30, "mid"),
    ("old_customer_churn", 0.40, "junior"),
    ("old_customer_churn", 0.3999, "mid"),
    # Q: gold < 45, senior 45 <= Q < 70, mid 70 <= Q < 95, junior >= 95
    ("purchase_cycle_days", 44.9, "gold"),
    ("purchase_cycle_days", 45, "senior"),
    ("purchase_cycle_days", 70, "mid"),
    ("purchase_cycle_days", 95, "junior"),
    ("purchase_cycle_days", 94.9, "mid"),
    # C: gold > 80%, senior 70% < C <= 80%, mid 60% < C <= 70%, junior <= 60%
    ("new_customer_conversion", 0.60, "junior"),
    ("new_customer_conversion", 0.70, "mid"),
    ("new_customer_conversion", 0.80, "senior"),
    ("new_customer_conversion", 0.8001, "gold"),
    # D: gold > 10%, senior 7% < D <= 10%, mid 4% < D <= 7%, junior <= 4%
    ("new_customer_repurchase_nd", 0.04, "junior"),
    ("new_customer_repurchase_nd", 0.07, "mid"),
    ("new_customer_repurchase_nd", 0.10, "senior"),
    ("new_customer_repurchase_nd", 0.1001, "gold"),
    # E: gold > 5%, senior 4% < E <= 5%, mid 3% < E <= 4%, junior <= 3%
    ("new_customer_retention_nd", 0.03, "junior"),
    ("new_customer_retention_nd", 0.04, "mid"),
    ("new_customer_retention_nd", 0.05, "senior"),
    ("new_customer_retention_nd", 0.0501, "gold"),
    ("new_customer_retention_nd", 15 / 190, "gold"),  # seed 004's example, 7.89%
]


@pytest.mark.parametrize(("metric", "value", "level"), EDGES)
def test_threshold_edges(metric: str, value: float, level: str) -> None:
    assert grade_agent("a", {metric: value}, RULES).dimensions[metric].level == level


def test_an_edge_computed_with_float_noise_is_still_the_edge() -> None:
    value = 0.1 + 0.2 + 0.4  # 0.7000000000000001
    assert value != 0.7
    assert grade_agent("a", {"repeat_customer_share": value}, RULES).grade == "senior"


def test_combination_rules() -> None:
    levels = ["gold", "gold", "senior", "junior"]
    assert combine(levels, "weakest") == "junior"
    assert combine(levels, "majority") == "gold"
    assert combine(levels, "points") == "senior"  # (4+4+3+1)/4 = 3
    # a majority tie goes to the lower level
    assert combine(["gold", "gold", "mid", "mid", "junior"], "majority") == "mid"
    # points: gold 4, senior 3, mid 2, junior 1, averaged and rounded down
    assert combine(["gold", "mid"], "points") == "senior"  # (4+2)/2 = 3
    assert combine(["gold", "senior"], "points") == "senior"  # 3.5 -> 3
    assert combine(["mid", "junior", "junior"], "points") == "junior"  # 4/3 -> 1
    assert combine([], "weakest") is None


def test_dimensions_without_value_are_left_out_and_no_dimension_no_grade() -> None:
    figures = {"repeat_customer_share": 0.8, "old_customer_churn": None, "purchase_cycle_days": 50}
    g = grade_agent("a", figures, RULES)
    assert g.dimensions["old_customer_churn"].level is None
    assert g.grade == "senior"  # weakest of gold (A) and senior (Q)
    assert grade_agent("b", {}, RULES).grade is None
    majority = GradingRules(rule="majority")
    assert grade_agent("a", {**figures, "new_customer_conversion": 0.9}, majority).grade == "gold"


def test_previous_grade_and_changes() -> None:
    march = {"a": {"repeat_customer_share": 0.6}, "b": {"repeat_customer_share": 0.2}}
    february = {"a": {"repeat_customer_share": 0.4}, "b": {"repeat_customer_share": 0.25}}
    before = {g.agent_id: g for g in grade_agents(february, RULES)}
    grades = grade_agents(march, RULES, previous=before)
    assert [(g.agent_id, g.previous_grade, g.grade) for g in grades] == [
        ("a", "mid", "senior"),
        ("b", "junior", "junior"),
    ]
    changes = grade_changes(grades, before)
    assert [(c["agent_id"], c["from"], c["to"]) for c in changes] == [("a", "mid", "senior")]
    assert changes[0]["previous_dimensions"]["repeat_customer_share"]["value"] == 0.4


def test_dense_ranks_share_ties() -> None:
    assert dense_ranks({"a": 90.0, "b": 95.0, "c": 90.0, "d": 80.0, "e": None}) == {
        "b": 1, "a": 2, "c": 2, "d": 3,
    }  # fmt: skip
    assert dense_ranks({"a": 30.0, "b": 60.0}, "lower") == {"a": 1, "b": 2}


# KPI scores per role, newest month first
MARCH = {"presale": {"a": 120.0, "b": 110.0, "c": 100.0, "d": 90.0, "e": 80.0}}
FEBRUARY = {"presale": {"a": 100.0, "b": 120.0, "c": 100.0, "d": 95.0, "e": 70.0}}
JANUARY = {"presale": {"a": 110.0, "b": 90.0, "c": 100.0, "d": 110.0, "e": 60.0}}
DECEMBER = {"presale": {"a": 100.0, "b": 100.0, "c": 100.0, "d": 100.0, "e": 100.0}}


def test_promotion_candidates_need_three_months_in_the_top_three() -> None:
    # ranks: March a1 b2 c3 d4; February b1 a2 c2 d3; January a1 d1 c2 b3
    found = promotion_candidates([MARCH, FEBRUARY, JANUARY], RULES)
    assert [(c["agent_id"], c["ranks"]) for c in found] == [
        ("a", [1, 2, 1]),
        ("b", [2, 1, 3]),
        ("c", [3, 2, 2]),
    ]
    assert promotion_candidates([MARCH, FEBRUARY], RULES) == []  # not three months of history


def test_bottom_flag_with_its_streak() -> None:
    # e is last in March, February and January; in December everyone ties (no bottom)
    history = [MARCH, FEBRUARY, JANUARY, DECEMBER]
    assert bottom_flags(history, RULES) == [{"role": "presale", "agent_id": "e", "streak": 3}]
    assert bottom_flags(history[:2], RULES)[0]["streak"] == 2
    assert needs_more_history(history[:2], RULES)  # the streak may go back further
    assert not needs_more_history(history, RULES)
    # a role needs at least three agents for a bottom
    assert bottom_flags([{"aftersale": {"x": 50.0, "y": 90.0}}], RULES) == []
    # ties share the bottom
    tied = {"presale": {"a": 100.0, "b": 50.0, "c": 50.0}}
    assert [r["agent_id"] for r in bottom_flags([tied], RULES)] == ["b", "c"]


def test_a_role_where_all_tie_has_a_bottom_only_when_the_setting_says_so() -> None:
    assert bottom_flags([DECEMBER], RULES) == []
    literal = GradingRules(bottom_when_all_tie=True)
    flagged = bottom_flags([DECEMBER], literal)
    assert [(r["agent_id"], r["streak"]) for r in flagged] == [(a, 1) for a in "abcde"]
    # e's streak now runs on through December: March, February, January, December
    streaks = {
        r["agent_id"]: r["streak"]
        for r in bottom_flags([MARCH, FEBRUARY, JANUARY, DECEMBER], literal)
    }
    assert streaks == {"e": 4}


def test_a_bottom_streak_is_counted_back_streak_lookback_months() -> None:
    history = [MARCH, FEBRUARY, JANUARY]
    assert bottom_flags(history, GradingRules(streak_lookback=12))[0]["streak"] == 3
    short = GradingRules(streak_lookback=2)
    assert not needs_more_history(history[:2], short)  # two months read: no need for January
