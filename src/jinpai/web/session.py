"""A person's browser session: signing in and out, and the session's CSRF token."""

from __future__ import annotations

import secrets

from fastapi import Request

from jinpai.services.accounts import Principal
from jinpai.services.app_state import AppState


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def sign_in(request: Request, state: AppState, user: Principal) -> None:
    """Start a fresh session (and CSRF token) for ``user``: no fixation; the language stays."""
    lang = request.session.get("lang")
    request.session.clear()
    key = state.accounts.start_session(user.user_id, client_address(request))
    request.session.update({"sid": key, **({"lang": lang} if lang else {})})


def sign_out(request: Request, state: AppState) -> None:
    key = request.session.get("sid")
    if isinstance(key, str):
        state.accounts.end_session(key)
    request.session.clear()
