"""The catalogue validates its declarations (every issue at once) and serves the tagged lists."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jinpai.management.grading import GradingRules
from jinpai.management.plans import TEMPLATES, default_plans
from jinpai.metrics.base import TAGS, Composite, Metric
from jinpai.metrics.catalogue import CATALOGUE, tagged, validate


def test_the_catalogue_is_valid() -> None:
    assert [str(issue) for issue in validate()] == []


def test_every_figure_the_defaults_rate_says_which_way_is_better() -> None:
    """KPI plans, their templates and grading rate these catalogue metrics (ratings and target
    completion are declared beside them, in management/plans.py)."""
    rated = {i.metric for plan in default_plans() for i in plan.indicators}
    rated |= {m for weights in TEMPLATES.values() for m in weights}
    rated |= set(GradingRules().metrics)
    assert [str(issue) for issue in validate(rated=rated & set(CATALOGUE))] == []


def _broken() -> list[Metric]:
    metrics = dict(CATALOGUE)
    metrics["reply_rate"] = replace(
        CATALOGUE["reply_rate"],
        id="Reply Rate",
        zh="reply rate",
        description=" ",
        tags=("dashboard",),
        settings=("round_cap",),
    )
    metrics["rounds"] = replace(CATALOGUE["rounds"], unit="percent")  # type: ignore[arg-type]
    hourly = CATALOGUE["hourly_load"]
    assert isinstance(hourly, Composite)
    metrics["hourly_load"] = replace(hourly, parts={})
    metrics["sales"] = replace(CATALOGUE["sales"], source="no_such_block")
    return [*metrics.values(), CATALOGUE["inquiries"]]


def test_validate_returns_every_issue_at_once() -> None:
    issues = [str(i) for i in validate(_broken(), rated=["rounds", "no_such_metric"])]
    expected = [
        "inquiries: is defined twice",
        "Reply Rate: the id is not lower_snake_case",
        "Reply Rate: no Chinese name (zh)",
        "Reply Rate: no description",
        "Reply Rate: tag 'dashboard' is read by nothing",
        "Reply Rate: unknown setting 'round_cap'",
        "rounds: unknown unit 'percent'",
        "hourly_load: an object figure is a composite that declares its parts",
        "sales: unknown block 'no_such_block'",
        "rounds: is rated but says no direction (higher or lower)",
        "no_such_metric: is rated but not a metric",
    ]
    for line in expected:
        assert any(issue.startswith(line) for issue in issues), (line, issues)
    assert len(issues) == len(expected)


def test_a_tag_no_metric_carries_is_an_issue() -> None:
    issues = {str(i) for i in validate([CATALOGUE["rounds"]])}
    assert {f"tag {tag!r} is on no metric" for tag in TAGS} <= issues


def test_tagged_lists_follow_the_catalogue() -> None:
    sheet = tagged("daily_sheet")
    assert list(sheet) == [m for m in CATALOGUE if m in sheet]
    assert {"sales", "reply_rate", "avg_response_s"} <= set(sheet)
    with pytest.raises(KeyError, match="unknown tag"):
        tagged("dashboard")
