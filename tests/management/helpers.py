"""Month figures built by hand for the pure management functions."""

from __future__ import annotations

from datetime import date
from typing import Any

from jinpai.management.month import AgentMonth, MonthFigures, ReminderCredit


def agent(
    agent_id: str,
    role: str = "presale",
    *,
    base_salary: float = 3000.0,
    commission_rate: float = 0.01,
    hired_on: date | None = date(2023, 1, 1),
    left_on: date | None = None,
    reminders: ReminderCredit | None = None,
    **figures: Any,
) -> AgentMonth:
    return AgentMonth(
        agent_id=agent_id,
        role=role,
        base_salary=base_salary,
        commission_rate=commission_rate,
        hired_on=hired_on,
        left_on=left_on,
        figures=figures,
        reminders=reminders or ReminderCredit(),
    )


def month(agents: list[AgentMonth], name: str = "2024-03") -> MonthFigures:
    return MonthFigures(month=name, agents=agents)
