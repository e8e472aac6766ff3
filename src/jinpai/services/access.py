"""Who may see and change what in a shop, and the account changes people make themselves.

Every route of the API and every page asks these (the rules themselves are
:class:`~jinpai.services.accounts.Principal`'s): owners and supervisors see the shops they are
given, an agent their own figures only, an owner manages the users of the shops they own.
"""

from __future__ import annotations

from jinpai.services.accounts import AccountError, Principal
from jinpai.services.app_state import AppState
from jinpai.services.errors import Forbidden, InputError, NotFound, TooManyAttempts


def check_shop(user: Principal, shop: str) -> None:
    if not user.can_see_shop(shop):
        raise Forbidden("no access to this shop")


def check_manager(user: Principal, shop: str) -> None:
    """Figures of the whole team: owners and supervisors of the shop only."""
    check_shop(user, shop)
    if not user.manages:
        raise Forbidden("agents see their own figures only")


def check_agent(user: Principal, shop: str, agent_id: str) -> None:
    check_shop(user, shop)
    if not user.can_see_agent(shop, agent_id):
        raise Forbidden("agents see their own figures only")


def check_owner(user: Principal, shop: str) -> None:
    """User management of the shop: its owners only (an owner of another shop is no owner
    here)."""
    check_shop(user, shop)
    if not user.owns(shop):
        raise Forbidden("only the shop's owner may do this")


def throttled(state: AppState, username: str, address: str) -> bool:
    """Too many failed passwords for this username from this address within the window."""
    web = state.web
    failures = state.accounts.recent_failures(username, address, web.login_window_s)
    return failures >= web.login_failures


def change_own_password(
    state: AppState, user: Principal, current: str, new: str, address: str, keep: str | None
) -> Principal:
    """Change the caller's password, the current one asked again (failures count like sign-in
    failures); the caller's other sessions end, the session ``keep`` goes on."""
    if throttled(state, user.username, address):
        raise TooManyAttempts("too many failed attempts: try again later")
    if state.accounts.authenticate(user.username, current, address) is None:
        raise Forbidden("the current password is wrong")
    try:
        return state.accounts.set_password(user.username, new, keep=keep)
    except AccountError as exc:
        raise InputError(str(exc)) from None


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
        raise NotFound(f"no user {username!r} in shop {shop!r}")
    if not owner.may_change(target):
        raise Forbidden(f"{username!r} belongs to shops you do not own as well")
    if active is False and username == owner.username:
        raise InputError("you cannot disable your own sign-in")
    try:
        changed = None
        if password is not None:
            changed = state.accounts.set_password(username, password)
        if active is not None:
            changed = state.accounts.set_active(username, active)
    except AccountError as exc:
        raise InputError(str(exc)) from None
    if changed is None:
        raise InputError("give a new password or active")
    return changed
