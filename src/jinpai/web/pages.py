"""The figures' pages (daily sheet, ranking, an agent, drill-down, import, scorecard, pay,
grades) and the error pages: server-rendered Jinja2, small HTMX swaps, ECharts fed from JSON in
the page. Pages call the same use cases and access checks as the API (:mod:`jinpai.services`).
"""

from __future__ import annotations

from datetime import date
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

from jinpai.canonical.schema import TABLES
from jinpai.exports import management_sheets
from jinpai.metrics.base import Unit
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.services import uploads
from jinpai.services.access import (
    check_agent,
    check_manager,
    check_shop,
)
from jinpai.services.accounts import Principal
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
from jinpai.services.errors import InputError
from jinpai.services.periods import check_day, period_query
from jinpai.services.plans import month_result
from jinpai.web.deps import AgentId, LoginRequired, PageUser, ShopId, State
from jinpai.web.render import home_for, log, render

router = APIRouter(include_in_schema=False)

MonthQ = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
TableName = Annotated[str | None, Form(pattern=uploads.TABLE_PATTERN)]
ColumnsMap = Annotated[
    str | None, Form(max_length=uploads.COLUMNS_MAP_MAX, pattern=uploads.COLUMNS_MAP_PATTERN)
]
TimeFormat = Annotated[str | None, Form(max_length=uploads.TIME_FORMAT_MAX)]
# a page's upload shows its outcome when the import ends within this, else polls the job
IMPORT_WAIT_S = 2.0


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


# --- errors: HTML for pages, JSON for the API ---------------------------------------------------


def install(app: FastAPI) -> None:
    from jinpai.web import account_pages, settings_pages

    app.include_router(account_pages.router)
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
