"""KPI plan versions and the app's month sheets: the management use cases
(:mod:`jinpai.services.management`) with the shop's setup as edited in the app (KPI plans, grading rules, pay settings and terms,
adjustments, rule profile: all kept in the store, versioned by month), exactly as
``jinpai score|pay|grade --db`` computes them from the same store.
"""

from __future__ import annotations

from typing import Any

from jinpai.services import management
from jinpai.services.accounts import Principal
from jinpai.services.app_state import AppState
from jinpai.services.sources import ReportSource
from jinpai.services.warehouse_reads import Warehouse

KINDS = ("score", "pay", "grade")
_CALLS = {"score": "score_month", "pay": "pay_month", "grade": "grade_month"}


def store_plans(engine: Any, shop: str) -> list[dict[str, Any]]:
    """Every KPI plan version the shop's supervisors saved, oldest first (all roles)."""
    if engine is None:
        return []
    from sqlalchemy import select

    from jinpai.store import versioned as repo
    from jinpai.store.db import session_scope
    from jinpai.store.models import KpiPlan as KpiPlanVersion

    plans = []
    with session_scope(engine) as session:
        roles = session.scalars(
            select(KpiPlanVersion.role).where(KpiPlanVersion.shop_id == shop).distinct()
        ).all()
        for role in roles:
            for valid_from, plan in repo.plan_history(session, shop, role):
                plans.append({**plan, "role": role, "valid_from": valid_from.strftime("%Y-%m")})
    return plans


def save_plan(engine: Any, shop: str, month: str, plan: dict[str, Any], user: str) -> None:
    from jinpai.management.plans import KpiPlan
    from jinpai.store import versioned as repo
    from jinpai.store.db import session_scope

    checked = KpiPlan.model_validate({**plan, "valid_from": month})  # weights sum to 100, ...
    with session_scope(engine) as session:
        repo.save_plan(session, shop, checked.role, month, checked, created_by=user)


def plan_for(plans: list[dict[str, Any]], role: str, month: str) -> Any:
    from jinpai.management.configuration import parse_config

    return parse_config({"plans": plans}).plan_for(role, month)


def run(
    warehouse: Warehouse, engine: Any, kind: str, shop: str, month: str, role: str | None = None
) -> dict[str, Any]:
    """The month's scorecards, pay sheet or grades of the shop, cached per import and setup."""
    # the store's whole setup is part of the key: any saved version gives a fresh result
    setup = management.shop_setup(engine, shop, month) if engine is not None else None
    digest = setup.digest() if setup is not None else None

    def compute() -> dict[str, Any]:
        options = management.ManagementOptions(month=month, role=role, shop=shop, store=engine)
        call = getattr(management, _CALLS[kind])
        return warehouse.read_patiently(
            lambda: call(ReportSource(db=warehouse.path), options, warehouse.settings)
        )

    return warehouse.cached((kind, shop, month, role, digest), compute)


def month_result(
    state: AppState,
    user: Principal,
    kind: str,
    shop: str,
    month: str | None,
    role: str | None,
) -> dict[str, Any]:
    """The sheet of ``kind`` as ``user`` may see it: the whole team for owners and supervisors,
    an agent's own row for an agent (never the team's totals, candidates or flags)."""
    from jinpai.services.access import check_shop
    from jinpai.services.daily_sheet import default_month

    check_shop(user, shop)
    month = month or default_month(state.warehouse, shop)
    result = run(state.warehouse, state.store, kind, shop, month, role)
    if not user.manages:
        result = {
            **result,
            "agents": [a for a in result["agents"] if a.get("agent_id") == user.agent_id],
        }
        for key in ("totals", "promotion_candidates", "bottom", "changes"):
            result.pop(key, None)
    return result
