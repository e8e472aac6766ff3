"""Versioned JSON configuration of a shop: KPI plans per role, grading rules, pay settings.

The store keeps validated JSON and knows nothing of the pydantic models in
``jinpai.management``: callers pass a plain mapping or any object with ``model_dump()`` and get
plain dicts back. Each document is in force from the first day of its ``valid_from`` month until
the next version.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from jinpai.store.models import PAY_MODES, GradingRules, KpiPlan, PaySettings
from jinpai.store.shops import ensure_shop
from jinpai.store.types import Month, month_start


class Dumpable(Protocol):
    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


Document = Mapping[str, Any] | Dumpable
Versioned = type[KpiPlan] | type[GradingRules] | type[PaySettings]
# The JSON column of each versioned table.
_COLUMN = {KpiPlan: "plan", GradingRules: "rules", PaySettings: "settings"}


def save_plan(
    session: Session,
    shop_id: str,
    role: str,
    valid_from: Month,
    plan: Document,
    created_by: str | None = None,
) -> dict[str, Any]:
    """Store ``plan`` as the role's KPI plan from ``valid_from`` on (replacing that month's)."""
    return _save(session, KpiPlan, shop_id, valid_from, plan, created_by, role=role)


def plan_in_force(session: Session, shop_id: str, role: str, month: Month) -> dict[str, Any] | None:
    return _in_force(session, KpiPlan, shop_id, month, role=role)


def plan_history(session: Session, shop_id: str, role: str) -> list[tuple[date, dict[str, Any]]]:
    return _history(session, KpiPlan, shop_id, role=role)


def save_grading_rules(
    session: Session,
    shop_id: str,
    valid_from: Month,
    rules: Document,
    created_by: str | None = None,
) -> dict[str, Any]:
    return _save(session, GradingRules, shop_id, valid_from, rules, created_by)


def grading_rules_in_force(session: Session, shop_id: str, month: Month) -> dict[str, Any] | None:
    return _in_force(session, GradingRules, shop_id, month)


def grading_rules_history(session: Session, shop_id: str) -> list[tuple[date, dict[str, Any]]]:
    return _history(session, GradingRules, shop_id)


def save_pay_settings(
    session: Session,
    shop_id: str,
    valid_from: Month,
    settings: Document,
    created_by: str | None = None,
) -> dict[str, Any]:
    """Store pay settings (mode kpi|bonus_pool, award, settle_days, ...) from ``valid_from`` on.

    Only what a wrong value would silently break is checked here; the management layer owns the
    meaning and the defaults of the rest.
    """
    data = _as_json(settings)
    mode = data.get("mode")
    if mode is not None and mode not in PAY_MODES:
        raise ValueError(f"pay mode must be one of {', '.join(PAY_MODES)}: {mode!r}")
    settle_days = data.get("settle_days")
    if settle_days is not None and (not isinstance(settle_days, int) or settle_days < 0):
        raise ValueError(f"settle_days must be a whole number of days >= 0: {settle_days!r}")
    return _save(session, PaySettings, shop_id, valid_from, data, created_by)


def pay_settings_in_force(session: Session, shop_id: str, month: Month) -> dict[str, Any] | None:
    return _in_force(session, PaySettings, shop_id, month)


def pay_settings_history(session: Session, shop_id: str) -> list[tuple[date, dict[str, Any]]]:
    return _history(session, PaySettings, shop_id)


# --- shared ------------------------------------------------------------------------------------


def _as_json(document: Document) -> dict[str, Any]:
    """A plain, JSON-safe dict; a copy, so later changes by the caller do not leak in."""
    if hasattr(document, "model_dump"):
        data = document.model_dump(mode="json")
    elif isinstance(document, Mapping):
        data = dict(document)
    else:
        raise TypeError(f"expected a mapping or a pydantic model, got {type(document).__name__}")
    try:
        # A round trip both proves the document is JSON and detaches it from the caller's objects.
        return json.loads(json.dumps(data, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"not storable as JSON: {error}") from error


def _save(
    session: Session,
    model: Versioned,
    shop_id: str,
    valid_from: Month,
    document: Document,
    created_by: str | None,
    **key: str,
) -> dict[str, Any]:
    ensure_shop(session, shop_id)
    start = month_start(valid_from)
    data = _as_json(document)
    row = session.scalar(_select(model, shop_id, **key).where(model.valid_from == start))
    if row is None:
        row = model(shop_id=shop_id, valid_from=start, **key)
        session.add(row)
    setattr(row, _COLUMN[model], data)
    row.created_by = created_by
    session.flush()
    return data


def _in_force(
    session: Session, model: Versioned, shop_id: str, month: Month, **key: str
) -> dict[str, Any] | None:
    row = session.scalar(
        _select(model, shop_id, **key)
        .where(model.valid_from <= month_start(month))
        .order_by(model.valid_from.desc())
        .limit(1)
    )
    return None if row is None else copy.deepcopy(getattr(row, _COLUMN[model]))


def _history(
    session: Session, model: Versioned, shop_id: str, **key: str
) -> list[tuple[date, dict[str, Any]]]:
    rows = session.scalars(_select(model, shop_id, **key).order_by(model.valid_from))
    return [(row.valid_from, copy.deepcopy(getattr(row, _COLUMN[model]))) for row in rows]


def _select(model: Versioned, shop_id: str, **key: str) -> Any:
    statement = select(model).where(model.shop_id == shop_id)
    for column, value in key.items():
        statement = statement.where(getattr(model, column) == value)
    return statement
