"""Who is asking: users, roles, shop access and API tokens, as the web app needs them.

:class:`Accounts` is the small interface the app codes against; :class:`StoreAccounts` (module
:mod:`jinpai.services.store_accounts`) implements it over the application store. Passwords are only
ever held as argon2 hashes; API tokens only as digests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from jinpai.settings import WebSettings

Role = Literal["owner", "supervisor", "agent"]
ROLES: tuple[Role, ...] = ("owner", "supervisor", "agent")
# a token's lifetime when the caller names none (the setting's default; the app passes its own)
TOKEN_DAYS: int = WebSettings.model_fields["token_days"].default


@dataclass(frozen=True)
class Principal:
    """A signed-in user: the shops they may see and, for an agent, their own agent id.

    The one place of the rules of who may do what in a shop: the API, the pages and the
    command line ask these methods (the store decides which shops a user belongs to).
    """

    user_id: int
    username: str
    role: Role
    shops: tuple[str, ...]
    agent_id: str | None = None
    active: bool = True
    # the installation's owner (named for no shop): every shop, today's and tomorrow's
    every_shop: bool = False

    @property
    def manages(self) -> bool:
        """Owners and supervisors see every agent of their shops; agents only themselves."""
        return self.role in ("owner", "supervisor")

    def can_see_shop(self, shop: str) -> bool:
        return shop in self.shops

    def can_see_agent(self, shop: str, agent_id: str) -> bool:
        return self.can_see_shop(shop) and (self.manages or agent_id == self.agent_id)

    def owns(self, shop: str) -> bool:
        """An owner of ``shop``: owners own the shops named for them, no other."""
        return self.role == "owner" and self.can_see_shop(shop)

    def may_change(self, other: Principal) -> bool:
        """Whether this user may reset ``other``'s password or stop their sign-in: an owner of
        every shop ``other`` belongs to, so an owner of one shop never locks a user out of
        another shop nor takes it over through a user they share. Only the installation's owner
        changes the installation's owner."""
        if self.role != "owner":
            return False
        if self.every_shop:
            return True
        owned = all(self.owns(shop) for shop in other.shops)
        return not other.every_shop and bool(other.shops) and owned


@dataclass(frozen=True)
class TokenInfo:
    """An API token as its owner sees it: never the token itself (only its digest is kept)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just issued: ``token`` is shown this once."""

    token: str
    info: TokenInfo


@dataclass(frozen=True)
class LoginRecord:
    """The failed sign-ins that decide whether the next attempt is checked (see
    :func:`jinpai.services.access.attempt_sign_in`)."""

    # failures of the username within the window, since its last successful sign-in
    user_failures: int
    # failures from the address within the window, whatever the usernames
    address_failures: int
    last_user_failure: datetime | None
    # the user signed in from this address before: their own place is not slowed down
    known_address: bool


class AccountError(ValueError):
    """A user that cannot be added or changed as asked (taken name, unknown role, agent without
    id, unknown user, short password)."""


class Accounts(Protocol):
    def authenticate(self, username: str, password: str, address: str) -> Principal | None:
        """The user, or None; the attempt is recorded for :meth:`login_record`."""

    def login_record(self, username: str, address: str, window_s: float) -> LoginRecord: ...
    def start_session(self, user_id: int, address: str) -> str:
        """A new browser session of the user: the key its cookie carries."""

    def session_user(self, key: str, idle_s: float) -> Principal | None:
        """The active user of an open session used within ``idle_s``, or None."""

    def end_session(self, key: str) -> None: ...
    def from_token(self, token: str) -> Principal | None: ...
    def issue_token(self, user_id: int, name: str = "", days: int = TOKEN_DAYS) -> NewToken:
        """A new API token of the user, valid for ``days``."""

    def tokens(self, username: str) -> list[TokenInfo]:
        """The user's tokens that still work (neither revoked nor expired)."""

    def revoke_token(self, username: str, token_id: int) -> bool:
        """Revoke one of the user's tokens; False when they have no such token."""

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        shops: Iterable[str],
        agent_id: str | None = None,
    ) -> Principal: ...
    def users(self, shops: Iterable[str] | None = None) -> list[Principal]:
        """The users who belong to any of ``shops``, or every user (None)."""

    def set_password(self, username: str, password: str, keep: str | None = None) -> Principal:
        """A new password: the user's API tokens and sessions end, but ``keep`` (the key of the
        session that changed it)."""

    def set_active(self, username: str, active: bool) -> Principal:
        """Disable (or enable again) a user's sign-in: a disabled user's sessions and API tokens
        end at once (enabling them again gives no token back)."""


def check_new_user(username: str, password: str, role: str, agent_id: str | None) -> None:
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise AccountError("a username is 1 to 64 printable characters without spaces")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (owner, supervisor or agent)")
    if role == "agent" and not agent_id:
        raise AccountError("an agent user needs --agent (their agent id)")
    check_password(password)


def check_password(password: str) -> None:
    if len(password) < 8:
        raise AccountError("a password has at least 8 characters")
