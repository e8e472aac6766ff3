"""Scorecards, pay and grades for the app: the management use cases of :mod:`jinpai.services`
with the shop's setup as edited in the app (KPI plans, grading rules, pay settings and terms,
adjustments, rule profile: all kept in the store, versioned by month), exactly as
``jinpai score|pay|grade --db`` computes them from the same store.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from jinpai import services
from jinpai.api.data import Warehouse

KINDS = ("score", "pay", "grade")
_CALLS = {"score": "score_month", "pay": "pay_month", "grade": "grade_month"}


def store_plans(engine: Any, shop: str) -> list[dict[str, Any]]:
    """Every KPI plan version the shop's supervisors saved, oldest first (all roles)."""
    if engine is None:
        return []
    from sqlalchemy import select

    from jinpai.store import config as repo
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
    from jinpai.store import config as repo
    from jinpai.store.db import session_scope

    checked = KpiPlan.model_validate({**plan, "valid_from": month})  # weights sum to 100, ...
    with session_scope(engine) as session:
        repo.save_plan(session, shop, checked.role, month, checked, created_by=user)


def plan_for(plans: list[dict[str, Any]], role: str, month: str) -> Any:
    from jinpai.management.config import parse_config

    return parse_config({"plans": plans}).plan_for(role, month)


def run(
    warehouse: Warehouse, engine: Any, kind: str, shop: str, month: str, role: str | None = None
) -> dict[str, Any]:
    """The month's scorecards, pay sheet or grades of the shop, cached per import and setup."""
    # the store's whole setup is part of the key: any saved version gives a fresh result
    setup = services.shop_setup(engine, shop, month) if engine is not None else None
    digest = setup.digest() if setup is not None else None

    def compute() -> dict[str, Any]:
        options = services.ManagementOptions(month=month, role=role, shop=shop, store=engine)
        call = getattr(services, _CALLS[kind])
        with warehouse.lock.read():
            return call(services.ReportSource(db=warehouse.path), options)

    return warehouse.cached((kind, shop, month, role, digest), compute)


def sections(kind: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The sheet's tables as plain rows of display values (the Excel file has the same)."""
    from jinpai.management import sheets

    out = []
    for section in sheets.SECTIONS[kind](result):
        rows = [[column.get(row) for column in section.columns] for row in section.rows]
        units = [str(column.unit) if column.unit else "" for column in section.columns]
        out.append(
            {
                "title": section.title,
                "columns": [c.title for c in section.columns],
                "units": units,
                "rows": rows,
            }
        )
    return out


def xlsx_bytes(kind: str, result: dict[str, Any]) -> bytes:
    from jinpai.management import sheets

    with tempfile.TemporaryDirectory(prefix="jinpai-xlsx-") as folder:
        path = Path(folder) / f"{kind}.xlsx"
        sheets.write_xlsx(kind, result, path)
        return path.read_bytes()
