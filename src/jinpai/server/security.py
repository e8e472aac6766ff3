"""Authentication of every request, for the API and the pages alike.

- A request is authenticated by ``Authorization: Bearer <token>`` (a per-user API token) or by
  the signed session cookie: ``sid``, the key of a session kept in the store (signing out, a new
  password or a disabled sign-in end it there, whatever copy of the cookie is left), and a
  per-session ``csrf`` token.
- Every unsafe method (POST, PUT, PATCH, DELETE) carries the session's CSRF token, in the
  ``X-CSRF-Token`` header (HTMX, fetch) or the ``csrf_token`` form field. Bearer calls are exempt:
  a browser never adds that header by itself, so a forged cross-site request cannot carry it.
- An unsafe request's body is never read before its sender is known. FastAPI parses a route's
  form before any dependency runs, so :class:`BodyGuard`, a middleware, decides from the
  headers alone: a body over ``max_upload_mb`` plus ``BODY_MARGIN_BYTES`` is a 413 by its
  ``Content-Length``, and is cut off while a chunked (or lying) body streams in; a bad bearer
  token is a 401, a request without a signed-in session a 403 (a page: back to the sign-in
  page), except the sign-in and sign-out forms, capped at ``ANONYMOUS_BODY_BYTES``. (An
  anonymous 2,000 MB POST once filled /tmp before its 403.)

The surfaces ask :func:`identify` through the app state (``AppState.identify``) and check shops
and agents with :mod:`jinpai.services.access`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
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
# the forms an anonymous session may post: their fields are a few hundred bytes
ANONYMOUS_FORMS = frozenset({"/login", "/logout"})
ANONYMOUS_BODY_BYTES = 64 << 10
# a multipart upload's own fields and boundaries on top of the file
BODY_MARGIN_BYTES = 1 << 20


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
    keeps. Read from the store once per request: the body guard and the route both ask."""
    if not hasattr(request.state, "identified"):
        request.state.identified = _identify(request)
    return request.state.identified


def _identify(request: Request) -> Principal | None:
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
    # read each request: a removed or disabled user, a new password or a sign-out elsewhere
    # ends the session at once
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


# --- request bodies ----------------------------------------------------------------------------


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request is larger than {limit >> 10} KB")


@dataclass
class _Refusal:
    status: int
    detail: str

    def response(self, path: str) -> Response:
        if self.status == 403 and not path.startswith("/api/"):
            return RedirectResponse("/login", status_code=303)  # a page of an ended session
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"detail": self.detail}, self.status, headers=headers)


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyGuard:
    """ASGI middleware, inside the session middleware: settles who sends an unsafe request and
    how large its body may be before the app reads a byte of it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    def admit(self, scope: Scope) -> tuple[int, _Refusal | None]:
        """The body limit of this request, or why it is refused unread."""
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            return self.limit, _Refusal(413, str(BodyTooLarge(self.limit).detail))
        request = Request(scope)
        state: AppState = request.app.state.jinpai
        user = state.identify(request)  # headers and session cookie only
        if user is not None:
            return self.limit, None
        if bearer_token(request) is not None:
            return 0, _Refusal(401, "sign in or send Authorization: Bearer <token>")
        if scope["path"] not in ANONYMOUS_FORMS:
            return 0, _Refusal(403, "sign in first")
        if declared is not None and declared > ANONYMOUS_BODY_BYTES:
            return 0, _Refusal(413, str(BodyTooLarge(ANONYMOUS_BODY_BYTES).detail))
        return ANONYMOUS_BODY_BYTES, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        limit, refusal = self.admit(scope)
        if refusal is not None:
            await refusal.response(scope["path"])(scope, receive, send)
            return
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)  # FastAPI answers it as the 413 it is
            return message

        await self.app(scope, capped, send)
