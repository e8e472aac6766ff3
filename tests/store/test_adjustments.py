"""Pay adjustments need a reason, at the repository and in the database itself."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jinpai.store import adjustments, roster
from jinpai.store.models import PayAdjustment
from jinpai.store.types import utcnow


def test_adjustments_are_listed_per_month(session: Session) -> None:
    roster.upsert_agent(session, "s1", "a1")
    roster.upsert_agent(session, "s1", "a2")
    adjustments.add_adjustment(session, "s1", "a1", "2024-03", 200, "补发三月夜班补贴", "boss")
    adjustments.add_adjustment(session, "s1", "a2", "2024-03-31", -50.5, "迟到扣款", "lead")
    adjustments.add_adjustment(session, "s1", "a1", "2024-04", 10, "other month", "boss")
    session.commit()
    march = adjustments.adjustments_for(session, "s1", "2024-03")
    assert [(a.agent_id, a.amount, a.month) for a in march] == [
        ("a1", 200, date(2024, 3, 1)),
        ("a2", -50.5, date(2024, 3, 1)),
    ]
    assert march[0].reason == "补发三月夜班补贴" and march[0].created_at.tzinfo is not None
    assert [a.amount for a in adjustments.adjustments_for(session, "s1", "2024-03", "a2")] == [
        -50.5
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_repository_refuses_an_adjustment_without_reason(session: Session, reason: str) -> None:
    roster.upsert_agent(session, "s1", "a1")
    with pytest.raises(ValueError, match="reason"):
        adjustments.add_adjustment(session, "s1", "a1", "2024-03", 100, reason, "boss")


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_database_refuses_an_adjustment_without_reason(
    session: Session, reason: str | None
) -> None:
    agent = roster.upsert_agent(session, "s1", "a1")
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            insert(PayAdjustment).values(
                agent_pk=agent.id, month=date(2024, 3, 1), amount=1, reason=reason,
                created_by="boss", created_at=utcnow(),
            )
        )  # fmt: skip
        session.flush()
    session.rollback()


def test_adjustment_for_an_unknown_agent_fails(session: Session) -> None:
    with pytest.raises(LookupError):
        adjustments.add_adjustment(session, "s1", "ghost", "2024-03", 1, "why", "boss")
