"""The web pages: server-rendered Jinja2, small HTMX swaps, ECharts fed from JSON in the page.

Pages call the same code as the API (:mod:`jinpai.services.daily_sheet`, :mod:`jinpai.services.plans`,
the import route's :func:`run_import`) and the same authorisation checks.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from jinpai.canonical.schema import TABLES
from jinpai.display import format_value
from jinpai.exports import management_sheets
from jinpai.metrics.base import Unit
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.services import plans as management
from jinpai.services import uploads
from jinpai.services.access import (
    attempt_sign_in,
    change_own_password,
    change_shop_user,
    check_agent,
    check_manager,
    check_owner,
    check_shop,
    revoke_own_token,
)
from jinpai.services.accounts import AccountError, Principal
from jinpai.services.daily_sheet import (
    SHEET_METRICS,
    SHOP_TREND_METRICS,
    SORTABLE,
    TREND_METRICS,
    agent_month,
    agent_rows,
    daily_sheet,
    ranking,
)
from jinpai.services.errors import InputError, ServiceError, TooManyAttempts
from jinpai.services.periods import check_day, period_query
from jinpai.services.plans import month_result
from jinpai.web.deps import AgentId, LoginRequired, PageUser, ShopId, State
from jinpai.web.i18n import language, metric_name, translator
from jinpai.web.session import client_address, csrf_token, sign_in, sign_out

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
log = logging.getLogger("jinpai.web")
router = APIRouter(include_in_schema=False)

MonthQ = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
TableName = Annotated[str | None, Form(pattern=uploads.TABLE_PATTERN)]
ColumnsMap = Annotated[
    str | None, Form(max_length=uploads.COLUMNS_MAP_MAX, pattern=uploads.COLUMNS_MAP_PATTERN)
]
TimeFormat = Annotated[str | None, Form(max_length=uploads.TIME_FORMAT_MAX)]
# a page's upload shows its outcome when the import ends within this, else polls the job
IMPORT_WAIT_S = 2.0


def fmt(
    value: Any, metric: str | None = None, *, unit: Unit | str | None = None, lang: str = "zh"
) -> str:
    """A figure for the screen, rounded by its unit: the metric's, else ``unit`` (JSON keeps
    exact values; only the page rounds)."""
    if unit is None and metric in CATALOGUE:
        unit = CATALOGUE[metric].unit
    return format_value(value, unit, lang=lang)


def unit_name(metric: str) -> str:
    """The unit of a metric as its declaration says (charts format rates as percent)."""
    return str(CATALOGUE[metric].unit) if metric in CATALOGUE else ""


def render(
    request: Request, name: str, user: Principal | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request)
    context.update(
        request=request,
        user=user,
        lang=lang,
        t=translator(lang),
        csrf=csrf_token(request),
        fmt=partial(fmt, lang=lang),
        munit=unit_name,
        mname=lambda m: metric_name(m, lang),
        q=lambda v: quote(str(v), safe=""),
        tojson=lambda v: json.dumps(v, ensure_ascii=False).replace("</", "<\\/"),
    )
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def home_for(user: Principal) -> str:
    if not user.shops:
        return "/no-shop"
    shop = quote(user.shops[0], safe="")
    if user.manages:
        return f"/shops/{shop}/dashboard"
    return f"/shops/{shop}/agents/{quote(user.agent_id or '', safe='')}"


def safe_next(target: str | None) -> str | None:
    """Only a path of this site: never an absolute or protocol-relative URL (open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


# --- sign in and out ----------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", None, next=safe_next(next) or "/")


@router.post("/login")
def login(
    request: Request,
    state: State,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    address = client_address(request)
    try:
        user = attempt_sign_in(state, username, password, address)
    except TooManyAttempts as exc:
        log.warning("sign-in throttled for %r from %s", username, address)
        page = render(request, "login.html", None, 429, error="login_throttled", next=next)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if user is None:
        log.info("failed sign-in for %r from %s", username, address)
        return render(request, "login.html", None, 401, error="login_failed", next=next)
    sign_in(request, state, user)
    log.info("signed in %r from %s", username, address)
    return RedirectResponse(safe_next(next) or home_for(user), status_code=303)


@router.post("/logout")
def logout(request: Request, state: State) -> Response:
    sign_out(request, state)
    return RedirectResponse("/login", status_code=303)


def _account_page(
    request: Request, user: Principal, state: State, status: int = 200, **context: Any
) -> HTMLResponse:
    """The password form and the user's API tokens (never the tokens themselves)."""
    tokens = state.accounts.tokens(user.username)
    return render(request, "password.html", user, status, tokens=tokens, **context)


@router.get("/account/password")
def password_page(request: Request, user: PageUser, state: State) -> HTMLResponse:
    return _account_page(request, user, state)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
    user: PageUser,
    state: State,
) -> HTMLResponse:
    """End one of one's API tokens (the form carries the session's CSRF token)."""
    revoke_own_token(state, user, token_id)
    log.info("%r revoked their API token %d", user.username, token_id)
    return _account_page(request, user, state, token_revoked=True)


@router.post("/account/password")
def change_password(
    request: Request,
    user: PageUser,
    state: State,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    confirm_password: Annotated[str, Form(max_length=256)],
) -> HTMLResponse:
    """Every other session of the user ends; this one goes on."""
    if new_password != confirm_password:
        return _account_page(request, user, state, 400, error="passwords_differ")
    address, keep = client_address(request), getattr(request.state, "session_key", None)
    try:
        change_own_password(state, user, current_password, new_password, address, keep)
    except ServiceError as exc:
        return _account_page(request, user, state, exc.status, error=str(exc))
    log.info("%r changed their password", user.username)
    return _account_page(request, user, state, saved=True)


@router.get("/")
def home(user: PageUser) -> Response:
    return RedirectResponse(home_for(user), status_code=303)


@router.get("/no-shop")
def no_shop(request: Request, user: PageUser) -> HTMLResponse:
    return render(request, "error.html", user, 403, message="forbidden")


# --- the daily sheet, the ranking, an agent ---------------------------------------------------


@router.get("/shops/{shop}/dashboard")
def dashboard(
    request: Request,
    shop: ShopId,
    user: PageUser,
    state: State,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    check_shop(user, shop)
    if not user.manages:
        return RedirectResponse(home_for(user), status_code=303)
    check_day(day)
    sheet = daily_sheet(state.warehouse, shop, day).to_dict()
    return render(
        request,
        "dashboard.html",
        user,
        shop=shop,
        sheet=sheet,
        metrics=SHEET_METRICS,
        trend_metrics=SHOP_TREND_METRICS,
    )


@router.get("/shops/{shop}/agents")
def agents_page(
    request: Request,
    shop: ShopId,
    user: PageUser,
    state: State,
    month: MonthQ = None,
    sort: Annotated[str, Query(max_length=64)] = "sales",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
) -> HTMLResponse:
    check_manager(user, shop)
    if sort not in SORTABLE:
        raise InputError(f"cannot sort by {sort!r}")
    q = period_query(state.warehouse, shop, month, None, None)
    report = state.warehouse.report(shop, q.start, q.end)
    rows = ranking(agent_rows(report, state.warehouse.roster(shop)), sort, order == "desc")
    columns = list(dict.fromkeys((sort, *SHEET_METRICS)))
    return render(
        request,
        "agents.html",
        user,
        shop=shop,
        rows=rows,
        columns=columns,
        sort=sort,
        order=order,
        sortable=SORTABLE,
        month=q.start.strftime("%Y-%m"),
        report=report,
    )


# ``:path``: an agent id may hold a ``/`` (``店:小美/夜班``), sent as %2F, which the server
# decodes before routing; OpenAPI still shows ``{agent_id}``
@router.get("/shops/{shop}/agents/{agent_id:path}")
def agent_page(
    request: Request,
    shop: ShopId,
    agent_id: AgentId,
    user: PageUser,
    state: State,
    month: MonthQ = None,
) -> HTMLResponse:
    check_agent(user, shop, agent_id)
    q = period_query(state.warehouse, shop, month, None, None)
    found = agent_month(state.warehouse, shop, agent_id, q.start, q.end)
    if found is None:
        raise HTTPException(404, "not_found")
    metrics = [m for m, d in CATALOGUE.items() if d.unit is not Unit.OBJECT and not d.shop_only]
    return render(
        request,
        "agent.html",
        user,
        shop=shop,
        agent=found,
        metrics=metrics,
        trend_metrics=TREND_METRICS,
        month=q.start.strftime("%Y-%m"),
    )


@router.get("/shops/{shop}/explain/{metric}")
def explain_fragment(
    request: Request,
    shop: ShopId,
    metric: Annotated[str, PathParam(min_length=1, max_length=64)],
    user: PageUser,
    state: State,
    agent: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    month: MonthQ = None,
) -> HTMLResponse:
    """The rows behind one figure: an HTML fragment that HTMX swaps into the agent page."""
    if metric not in CATALOGUE:
        raise HTTPException(404, "not_found")
    if agent is None:
        check_manager(user, shop)
    else:
        check_agent(user, shop, agent)
    q = period_query(state.warehouse, shop, month, None, None)
    data = state.warehouse.explain(shop, metric, q.start, q.end, agent_id=agent, limit=100)
    return render(request, "explain.html", user, shop=shop, ex=data)


# --- import -------------------------------------------------------------------------------------


@router.get("/shops/{shop}/import")
def import_page(request: Request, shop: ShopId, user: PageUser, state: State) -> HTMLResponse:
    check_manager(user, shop)
    return render(request, "import.html", user, shop=shop, tables=list(TABLES), result=None)


@router.post("/shops/{shop}/import")
async def import_upload(
    request: Request,
    shop: ShopId,
    user: PageUser,
    state: State,
    file: Annotated[UploadFile, File()],
    table: TableName = None,
    columns_map: ColumnsMap = None,
    time_format: TimeFormat = None,
) -> HTMLResponse:
    check_manager(user, shop)
    job = await uploads.start_import(
        state, shop, user.username, file, table or None, columns_map, time_format
    )
    log.info("import by %r into %s: job %s (%s)", user.username, shop, job.id, job.file)
    if not await uploads.wait_for(job, IMPORT_WAIT_S):  # the page polls the job
        return render(request, "import.html", user, 202, shop=shop, tables=list(TABLES), job=job)
    result = uploads.job_outcome(job)
    return render(request, "import.html", user, shop=shop, tables=list(TABLES), result=result)


@router.get("/shops/{shop}/import/jobs/{job_id}")
def import_job(
    request: Request,
    shop: ShopId,
    user: PageUser,
    state: State,
    job_id: Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")],
) -> HTMLResponse:
    """The job's progress, polled by the import page (HTMX) until it shows the outcome."""
    check_manager(user, shop)
    job = state.jobs.get(shop, job_id)
    if job is None:
        raise HTTPException(404, "not_found")
    error = str(job.error) if job.error is not None else None
    result = job.outcome
    return render(request, "_import_job.html", user, shop=shop, job=job, result=result, error=error)


# --- scorecard, pay, grades -------------------------------------------------------------------

_SHEET_TITLES = {"score": "scorecard", "pay": "pay", "grade": "grades"}


def _management_page(
    request: Request, kind: str, shop: str, user: Principal, state: Any, month: str | None
) -> HTMLResponse:
    result = month_result(state, user, kind, shop, month, None)
    return render(
        request,
        "management.html",
        user,
        shop=shop,
        kind=kind,
        title=_SHEET_TITLES[kind],
        result=result,
        sections=management_sheets.sections(kind, result),
        month=result.get("month"),
    )


@router.get("/shops/{shop}/scorecard")
def scorecard_page(
    request: Request, shop: ShopId, user: PageUser, state: State, month: MonthQ = None
) -> HTMLResponse:
    return _management_page(request, "score", shop, user, state, month)


@router.get("/shops/{shop}/pay")
def pay_page(
    request: Request, shop: ShopId, user: PageUser, state: State, month: MonthQ = None
) -> HTMLResponse:
    return _management_page(request, "pay", shop, user, state, month)


@router.get("/shops/{shop}/grades")
def grades_page(
    request: Request, shop: ShopId, user: PageUser, state: State, month: MonthQ = None
) -> HTMLResponse:
    return _management_page(request, "grade", shop, user, state, month)


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


# --- errors: HTML for pages, JSON for the API ---------------------------------------------------


def install(app: FastAPI) -> None:
    from jinpai.web import settings_pages

    app.include_router(router)
    app.include_router(settings_pages.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith(("/api/", "/docs", "/openapi")):
            return await http_exception_handler(request, exc)
        message = {403: "forbidden", 404: "not_found"}.get(exc.status_code, str(exc.detail))
        user = None
        try:
            user = request.app.state.jinpai.identify(request)
        except Exception:  # an error page must render even when the store is down
            user = None
        page = render(request, "error.html", user, exc.status_code, message=message)
        page.headers.update(exc.headers or {})  # Retry-After of a 503 (the warehouse busy)
        return page

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return render(request, "error.html", None, 422, message="bad_request")
