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

from fastapi import HTTPException, Request

from jinpai.services.accounts import Principal
from jinpai.services.app_state import AppState

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
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
