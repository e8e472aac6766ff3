"""Authentication of every request, for the API and the pages alike.

- A request is authenticated by ``Authorization: Bearer <token>`` (a per-user API token) or by
  the signed session cookie: ``sid``, the key of a session kept in the store (signing out, a new
  password or a disabled sign-in end it there, whatever copy of the cookie is left), and a
  per-session ``csrf`` token.
- Every unsafe method (POST, PUT, PATCH, DELETE) carries the session's CSRF token, in the
  ``X-CSRF-Token`` header (HTMX, fetch) or the ``csrf_token`` form field. Bearer calls are exempt:
  a browser never adds that header by itself, so a forged cross-site request cannot carry it.

The surfaces ask :func:`identify` through the app state (``AppState.identify``) and check shops
and agents with :mod:`jinpai.services.access`.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jinpai.services.accounts import Principal
from jinpai.services.app_state import AppState

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The pages load every script from /static (HTMX, ECharts, app.js: no inline code, no eval), so
# scripts are held to 'self'. Styles allow inline ones: ECharts styles its tooltips inline, and
# a style cannot run code. No page may be framed (clickjacking).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# /docs is FastAPI's Swagger UI: its script and style come from a CDN and it starts with an
# inline script; it shows no data of its own (calls go through the API, under the API's rules)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse an unsafe request of a session without its CSRF token."""
    if request.method not in UNSAFE or bearer_token(request) is not None:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached on the request: the endpoint reads it again
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def identify(request: Request) -> Principal | None:
    """Who sent ``request`` (None: nobody signed in); a session's key is left on
    ``request.state.session_key`` (None for a bearer call), the session a password change
    keeps."""
    state: AppState = request.app.state.jinpai
    request.state.session_key = None
    token = bearer_token(request)
    if token is not None:
        if len(token) > 200:
            return None
        return state.accounts.from_token(token)
    key = request.session.get("sid")
    if not isinstance(key, str):
        return None
    # read each time: a removed or disabled user, a new password or a sign-out elsewhere ends
    # the session at once
    user = state.accounts.session_user(key, state.web.session_hours * 3600)
    if user is None:
        request.session.pop("sid", None)
        return None
    request.state.session_key = key
    return user


class SecurityHeaders:
    """Adds the browser's protections to every HTTP answer (pages, API, static files, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] == "/docs"
        policy = (DOCS_POLICY if docs else CONTENT_SECURITY_POLICY).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers += [*SECURITY_HEADERS, (b"content-security-policy", policy)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
