"""The settings page and its forms: KPI plan weights, users, rule profile and windows, grading
thresholds and rule, pay settings, an agent's pay terms. Each form posts to its own route,
is CSRF-protected by the app-wide check, owner/supervisor only, and saves through
:mod:`jinpai.services.shop_settings` (the same code as the JSON API), so a refused value is a 422 with
the rules' own message on the re-rendered page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from jinpai.management.plans import SALES_TARGET_COMPLETION
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.services import plans as management
from jinpai.services import shop_settings as ss
from jinpai.services.access import (
    change_shop_user,
    check_manager,
    check_owner,
)
from jinpai.services.accounts import AccountError, Principal
from jinpai.services.errors import ServiceError
from jinpai.settings import DEFAULT_PROFILE
from jinpai.web.deps import PageUser, ShopId, State
from jinpai.web.render import log, render

router = APIRouter(include_in_schema=False)
NO_VALUE = ("none", "无", "off")  # typed in a cap field: no cap at all
# the figures a bonus-pool deduction can check: the month's figures of an agent
DEDUCTION_METRICS = (SALES_TARGET_COMPLETION, *CATALOGUE)
BLANK_DEDUCTIONS = 2  # empty rows under the list, to add rules


def settings_context(state: Any, shop: str, month: str) -> dict[str, Any]:
    """What the settings page shows of the store (empty without a store)."""
    engine = state.store
    if engine is None:
        return {"stored_rules": None}
    roster = state.warehouse.roster(shop)
    stored = ss.read_rules(engine, shop, state.settings.profile)
    profile_default = ss.rules_out(stored.profile, {}).effective
    return {
        "stored_rules": stored,
        "rule_fields": ss.RULE_FIELDS,
        # a field shows the shop's own value; blank with the profile's as placeholder
        "rule_values": {f: _shown(stored.overrides, f) for f in ss.RULE_FIELDS},
        "rule_defaults": {f: _shown(profile_default, f) or "none" for f in ss.RULE_FIELDS},
        "grading": ss.grading_in_force(engine, shop, month),
        "pay": ss.pay_in_force(engine, shop, month),
        "deduction_metrics": DEDUCTION_METRICS,
        "blank_deductions": BLANK_DEDUCTIONS,
        "terms": ss.terms_of_month(engine, shop, month, roster),
    }


def _shown(values: dict[str, Any], name: str) -> str:
    if name not in values:
        return ""
    return "none" if values[name] is None else str(values[name])


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _save(
    request: Request,
    shop: str,
    user: Any,
    state: Any,
    build: Callable[[], BaseModel],
    save: Callable[[Any, BaseModel], Any],
    what: str,
) -> HTMLResponse:

    check_manager(user, shop)
    engine = state.store
    if engine is None:
        raise HTTPException(400, "settings are kept in the application store")
    try:
        save(engine, build())
    except ValidationError as exc:
        message = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
        )
        return _settings_page(request, shop, user, state, 422, error=f"{what}: {message}")
    except ss.SettingsError as exc:
        return _settings_page(request, shop, user, state, 422, error=f"{what}: {exc}")
    log.info("%s of %s changed by %r", what, shop, user.username)
    return _settings_page(request, shop, user, state, saved=True)


@router.post("/shops/{shop}/settings/rules")
async def save_rules(request: Request, shop: ShopId, user: PageUser, state: State) -> HTMLResponse:
    """Profile and windows; a blank field is the profile's value, ``none`` no cap."""
    form = await _form(request)

    def build() -> BaseModel:
        data: dict[str, Any] = {"profile": form.get("profile") or DEFAULT_PROFILE}
        for name in ss.RULE_FIELDS:
            value = form.get(name, "")
            if value:
                data[name] = None if value.lower() in NO_VALUE else value
        return ss.RulesIn.model_validate(data)

    def save(engine: Any, rules: Any) -> None:
        ss.save_rules(engine, shop, rules)
        state.warehouse.forget_rules(shop)  # the next report uses the new windows at once

    return _save(request, shop, user, state, build, save, "rules")


@router.post("/shops/{shop}/settings/grading")
async def save_grading(
    request: Request, shop: ShopId, user: PageUser, state: State
) -> HTMLResponse:
    """Thresholds (fields ``gold_<metric>``, ``senior_<metric>``, ``mid_<metric>``) and rule."""
    form = await _form(request)

    def build() -> BaseModel:
        metrics = {k.split("_", 1)[1] for k in form if k.startswith("gold_")}
        thresholds = {
            m: {level: form.get(f"{level}_{m}", "") for level in ("gold", "senior", "mid")}
            for m in sorted(metrics)
        }
        return ss.GradingIn.model_validate(
            {
                "valid_from": form.get("month", ""),
                "rule": form.get("rule", ""),
                "thresholds": thresholds,
            }
        )

    return _save(
        request, shop, user, state, build,
        lambda e, m: ss.save_grading(e, shop, m, user.username), "grading",
    )  # fmt: skip


@router.post("/shops/{shop}/settings/pay")
async def save_pay(request: Request, shop: ShopId, user: PageUser, state: State) -> HTMLResponse:
    form = await _form(request)

    def build() -> BaseModel:
        names = ("mode", "monthly_award", "settle_days", "coaching_allowance")
        data: dict[str, Any] = {k: form[k] for k in names if form.get(k)}
        rate = form.get("reminder_commission_rate", "")
        data.update(valid_from=form.get("month", ""), reminder_commission_rate=rate or None)
        if "max_deduction" in form:  # the form shows the whole list: it replaces the stored one
            data["bonus_pool"] = {
                "max_deduction": form["max_deduction"],
                "deductions": _deduction_rows(form),
            }
        return ss.PaySettingsIn.model_validate(data)

    return _save(
        request, shop, user, state, build,
        lambda e, m: ss.save_pay(e, shop, m, user.username), "pay settings",
    )  # fmt: skip


def _deduction_rows(form: dict[str, str]) -> list[dict[str, str | None]]:
    """Rows ``ded_<field>_<i>`` of the deduction list; a row without a metric is left out."""
    rows = sorted(int(k.rsplit("_", 1)[1]) for k in form if k.startswith("ded_metric_"))
    return [
        {f: form.get(f"ded_{f}_{i}") or None for f in ("metric", "when", "target", "share")}
        for i in rows
        if form.get(f"ded_metric_{i}")
    ]


@router.post("/shops/{shop}/settings/terms")
async def save_terms(request: Request, shop: ShopId, user: PageUser, state: State) -> HTMLResponse:
    """One agent's pay terms. A blank field is carried over; ``none`` (无) empties the
    allowances or mentees."""
    check_manager(user, shop)
    form = await _form(request)

    def build() -> BaseModel:
        names = ("base_salary", "commission_rate", "sales_target", "reminder_commission_rate")
        data: dict[str, Any] = {k: form.get(k) or None for k in names}
        data.update(
            valid_from=form.get("month", ""),
            agent_id=form.get("agent_id", ""),
            mentor_of=_listed(form.get("mentor_of", "")),
        )
        named = _listed(form.get("allowances", ""))
        data["allowances"] = None if named is None else ss.parse_allowances(named)
        return ss.AgentTermsIn.model_validate(data)

    roster = state.warehouse.roster(shop)
    return _save(
        request, shop, user, state, build,
        lambda e, m: ss.save_terms(e, shop, m, roster), "agent terms",
    )  # fmt: skip


def _listed(text: str) -> list[str] | None:
    """A comma-separated field (，、 too): None when blank (carried over), [] for ``none``."""
    if not text:
        return None
    if text.lower() in NO_VALUE:
        return []
    parts = text.replace("，", ",").replace("、", ",").split(",")
    return [part.strip() for part in parts if part.strip()]


# --- settings: KPI plan weights, users (the other forms: settings_pages) ----------------------


def _settings_page(
    request: Request, shop: str, user: Principal, state: Any, status: int = 200, **extra: Any
) -> HTMLResponse:
    from jinpai.services.daily_sheet import default_month
    from jinpai.services.rules import resolve_rules

    month = default_month(state.warehouse, shop)
    engine = state.store
    plans = management.store_plans(engine, shop)
    from jinpai.management.configuration import parse_config

    config = parse_config({"plans": plans})
    role_plans = [config.plan_for(role, month) for role in config.roles()]
    from jinpai.web.settings_pages import settings_context

    stored = state.warehouse.rules_of(shop, None)
    effective = resolve_rules(None, stored, state.settings.profile)
    rules = effective.model_dump()
    rules["service_hours"] = effective.service_hours_text()
    return render(
        request,
        "settings.html",
        user,
        status,
        shop=shop,
        month=month,
        plans=[p for p in role_plans if p is not None],
        rules=rules,
        users=state.accounts.users([shop]),
        can_edit_plans=engine is not None,
        **settings_context(state, shop, month),
        **extra,
    )


@router.get("/shops/{shop}/settings")
def settings_page(request: Request, shop: ShopId, user: PageUser, state: State) -> HTMLResponse:
    check_manager(user, shop)
    return _settings_page(request, shop, user, state)


@router.post("/shops/{shop}/settings/plan")
async def save_plan(
    request: Request,
    shop: ShopId,
    user: PageUser,
    state: State,
    role: Annotated[str, Form(pattern=r"^[a-z_]{1,32}$")],
    month: Annotated[str, Form(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
) -> HTMLResponse:
    """New weights for a role's plan from ``month`` on (each field ``w_<metric>``)."""
    check_manager(user, shop)
    form = await request.form()
    weights: dict[str, float] = {}
    for key, value in form.items():
        if key.startswith("w_") and isinstance(value, str) and value.strip():
            try:
                weights[key[2:]] = float(value)
            except ValueError:
                raise HTTPException(400, f"weight of {key[2:]!r} is not a number") from None
    engine = state.store
    if engine is None:
        raise HTTPException(400, "plans are kept in the application store")
    plans = management.store_plans(engine, shop)
    current = management.plan_for(plans, role, month)
    if current is None:
        raise HTTPException(400, f"no KPI plan for role {role!r}")
    indicators = []
    for indicator in current.indicators:
        weight = weights.get(indicator.metric, indicator.weight)
        if weight > 0:  # a weight of 0 drops the indicator
            indicators.append({**indicator.model_dump(exclude={"direction"}), "weight": weight})
    try:
        management.save_plan(
            engine,
            shop,
            month,
            {"role": role, "name": current.name, "indicators": indicators},
            user.username,
        )
    except ValueError as exc:
        message = str(exc).splitlines()[-1] if str(exc) else "bad plan"
        return _settings_page(request, shop, user, state, 400, error=message)
    log.info("KPI plan %s of %s changed by %r from %s", role, shop, user.username, month)
    return _settings_page(request, shop, user, state, saved=True)


@router.post("/shops/{shop}/settings/users")
def add_user(
    request: Request,
    shop: ShopId,
    user: PageUser,
    state: State,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
    role: Annotated[str, Form(pattern="^(owner|supervisor|agent)$")],
    agent_id: Annotated[str, Form(max_length=128)] = "",
) -> HTMLResponse:
    check_owner(user, shop)
    try:
        state.accounts.add_user(username, password, role, [shop], agent_id or None)
    except AccountError as exc:
        return _settings_page(request, shop, user, state, 400, error=str(exc))
    log.info("user %r (%s) added to %s by %r", username, role, shop, user.username)
    return _settings_page(request, shop, user, state, saved=True)


@router.post("/shops/{shop}/settings/users/{username}")
def change_user(
    request: Request,
    shop: ShopId,
    username: Annotated[str, PathParam(min_length=1, max_length=64)],
    user: PageUser,
    state: State,
    password: Annotated[str, Form(max_length=256)] = "",
    active: Annotated[str, Form(pattern="^(|true|false)$")] = "",
) -> HTMLResponse:
    """Reset a user's password (``password``) or disable / enable their sign-in (``active``)."""
    try:
        change_shop_user(
            state, user, shop, username, password or None, None if not active else active == "true"
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise
        return _settings_page(request, shop, user, state, exc.status, error=str(exc))
    log.info("user %r of %s changed by %r", username, shop, user.username)
    return _settings_page(request, shop, user, state, saved=True)
