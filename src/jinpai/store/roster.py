"""The roster and its versioned pay terms.

An agent row says who the agent is (name, group, employment dates); an ``AgentTerms`` version says
what role, level and pay terms apply from its ``valid_from`` month on. A month is computed with the
latest version not after it, so a raise in April leaves March's pay as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from jinpai.canonical.schema import LEVELS, ROLES
from jinpai.store.models import Agent, AgentTerms
from jinpai.store.shops import ensure_shop
from jinpai.store.types import Month, is_missing, month_end, month_start

# The columns of a terms version other than its month; set_terms copies any not given forward.
TERM_FIELDS = (
    "role",
    "level",
    "base_salary",
    "commission_rate",
    "reminder_commission_rate",
    "sales_target",
    "allowances",
    "mentor_of",
)
# What the canonical agents table carries (data.md); the other terms are set in the store only.
ROSTER_TERM_FIELDS = ("role", "level", "base_salary", "commission_rate")


@dataclass(frozen=True)
class TermsInForce:
    """An agent with the terms version in force in a month (terms fields None when none is)."""

    shop_id: str
    agent_id: str
    name: str | None
    group: str | None
    hired_on: date | None
    left_on: date | None
    valid_from: date | None
    role: str | None
    level: str | None
    base_salary: float | None
    commission_rate: float | None
    reminder_commission_rate: float | None
    sales_target: float | None
    allowances: dict[str, Any] = field(default_factory=dict)
    mentor_of: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RosterSync:
    """What sync_roster_from_agents_table did, per agent_id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    new_terms: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def get_agent(session: Session, shop_id: str, agent_id: str) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.shop_id == shop_id, Agent.agent_id == agent_id))


def require_agent(session: Session, shop_id: str, agent_id: str) -> Agent:
    agent = get_agent(session, shop_id, agent_id)
    if agent is None:
        raise LookupError(f"no agent {agent_id!r} in shop {shop_id!r}")
    return agent


_UNSET: Any = object()


def upsert_agent(
    session: Session,
    shop_id: str,
    agent_id: str,
    *,
    name: str | None = _UNSET,
    group: str | None = _UNSET,
    hired_on: date | str | None = _UNSET,
    left_on: date | str | None = _UNSET,
) -> Agent:
    """Create or update a roster entry; arguments left out keep their stored value."""
    ensure_shop(session, shop_id)
    agent = get_agent(session, shop_id, agent_id)
    if agent is None:
        agent = Agent(shop_id=shop_id, agent_id=agent_id)
        session.add(agent)
    if name is not _UNSET:
        agent.name = name
    if group is not _UNSET:
        agent.group = group
    if hired_on is not _UNSET:
        agent.hired_on = _to_date(hired_on)
    if left_on is not _UNSET:
        agent.left_on = _to_date(left_on)
    session.flush()
    return agent


def set_terms(
    session: Session, shop_id: str, agent_id: str, valid_from: Month, **terms: Any
) -> AgentTerms:
    """Record the agent's terms from the month ``valid_from`` on.

    Fields not given are copied from the version in force before that month, so a raise only
    needs the new salary. A version already starting that month is updated in place.
    """
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"unknown terms: {', '.join(sorted(unknown))}")
    agent = require_agent(session, shop_id, agent_id)
    start = month_start(valid_from)
    version = _version_in_force(session, agent, start)
    if version is None or version.valid_from != start:
        previous = version
        version = AgentTerms(agent=agent, valid_from=start)
        for name in TERM_FIELDS:
            value = getattr(previous, name) if previous is not None else None
            # Copy containers: the old version's JSON must not change with the new one.
            setattr(version, name, _copy(value) if value is not None else _empty(name))
        session.add(version)
    for name, value in terms.items():
        setattr(version, name, _clean_term(name, value))
    session.flush()
    return version


def terms_in_force(
    session: Session, shop_id: str, agent_id: str, month: Month
) -> TermsInForce | None:
    """The agent with the terms in force in ``month``; None for an agent not on the roster."""
    agent = get_agent(session, shop_id, agent_id)
    if agent is None:
        return None
    return _view(agent, _version_in_force(session, agent, month_start(month)))


def terms_history(session: Session, shop_id: str, agent_id: str) -> list[TermsInForce]:
    agent = require_agent(session, shop_id, agent_id)
    return [_view(agent, version) for version in agent.terms]


def roster_in_force(session: Session, shop_id: str, month: Month) -> list[TermsInForce]:
    """Agents employed on at least one day of ``month``, each with the terms in force then.

    An agent without a dated hire or leave counts as employed. An agent with no terms version
    yet is listed with empty terms rather than dropped (the report flags an unknown role).
    """
    first, last = month_start(month), month_end(month)
    agents = session.scalars(
        select(Agent)
        .where(
            Agent.shop_id == shop_id,
            (Agent.hired_on.is_(None)) | (Agent.hired_on <= last),
            (Agent.left_on.is_(None)) | (Agent.left_on >= first),
        )
        .options(selectinload(Agent.terms))
        .order_by(Agent.agent_id)
    )
    out = []
    for agent in agents:
        in_force = [v for v in agent.terms if v.valid_from <= first]
        out.append(_view(agent, in_force[-1] if in_force else None))
    return out


def sync_roster_from_agents_table(
    session: Session,
    shop_id: str,
    rows: Iterable[Mapping[str, Any]],
    month: Month | None = None,
) -> RosterSync:
    """Import the canonical ``agents`` table (data.md) as the roster and current terms.

    Each row updates the agent's name, group and dates, and its role, level, base salary and
    commission rate become a terms version from ``month`` (default: this month) unless they equal
    the terms already in force, so importing the same roster twice adds nothing. Terms the table
    does not carry (sales target, allowances, ...) are carried over. Agents missing from the rows
    are left alone: their history still pays past months.
    """
    shop = ensure_shop(session, shop_id)
    start = month_start(month or datetime.now(ZoneInfo(shop.timezone)))
    result = RosterSync()
    for row in rows:
        agent_id = _text(row.get("agent_id"))
        if agent_id is None:
            raise ValueError(f"an agents row without agent_id: {dict(row)!r}")
        existing = get_agent(session, shop_id, agent_id)
        before = _identity(existing) if existing is not None else None
        # A column the table does not have keeps what the store knows (a roster without `group`
        # must not wipe the groups set in the app).
        agent = upsert_agent(
            session,
            shop_id,
            agent_id,
            name=_text(row["name"]) if "name" in row else _UNSET,
            group=_text(row["group"]) if "group" in row else _UNSET,
            hired_on=_to_date(row["hired_on"]) if "hired_on" in row else _UNSET,
            left_on=_to_date(row["left_on"]) if "left_on" in row else _UNSET,
        )
        wanted = {k: _clean_term(k, row[k]) for k in ROSTER_TERM_FIELDS if k in row}
        current = _version_in_force(session, agent, start)
        if current is None or any(getattr(current, k) != v for k, v in wanted.items()):
            set_terms(session, shop_id, agent_id, start, **wanted)
            result.new_terms.append(agent_id)
        if before is None:
            result.added.append(agent_id)
        elif before != _identity(agent):
            result.updated.append(agent_id)
        elif agent_id not in result.new_terms:
            result.unchanged.append(agent_id)
    return result


# --- helpers -----------------------------------------------------------------------------------


def _version_in_force(session: Session, agent: Agent, first: date) -> AgentTerms | None:
    return session.scalar(
        select(AgentTerms)
        .where(AgentTerms.agent_pk == agent.id, AgentTerms.valid_from <= first)
        .order_by(AgentTerms.valid_from.desc())
        .limit(1)
    )


def _view(agent: Agent, version: AgentTerms | None) -> TermsInForce:
    terms = {name: _copy(getattr(version, name)) if version else None for name in TERM_FIELDS}
    terms["allowances"] = terms["allowances"] or {}
    terms["mentor_of"] = terms["mentor_of"] or []
    return TermsInForce(
        shop_id=agent.shop_id,
        agent_id=agent.agent_id,
        name=agent.name,
        group=agent.group,
        hired_on=agent.hired_on,
        left_on=agent.left_on,
        valid_from=version.valid_from if version else None,
        **terms,
    )


def _identity(agent: Agent) -> tuple[Any, ...]:
    return (agent.name, agent.group, agent.hired_on, agent.left_on)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _empty(name: str) -> Any:
    return {} if name == "allowances" else [] if name == "mentor_of" else None


def _clean_term(name: str, value: Any) -> Any:
    if name in ("allowances", "mentor_of"):
        if is_missing(value):
            return _empty(name)
        if name == "allowances":
            if not isinstance(value, Mapping):
                raise ValueError(f"allowances must be a mapping of name to amount: {value!r}")
            return {str(k): float(v) for k, v in value.items()}
        items = [value] if isinstance(value, str) else list(value)
        return [str(item) for item in items]
    if is_missing(value):
        return None
    if name in ("role", "level"):
        choices = ROLES if name == "role" else LEVELS
        canonical = choices.get(str(value).strip().lower())
        if canonical is None:
            raise ValueError(f"unknown {name}: {value!r}")
        return canonical
    number = float(value)
    if number < 0:
        raise ValueError(f"{name} cannot be negative: {value!r}")
    return number


def _text(value: Any) -> str | None:
    return None if is_missing(value) else str(value).strip()


def _to_date(value: Any) -> date | None:
    if is_missing(value):
        return None
    if isinstance(value, datetime) or hasattr(value, "to_pydatetime"):
        return value.date()  # datetime, pandas Timestamp
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])
