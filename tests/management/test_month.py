"""A month's as_of and versions in force."""

from __future__ import annotations

from datetime import date, datetime

from jinpai.management.month import employed_days, month_as_of
from jinpai.management.pay import PayTerms
from jinpai.management.versions import in_force, shift_month
from tests.management.helpers import agent


def test_as_of_is_month_end_plus_settle_days_or_the_latest_event() -> None:
    assert month_as_of("2024-03", None) == datetime(2024, 4, 5)
    assert month_as_of("2024-03", datetime(2024, 4, 20)) == datetime(2024, 4, 5)
    assert month_as_of("2024-03", datetime(2024, 3, 31, 23, 45)) == datetime(2024, 3, 31, 23, 45)
    assert month_as_of("2024-12", None, settle_days=0) == datetime(2025, 1, 1)


def test_version_in_force_is_the_latest_with_valid_from_not_after_the_month() -> None:
    versions = [PayTerms(), PayTerms(valid_from="2024-04", monthly_award=800)]
    assert in_force(versions, "2024-03").monthly_award == 500
    assert in_force(versions, "2024-04").monthly_award == 800
    assert in_force(versions[1:], "2024-03") is None
    assert shift_month("2024-01", -1) == "2023-12"


def test_employed_days_include_both_ends() -> None:
    assert employed_days(agent("a", hired_on=date(2024, 2, 29)), "2024-02") == 1
    assert employed_days(agent("a", hired_on=None, left_on=date(2024, 2, 1)), "2024-02") == 1
    assert employed_days(agent("a", left_on=date(2024, 1, 31)), "2024-02") == 0
