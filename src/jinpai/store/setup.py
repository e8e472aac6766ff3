"""A shop's management setup as the application store keeps it, turned into the models of
:mod:`jinpai.management` (what ``jinpai score|pay|grade|rank --db`` and the web app compute with).

The repositories (:mod:`jinpai.store.versioned`, :mod:`jinpai.store.roster`) hold plain versioned
JSON; this module is the one place that reads those rows as a :class:`ManagementConfig`, so the
CLI and the app cannot drift apart. Each version keeps its ``valid_from`` month and the
management layer picks the one in force; the shipped defaults stay in force until a shop's first
version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, selectinload

from jinpai.management.configuration import ManagementConfig
from jinpai.management.grading import GradingRules
from jinpai.management.pay import Adjustment, AgentTerms, Allowance, Mentorship, PayTerms
from jinpai.management.plans import KpiPlan
from jinpai.management.versions import Versioned, in_force
from jinpai.store import versioned as repo
from jinpai.store.adjustments import adjustments_for
from jinpai.store.db import make_engine, normalise_url, session_scope
from jinpai.store.models import Agent, Shop
from jinpai.store.models import KpiPlan as KpiPlanRow
from jinpai.store.roster import TermsInForce, roster_in_force

# Keys of a stored pay settings document besides the PayTerms fields: settle_days is a setting of
# the month's figures (management.md), "award" the short name the forms use for monthly_award.
PAY_SETTING_EXTRAS = ("settle_days", "award")
# PayTerms fields that come from agent_terms rows, never from the pay settings document.
_FROM_TERMS = ("valid_from", "agents", "mentorships")


class SettleDays(Versioned):
    """The settle_days of one pay settings version (None: the version does not set it)."""

    days: int | None = None


@dataclass(frozen=True)
class ShopSetup:
    """Everything the store says about one shop for one month."""

    shop_id: str
    config: ManagementConfig
    profile: str | None = None  # None: the shop is not in the store
    rules: dict[str, Any] = field(default_factory=dict)  # RuleSettings overrides
    settle_days_history: tuple[SettleDays, ...] = ()  # of every pay settings version
    roster: dict[str, TermsInForce] = field(default_factory=dict)  # agent_id -> terms in force

    def digest(self) -> str:
        """A fingerprint of the setup, for cache keys: any saved change gives a new one."""
        data = {
            "config": self.config.model_dump(mode="json"),
            "profile": self.profile,
            "rules": self.rules,
            "settle_days": [v.model_dump() for v in self.settle_days_history],
            "roster": {a: t.as_dict() for a, t in sorted(self.roster.items())},
        }
        text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def settle_days(self, month: str) -> int | None:
        """The settle_days of the pay settings in force in ``month`` (None: not set)."""
        version = in_force(self.settle_days_history, month)
        return version.days if version is not None else None


def open_store(url: str | Engine | None) -> Engine | None:
    """An engine on the store at ``url``, or None when there is none (yet).

    A missing SQLite file is not created (``make demo`` must not leave a store behind) and an
    unmigrated database counts as empty: the shipped defaults apply.
    """
    if url is None:
        return None
    if isinstance(url, Engine):
        return url
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return None
        if not Path(parsed.database).is_file():
            return None
    engine = make_engine(parsed)
    if not inspect(engine).has_table(KpiPlanRow.__tablename__):
        engine.dispose()
        return None
    return engine


def shop_setup(engine: Engine, shop_id: str, month: str) -> ShopSetup:
    """The shop's versioned configuration (all versions) and what is in force in ``month``."""
    with session_scope(engine) as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return ShopSetup(shop_id=shop_id, config=ManagementConfig())
        roster = {t.agent_id: t for t in roster_in_force(session, shop_id, month)}
        config = ManagementConfig(
            plans=_plans(session, shop_id),
            grading=[
                GradingRules.model_validate({**rules, "valid_from": _month(start)})
                for start, rules in repo.grading_rules_history(session, shop_id)
            ],
            pay_terms=_pay_terms(session, shop_id),
            allowances=_allowances(roster.values(), month),
            adjustments=[
                Adjustment(month=month, agent_id=a.agent_id, amount=a.amount, reason=a.reason)
                for a in adjustments_for(session, shop_id, month)
            ],
        )
        settle = tuple(
            SettleDays(valid_from=start, days=pay.get("settle_days"))
            for start, pay in repo.pay_settings_history(session, shop_id)
        )
        return ShopSetup(
            shop_id=shop_id,
            config=config,
            profile=shop.profile,
            rules=dict(shop.settings or {}),
            settle_days_history=settle,
            roster=roster,
        )


def roster_of(store: str | Engine | None, shop_id: str, month: str) -> dict[str, TermsInForce]:
    """The store's roster terms in force in ``month`` (empty without a store)."""
    engine = open_store(store)
    if engine is None:
        return {}
    try:
        with session_scope(engine) as session:
            return {t.agent_id: t for t in roster_in_force(session, shop_id, month)}
    finally:
        if engine is not store:
            engine.dispose()


def pay_terms_document(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A stored pay settings document as PayTerms fields (settle_days left out, aliases read)."""
    data = {k: v for k, v in settings.items() if k not in (*PAY_SETTING_EXTRAS, *_FROM_TERMS)}
    if "award" in settings and "monthly_award" not in settings:
        data["monthly_award"] = settings["award"]
    return data


# --- helpers -----------------------------------------------------------------------------------


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _plans(session: Session, shop_id: str) -> list[KpiPlan]:
    roles = session.scalars(
        select(KpiPlanRow.role).where(KpiPlanRow.shop_id == shop_id).distinct()
    ).all()
    return [
        KpiPlan.model_validate({**plan, "role": role, "valid_from": _month(start)})
        for role in sorted(roles)
        for start, plan in repo.plan_history(session, shop_id, role)
    ]


def _pay_terms(session: Session, shop_id: str) -> list[PayTerms]:
    """One PayTerms version per month in which the pay settings or any agent's terms change."""
    agents = session.scalars(
        select(Agent).where(Agent.shop_id == shop_id).options(selectinload(Agent.terms))
    ).all()
    starts = {v.valid_from for a in agents for v in a.terms}
    starts.update(start for start, _ in repo.pay_settings_history(session, shop_id))
    out = []
    for start in sorted(starts):
        settings = repo.pay_settings_in_force(session, shop_id, start) or {}
        own: dict[str, AgentTerms] = {}
        mentorships: list[Mentorship] = []
        for agent in agents:
            in_force = [v for v in agent.terms if v.valid_from <= start]
            if not in_force:
                continue
            v = in_force[-1]
            own[agent.agent_id] = AgentTerms(
                base_salary=v.base_salary,
                commission_rate=v.commission_rate,
                reminder_commission_rate=v.reminder_commission_rate,
                sales_target=v.sales_target,
            )
            mentorships += [Mentorship(mentor=agent.agent_id, mentee=m) for m in v.mentor_of or []]
        document = {
            **pay_terms_document(settings),
            "valid_from": _month(start),
            "agents": own,
            "mentorships": mentorships,
        }
        out.append(PayTerms.model_validate(document))
    return out


def _allowances(roster: Any, month: str) -> list[Allowance]:
    """The standing allowances of the terms in force (paid every month they are in force)."""
    return [
        Allowance(month=month, agent_id=t.agent_id, amount=amount, reason=name, kind=name)
        for t in roster
        for name, amount in (t.allowances or {}).items()
    ]
