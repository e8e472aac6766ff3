"""Signing in and out, one's own password and API tokens, and where a person lands."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jinpai.services.access import (
    attempt_sign_in,
    change_own_password,
    revoke_own_token,
)
from jinpai.services.accounts import Principal
from jinpai.services.errors import ServiceError, TooManyAttempts
from jinpai.web.deps import PageUser, State
from jinpai.web.render import home_for, log, render, safe_next
from jinpai.web.session import client_address, sign_in, sign_out

router = APIRouter(include_in_schema=False)


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
