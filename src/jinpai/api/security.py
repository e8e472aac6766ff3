"""Authentication and authorisation shared by the API and the pages.

- A request is authenticated by ``Authorization: Bearer <token>`` (a per-user API token) or by
  the signed session cookie: ``sid``, the key of a session kept in the store (signing out, a new
  password or a disabled sign-in end it there, whatever copy of the cookie is left), and a
  per-session ``csrf`` token.
- Every unsafe method (POST, PUT, PATCH, DELETE) carries the session's CSRF token, in the
  ``X-CSRF-Token`` header (HTMX, fetch) or the ``csrf_token`` form field. Bearer calls are exempt:
  a browser never adds that header by itself, so a forged cross-site request cannot carry it.
- Shops and agents are checked on every route: owners and supervisors see the shops they are
  given; an agent sees their own figures only (403 otherwise). Users are managed by an owner of
  the shop, and changed only by an owner of every shop they belong to (:class:`Principal`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from jinpai.services.accounts import AccountError, Accounts, Principal
from jinpai.services.warehouse_reads import Warehouse
from jinpai.settings import Settings, WebSettings

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


@dataclass
class AppState:
    settings: Settings
    web: WebSettings
    warehouse: Warehouse
    accounts: Accounts


def app_state(request: Request) -> AppState:
    return request.app.state.jinpai


State = Annotated[AppState, Depends(app_state)]


class LoginRequired(Exception):
    """A page asked for without a session: the page handler redirects to the login page."""


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


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


def _principal(request: Request, state: AppState) -> Principal | None:
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
    return user


def session_key(request: Request) -> str | None:
    """The key of the request's session (None for a bearer call or no session)."""
    key = request.session.get("sid")
    return key if bearer_token(request) is None and isinstance(key, str) else None


def sign_in(request: Request, state: AppState, user: Principal) -> None:
    """Start a fresh session (and CSRF token) for ``user``: no fixation; the language stays."""
    lang = request.session.get("lang")
    request.session.clear()
    key = state.accounts.start_session(user.user_id, client_address(request))
    request.session.update({"sid": key, **({"lang": lang} if lang else {})})


def sign_out(request: Request, state: AppState) -> None:
    key = session_key(request)
    if key is not None:
        state.accounts.end_session(key)
    request.session.clear()


def api_user(request: Request, state: State) -> Principal:
    user = _principal(request, state)
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="sign in or send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def page_user(request: Request, state: State) -> Principal:
    user = _principal(request, state)
    if user is None:
        raise LoginRequired()
    return user


ApiUser = Annotated[Principal, Depends(api_user)]
PageUser = Annotated[Principal, Depends(page_user)]


def check_shop(user: Principal, shop: str) -> None:
    if not user.can_see_shop(shop):
        raise HTTPException(status_code=403, detail="no access to this shop")


def check_manager(user: Principal, shop: str) -> None:
    """Figures of the whole team: owners and supervisors of the shop only."""
    check_shop(user, shop)
    if not user.manages:
        raise HTTPException(status_code=403, detail="agents see their own figures only")


def check_agent(user: Principal, shop: str, agent_id: str) -> None:
    check_shop(user, shop)
    if not user.can_see_agent(shop, agent_id):
        raise HTTPException(status_code=403, detail="agents see their own figures only")


def check_owner(user: Principal, shop: str) -> None:
    """User management of the shop: its owners only (an owner of another shop is no owner
    here)."""
    check_shop(user, shop)
    if not user.owns(shop):
        raise HTTPException(status_code=403, detail="only the shop's owner may do this")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def throttled(state: AppState, username: str, address: str) -> bool:
    """Too many failed passwords for this username from this address within the window."""
    web = state.web
    failures = state.accounts.recent_failures(username, address, web.login_window_s)
    return failures >= web.login_failures


def change_own_password(
    request: Request, state: AppState, user: Principal, current: str, new: str
) -> Principal:
    """Change the caller's password, the current one asked again (failures count like sign-in
    failures); the caller's other sessions end, this one goes on."""
    address = client_address(request)
    if throttled(state, user.username, address):
        raise HTTPException(status_code=429, detail="too many failed attempts: try again later")
    if state.accounts.authenticate(user.username, current, address) is None:
        raise HTTPException(status_code=403, detail="the current password is wrong")
    try:
        return state.accounts.set_password(user.username, new, keep=session_key(request))
    except AccountError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def change_shop_user(
    state: AppState,
    owner: Principal,
    shop: str,
    username: str,
    password: str | None = None,
    active: bool | None = None,
) -> Principal:
    """An owner resets a user's password or disables (enables) their sign-in; either ends the
    user's sessions. Only an owner of every shop the user belongs to may (see
    :meth:`Principal.may_change`). Owners cannot disable themselves, so a shop always keeps one."""
    check_owner(owner, shop)
    target = next((p for p in state.accounts.users([shop]) if p.username == username), None)
    if target is None:
        raise HTTPException(status_code=404, detail=f"no user {username!r} in shop {shop!r}")
    if not owner.may_change(target):
        raise HTTPException(
            status_code=403, detail=f"{username!r} belongs to shops you do not own as well"
        )
    if active is False and username == owner.username:
        raise HTTPException(status_code=400, detail="you cannot disable your own sign-in")
    try:
        changed = None
        if password is not None:
            changed = state.accounts.set_password(username, password)
        if active is not None:
            changed = state.accounts.set_active(username, active)
    except AccountError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if changed is None:
        raise HTTPException(status_code=400, detail="give a new password or active")
    return changed
