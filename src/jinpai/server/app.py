"""The application factory: one FastAPI app serving the JSON API (/api/v1, OpenAPI at /docs)
and the web pages (Jinja2 + HTMX + vendored ECharts) over the same sessions."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from jinpai import __version__
from jinpai.api.routers import accounts as accounts_routes
from jinpai.api.routers import figures, imports, management
from jinpai.api.routers import settings as settings_routes
from jinpai.server.security import (
    BODY_MARGIN_BYTES,
    BodyGuard,
    SecurityHeaders,
    csrf_protect,
    identify,
)
from jinpai.server.session_key import secret_key
from jinpai.services.accounts import Accounts
from jinpai.services.app_state import AppState
from jinpai.services.errors import ServiceError
from jinpai.services.warehouse_reads import Warehouse
from jinpai.settings import Settings, WebSettings, get_settings

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
log = logging.getLogger("jinpai.web")


def store_accounts(settings: Settings, warehouse: Warehouse) -> Accounts:
    """Accounts over the settings' store, migrated to the shipped schema on start."""
    from jinpai.services.store_accounts import StoreAccounts
    from jinpai.store import migrate

    migrate.upgrade(settings.database)
    return StoreAccounts(settings.database, warehouse.shops)


def create_app(
    settings: Settings | None = None,
    *,
    web: WebSettings | None = None,
    accounts: Accounts | None = None,
) -> FastAPI:
    settings, web = settings or get_settings(), web or WebSettings()
    warehouse = Warehouse(settings, web.report_cache_size)
    state = AppState(
        settings=settings,
        web=web,
        warehouse=warehouse,
        accounts=accounts or store_accounts(settings, warehouse),
        identify=identify,
    )
    app = FastAPI(
        title="jinpai 金牌 API",
        version=__version__,
        description="Customer-service figures, scorecards and pay of a shop. Sign in through the "
        "web page (session cookie) or send `Authorization: Bearer <token>` (POST /api/v1/tokens).",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(csrf_protect)],
    )
    app.state.jinpai = state
    engine = state.store
    if engine is not None:
        from jinpai.services.rules import stored_rules

        # reports use the shop's saved profile and windows (the settings page edits them)
        warehouse.shop_rules = lambda shop: stored_rules(engine, shop)
    # inside the session middleware (it needs the session), before routing and any form parser
    app.add_middleware(BodyGuard, limit=(web.max_upload_mb << 20) + BODY_MARGIN_BYTES)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings, web),
        session_cookie="jinpai_session",
        max_age=web.session_hours * 3600,
        same_site="lax",
        https_only=web.https_only,
    )
    for router in (
        figures.router,
        accounts_routes.router,
        imports.router,
        management.router,
        settings_routes.router,
    ):
        app.include_router(router)
    from jinpai.web import pages

    pages.install(app)

    @app.exception_handler(ServiceError)
    async def _refused(request: Request, exc: ServiceError) -> Response:
        # a use case's refusal answers as an HTTP error of its status: JSON on the API, the
        # error page on a page (the HTTPException handler the pages install decides)
        handler = app.exception_handlers[HTTPException]
        # a throttled sign-in, a warehouse busy with another process's import: when to retry
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return await handler(request, HTTPException(exc.status, str(exc), headers))

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # outermost: every answer carries the headers, errors and static files included
    app.add_middleware(SecurityHeaders)
    return app
