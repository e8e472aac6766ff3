"""Roster and versioned terms: a month is computed with the terms in force that month."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from jinpai.store import roster
from jinpai.store.types import is_missing, month_end, month_start


def _hire(session: Session, agent_id: str = "a1", **dates: date | None) -> None:
    roster.upsert_agent(session, "s1", agent_id, name="小王", group="A组", **dates)


def test_missing_values_from_pandas_and_arrow() -> None:
    import pandas as pd

    assert all(is_missing(v) for v in (None, "", "  ", float("nan"), pd.NA, pd.NaT))
    assert not any(is_missing(v) for v in (0, 0.0, "x", date(2024, 1, 1)))


def test_month_helpers() -> None:
    assert month_start("2024-04") == date(2024, 4, 1)
    assert month_start("2024-4-17") == date(2024, 4, 1)
    assert month_start(date(2024, 12, 31)) == date(2024, 12, 1)
    assert month_end("2024-02") == date(2024, 2, 29)
    assert month_end("2024-12") == date(2024, 12, 31)
    with pytest.raises(ValueError):
        month_start("April")


def test_a_change_in_april_leaves_march(session: Session) -> None:
    _hire(session, hired_on=date(2023, 6, 1))
    roster.set_terms(
        session, "s1", "a1", "2024-01", role="presale", level="junior",
        base_salary=3000, commission_rate=0.01, sales_target=200000,
        allowances={"coaching": 200}, mentor_of=["a2"],
    )  # fmt: skip
    # A raise from April: only the salary is given, the rest carries over.
    roster.set_terms(session, "s1", "a1", date(2024, 4, 15), base_salary=3500, level="mid")
    session.commit()

    march = roster.terms_in_force(session, "s1", "a1", "2024-03")
    april = roster.terms_in_force(session, "s1", "a1", "2024-04")
    assert march is not None and april is not None
    assert (march.base_salary, march.level, march.valid_from) == (3000, "junior", date(2024, 1, 1))
    assert (april.base_salary, april.level, april.valid_from) == (3500, "mid", date(2024, 4, 1))
    assert april.role == "presale" and april.commission_rate == pytest.approx(0.01)
    assert april.sales_target == 200000 and april.allowances == {"coaching": 200}
    assert april.mentor_of == ["a2"] and april.reminder_commission_rate is None
    assert roster.terms_in_force(session, "s1", "a1", "2024-12").base_salary == 3500
    # Before the first version there are no terms, but the agent is still known.
    december = roster.terms_in_force(session, "s1", "a1", "2023-12")
    assert december is not None and december.valid_from is None and december.role is None
    assert roster.terms_in_force(session, "s1", "nobody", "2024-03") is None
    assert [t.valid_from for t in roster.terms_history(session, "s1", "a1")] == [
        date(2024, 1, 1),
        date(2024, 4, 1),
    ]


def test_editing_a_month_replaces_that_version_only(session: Session) -> None:
    _hire(session)
    roster.set_terms(session, "s1", "a1", "2024-01", role="presale", base_salary=3000)
    roster.set_terms(session, "s1", "a1", "2024-01", base_salary=3100)
    session.commit()
    history = roster.terms_history(session, "s1", "a1")
    assert [(t.valid_from, t.role, t.base_salary) for t in history] == [
        (date(2024, 1, 1), "presale", 3100)
    ]


def test_new_version_does_not_share_json_with_the_old(session: Session) -> None:
    _hire(session)
    roster.set_terms(session, "s1", "a1", "2024-01", allowances={"coaching": 200})
    roster.set_terms(session, "s1", "a1", "2024-02", allowances={"coaching": 300, "night": 50})
    session.commit()
    assert roster.terms_in_force(session, "s1", "a1", "2024-01").allowances == {"coaching": 200}


def test_terms_are_checked(session: Session) -> None:
    _hire(session)
    with pytest.raises(ValueError, match="role"):
        roster.set_terms(session, "s1", "a1", "2024-01", role="janitor")
    with pytest.raises(ValueError, match="negative"):
        roster.set_terms(session, "s1", "a1", "2024-01", base_salary=-1)
    with pytest.raises(TypeError):
        roster.set_terms(session, "s1", "a1", "2024-01", salary=1)
    with pytest.raises(LookupError):
        roster.set_terms(session, "s1", "ghost", "2024-01", role="presale")
    # Chinese spellings of the canonical schema are accepted.
    version = roster.set_terms(session, "s1", "a1", "2024-01", role="售前", level="金牌")
    assert (version.role, version.level) == ("presale", "gold")


def test_roster_in_force_follows_employment_dates(session: Session) -> None:
    _hire(session, "early", hired_on=date(2023, 1, 1), left_on=date(2024, 2, 29))
    _hire(session, "last_day", hired_on=date(2023, 1, 1), left_on=date(2024, 3, 1))
    _hire(session, "new", hired_on=date(2024, 3, 31))
    _hire(session, "later", hired_on=date(2024, 4, 1))
    _hire(session, "undated")
    roster.set_terms(session, "s1", "new", "2024-03", role="aftersale", base_salary=2800)
    session.commit()
    march = roster.roster_in_force(session, "s1", "2024-03")
    assert [t.agent_id for t in march] == ["last_day", "new", "undated"]
    assert march[1].role == "aftersale" and march[0].role is None
    assert march[1].as_dict()["base_salary"] == 2800


def test_sync_roster_from_agents_table(session: Session) -> None:
    rows = [
        {"agent_id": "a1", "name": "小王", "role": "presale", "level": "junior",
         "base_salary": 3000, "commission_rate": 0.01, "hired_on": "2023-06-01",
         "left_on": None, "group": "A组"},
        {"agent_id": "a2", "name": "小李", "role": "aftersale", "level": "mid",
         "base_salary": float("nan"), "commission_rate": None, "hired_on": date(2024, 1, 8),
         "left_on": "", "group": None},
    ]  # fmt: skip
    first = roster.sync_roster_from_agents_table(session, "s1", rows, month="2024-03")
    assert first.added == ["a1", "a2"] and first.new_terms == ["a1", "a2"]
    roster.set_terms(session, "s1", "a1", "2024-03", sales_target=150000)
    session.commit()

    again = roster.sync_roster_from_agents_table(session, "s1", rows, month="2024-05")
    assert again.unchanged == ["a1", "a2"] and again.new_terms == []

    # A raise in the June roster becomes June's version; the store-only terms carry over, and a
    # table without `group` keeps the groups.
    june = [{k: v for k, v in rows[0].items() if k != "group"} | {"base_salary": 3300}]
    third = roster.sync_roster_from_agents_table(session, "s1", june, month="2024-06")
    session.commit()
    assert third.new_terms == ["a1"] and third.updated == []
    may = roster.terms_in_force(session, "s1", "a1", "2024-05")
    now = roster.terms_in_force(session, "s1", "a1", "2024-06")
    assert may.base_salary == 3000 and now.base_salary == 3300
    assert now.sales_target == 150000 and now.group == "A组"
    a2 = roster.terms_in_force(session, "s1", "a2", "2024-03")
    assert a2.base_salary is None and a2.left_on is None and a2.hired_on == date(2024, 1, 8)


def test_sync_rejects_a_row_without_agent_id(session: Session) -> None:
    with pytest.raises(ValueError, match="agent_id"):
        roster.sync_roster_from_agents_table(session, "s1", [{"name": "x"}], month="2024-01")
