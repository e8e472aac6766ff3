"""Manual pay adjustments: the only way besides the pay rules to change pay, always with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jinpai.store.models import Agent, PayAdjustment
from jinpai.store.roster import require_agent
from jinpai.store.types import Month, month_start


@dataclass(frozen=True)
class Adjustment:
    id: int
    shop_id: str
    agent_id: str
    month: date
    amount: float
    reason: str
    created_by: str
    created_at: datetime


def add_adjustment(
    session: Session,
    shop_id: str,
    agent_id: str,
    month: Month,
    amount: float,
    reason: str,
    created_by: str,
) -> Adjustment:
    """Add ``amount`` yuan (negative to deduct) to the agent's pay for ``month``.

    The reason is required here and by a CHECK constraint, so no surface can skip it.
    """
    if not reason or not reason.strip():
        raise ValueError("a pay adjustment needs a reason")
    if not created_by or not created_by.strip():
        raise ValueError("a pay adjustment needs the name of who made it")
    agent = require_agent(session, shop_id, agent_id)
    row = PayAdjustment(
        agent=agent,
        month=month_start(month),
        amount=float(amount),
        reason=reason.strip(),
        created_by=created_by.strip(),
    )
    session.add(row)
    session.flush()
    return _view(row, agent)


def adjustments_for(
    session: Session, shop_id: str, month: Month, agent_id: str | None = None
) -> list[Adjustment]:
    """The month's adjustments of the shop (or of one agent), oldest first."""
    statement = (
        select(PayAdjustment, Agent)
        .join(Agent, PayAdjustment.agent_pk == Agent.id)
        .where(Agent.shop_id == shop_id, PayAdjustment.month == month_start(month))
        .order_by(PayAdjustment.created_at, PayAdjustment.id)
    )
    if agent_id is not None:
        statement = statement.where(Agent.agent_id == agent_id)
    return [_view(row, agent) for row, agent in session.execute(statement)]


def _view(row: PayAdjustment, agent: Agent) -> Adjustment:
    return Adjustment(
        id=row.id,
        shop_id=agent.shop_id,
        agent_id=agent.agent_id,
        month=row.month,
        amount=row.amount,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
    )
