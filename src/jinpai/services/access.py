"""Who may see and change what in a shop, and the account changes people make themselves.

Every route of the API and every page asks these (the rules themselves are
:class:`~jinpai.services.accounts.Principal`'s): owners and supervisors see the shops they are
given, an agent their own figures only, an owner manages the users of the shops they own.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

from jinpai.services.accounts import AccountError, LoginRecord, NewToken, Principal
from jinpai.services.app_state import AppState
from jinpai.services.errors import Forbidden, InputError, NotFound, TooManyAttempts
from jinpai.settings import WebSettings


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


# One lock per stripe of usernames: checking whether an attempt may go on and recording its
# outcome is one step, so concurrent tries of a username check no more passwords than the limit
# allows. A fixed set keeps memory bounded whatever usernames are tried. (Within one server
# process: `jinpai serve` runs one.)
_SIGN_IN_LOCKS = tuple(threading.Lock() for _ in range(64))


def _lock_of(username: str) -> threading.Lock:
    return _SIGN_IN_LOCKS[hash(username) % len(_SIGN_IN_LOCKS)]


def wait_before_checking(web: WebSettings, record: LoginRecord, now: datetime) -> float:
    """Seconds before an attempt will be checked (0: at once).

    An address past its limit is refused for the window, even with the right password: it is
    the guesser's own address. A username past its limit is never locked (anyone could lock
    anyone out): its attempts are spaced by a delay that doubles from 1 s with each failure, up
    to ``login_max_delay_s``; an address the user signed in from before is not slowed down.
    """
    if record.address_failures >= web.login_address_failures:
        return float(web.login_window_s)
    excess = record.user_failures - web.login_failures
    if excess < 0 or record.known_address or record.last_user_failure is None:
        return 0.0
    delay = timedelta(seconds=min(2**excess, web.login_max_delay_s))
    return max(0.0, (record.last_user_failure + delay - now).total_seconds())


def attempt_sign_in(
    state: AppState, username: str, password: str, address: str
) -> Principal | None:
    """The user if the password is right (None if not); :class:`TooManyAttempts` without
    checking it while the address or the username must wait (see :func:`wait_before_checking`).
    """
    username = username[:64]
    with _lock_of(username):
        record = state.accounts.login_record(username, address, state.web.login_window_s)
        wait = wait_before_checking(state.web, record, datetime.now(UTC))
        if wait > 0:
            raise TooManyAttempts(
                "too many failed attempts: try again later", retry_after=math.ceil(wait)
            )
        return state.accounts.authenticate(username, password, address)


def change_own_password(
    state: AppState, user: Principal, current: str, new: str, address: str, keep: str | None
) -> Principal:
    """Change the caller's password, the current one asked again (throttled like a sign-in);
    the caller's API tokens and other sessions end, the session ``keep`` goes on."""
    if attempt_sign_in(state, user.username, current, address) is None:
        raise Forbidden("the current password is wrong")
    try:
        return state.accounts.set_password(user.username, new, keep=keep)
    except AccountError as exc:
        raise InputError(str(exc)) from None


def new_token(state: AppState, user: Principal, name: str, days: int | None) -> NewToken:
    """A new API token of the caller, for ``days`` (at most the installation's
    ``token_days``, its default)."""
    most = state.web.token_days
    if days is not None and not 1 <= days <= most:
        raise InputError(f"a token lasts 1 to {most} days")
    return state.accounts.issue_token(user.user_id, name, days or most)


def revoke_own_token(state: AppState, user: Principal, token_id: int) -> None:
    """End one of the caller's tokens (another user's token is as unknown as a made-up id)."""
    if not state.accounts.revoke_token(user.username, token_id):
        raise NotFound(f"you have no token {token_id}")


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
