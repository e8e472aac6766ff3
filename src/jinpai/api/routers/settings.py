"""A shop's settings as JSON: rule profile and windows, grading thresholds and rule, pay settings
and agents' pay terms (owners and supervisors; each write is a version from a month on)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException

from jinpai.api import schemas
from jinpai.api.deps import ApiUser, State
from jinpai.api.params import Month, ShopId
from jinpai.management.grading import GradingRules
from jinpai.services import shop_settings as ss
from jinpai.services.access import check_manager
from jinpai.services.app_state import AppState
from jinpai.services.daily_sheet import default_month

router = APIRouter(
    prefix="/api/v1/shops/{shop}/settings", tags=["settings"], responses=schemas.ERRORS
)
log = logging.getLogger("jinpai.web")
T = TypeVar("T")
UNPROCESSABLE = {422: {"model": schemas.Refused, "description": "a value the rules refuse"}}


def store_engine(state: AppState) -> Any:
    engine = getattr(state.accounts, "engine", None)
    if engine is None:
        raise HTTPException(400, "settings are kept in the application store, which is not set up")
    return engine


def checked(call: Callable[[], T]) -> T:
    """A refused value is a 422 with its one-line reason (never a 500)."""
    try:
        return call()
    except ss.SettingsError as exc:
        raise HTTPException(422, str(exc)) from None


def _month(state: AppState, shop: str, month: str | None) -> str:
    return month or default_month(state.warehouse, shop)


@router.get("/rules", response_model=ss.RulesOut)
def get_rules(shop: ShopId, user: ApiUser, state: State) -> ss.RulesOut:
    """The shop's rule profile, its overrides and the settings the reports use."""
    check_manager(user, shop)
    return ss.read_rules(store_engine(state), shop, state.settings.profile)


@router.put("/rules", response_model=ss.RulesOut, responses=UNPROCESSABLE)
def put_rules(shop: ShopId, body: ss.RulesIn, user: ApiUser, state: State) -> ss.RulesOut:
    """Set the profile and windows (reports, the dashboard and pay use them at once)."""
    check_manager(user, shop)
    out = checked(lambda: ss.save_rules(store_engine(state), shop, body))
    state.warehouse.forget_rules(shop)
    log.info("rules of %s set by %r: %s %s", shop, user.username, out.profile, out.overrides)
    return out


@router.get("/grading", response_model=GradingRules)
def get_grading(shop: ShopId, user: ApiUser, state: State, month: Month = None) -> GradingRules:
    """The grading rules in force in ``month`` (thresholds per dimension, combination rule)."""
    check_manager(user, shop)
    return ss.grading_in_force(store_engine(state), shop, _month(state, shop, month))


@router.put("/grading", response_model=GradingRules, responses=UNPROCESSABLE)
def put_grading(shop: ShopId, body: ss.GradingIn, user: ApiUser, state: State) -> GradingRules:
    """Save grading thresholds and rule as a version from ``valid_from`` on."""
    check_manager(user, shop)
    rules = checked(lambda: ss.save_grading(store_engine(state), shop, body, user.username))
    log.info("grading of %s from %s set by %r", shop, body.valid_from, user.username)
    return rules


@router.get("/pay", response_model=ss.PaySettingsOut)
def get_pay(shop: ShopId, user: ApiUser, state: State, month: Month = None) -> dict[str, Any]:
    """The pay settings in force in ``month``."""
    check_manager(user, shop)
    return ss.pay_in_force(store_engine(state), shop, _month(state, shop, month))


@router.put("/pay", response_model=ss.PaySettingsOut, responses=UNPROCESSABLE)
def put_pay(shop: ShopId, body: ss.PaySettingsIn, user: ApiUser, state: State) -> dict[str, Any]:
    """Save the pay settings (mode, award, reminder commission rate, settle days, coaching
    allowance, the bonus pool's deduction list) from a month."""
    check_manager(user, shop)
    out = checked(lambda: ss.save_pay(store_engine(state), shop, body, user.username))
    log.info("pay settings of %s from %s set by %r", shop, body.valid_from, user.username)
    return out


@router.get("/terms", response_model=list[ss.AgentTermsOut])
def get_terms(
    shop: ShopId, user: ApiUser, state: State, month: Month = None
) -> list[ss.AgentTermsOut]:
    """Each agent's pay terms in force in ``month`` (null: the warehouse roster's values)."""
    check_manager(user, shop)
    engine = store_engine(state)
    return ss.terms_of_month(engine, shop, _month(state, shop, month), state.warehouse.roster(shop))


@router.put("/terms", response_model=ss.AgentTermsOut, responses=UNPROCESSABLE)
def put_terms(shop: ShopId, body: ss.AgentTermsIn, user: ApiUser, state: State) -> ss.AgentTermsOut:
    """Save one agent's pay terms (salary, rates, sales target, standing allowances, mentees)
    from a month on."""
    check_manager(user, shop)
    engine = store_engine(state)
    out = checked(lambda: ss.save_terms(engine, shop, body, state.warehouse.roster(shop)))
    log.info(
        "terms of %s/%s from %s set by %r", shop, body.agent_id, body.valid_from, user.username
    )
    return out
