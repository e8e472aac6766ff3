"""Who is asking: users, roles, shop access and API tokens, as the web app needs them.

:class:`Accounts` is the small interface the app codes against. :class:`StoreAccounts` (module
:mod:`jinpai.api.store_accounts`) implements it over the application store;
:class:`MemoryAccounts` keeps users in memory (tests, a throwaway demo). Passwords are only ever
held as argon2 hashes; API tokens only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

Role = Literal["owner", "supervisor", "agent"]
ROLES: tuple[Role, ...] = ("owner", "supervisor", "agent")


@dataclass(frozen=True)
class Principal:
    """A signed-in user: the shops they may see and, for an agent, their own agent id."""

    user_id: int
    username: str
    role: Role
    shops: tuple[str, ...]
    agent_id: str | None = None

    @property
    def manages(self) -> bool:
        """Owners and supervisors see every agent of their shops; agents only themselves."""
        return self.role in ("owner", "supervisor")

    def can_see_shop(self, shop: str) -> bool:
        return shop in self.shops

    def can_see_agent(self, shop: str, agent_id: str) -> bool:
        return self.can_see_shop(shop) and (self.manages or agent_id == self.agent_id)


class AccountError(ValueError):
    """A user that cannot be added as asked (taken name, unknown role, agent without id)."""


class Accounts(Protocol):
    def authenticate(self, username: str, password: str, address: str) -> Principal | None:
        """The user, or None; the attempt is recorded for :meth:`recent_failures`."""

    def recent_failures(self, username: str, address: str, window_s: float) -> int: ...
    def get(self, user_id: int) -> Principal | None: ...
    def from_token(self, token: str) -> Principal | None: ...
    def issue_token(self, user_id: int, name: str = "") -> str: ...
    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        shops: Iterable[str],
        agent_id: str | None = None,
    ) -> Principal: ...
    def users(self, shops: Iterable[str]) -> list[Principal]: ...


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "jp_" + secrets.token_urlsafe(32)


def check_new_user(username: str, password: str, role: str, agent_id: str | None) -> None:
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise AccountError("a username is 1 to 64 printable characters without spaces")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (owner, supervisor or agent)")
    if role == "agent" and not agent_id:
        raise AccountError("an agent user needs --agent (their agent id)")
    if len(password) < 8:
        raise AccountError("a password has at least 8 characters")


@dataclass
class _User:
    principal: Principal
    password_hash: str
    tokens: set[str] = field(default_factory=set)


class MemoryAccounts:
    """Users in memory (argon2 hashes): for tests and throwaway demos."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()
        self._users: dict[int, _User] = {}
        self._lock = threading.Lock()
        # verifying against a dummy hash keeps an unknown username as slow as a wrong password
        self._dummy = self._hasher.hash(secrets.token_hex(16))
        self._throttle = LoginThrottle(failures=1 << 30)

    def authenticate(self, username: str, password: str, address: str) -> Principal | None:
        user = next((u for u in self._users.values() if u.principal.username == username), None)
        try:
            self._hasher.verify(user.password_hash if user else self._dummy, password)
        except (VerificationError, InvalidHashError):
            self._throttle.failed(username, address)
            return None
        return user.principal if user else None

    def recent_failures(self, username: str, address: str, window_s: float) -> int:
        self._throttle.window_s = window_s
        return self._throttle.count(username, address)

    def get(self, user_id: int) -> Principal | None:
        user = self._users.get(user_id)
        return user.principal if user else None

    def from_token(self, token: str) -> Principal | None:
        digest = token_digest(token)
        for user in self._users.values():
            if digest in user.tokens:
                return user.principal
        return None

    def issue_token(self, user_id: int, name: str = "") -> str:
        token = new_token()
        self._users[user_id].tokens.add(token_digest(token))
        return token

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        shops: Iterable[str],
        agent_id: str | None = None,
    ) -> Principal:
        check_new_user(username, password, role, agent_id)
        with self._lock:
            if any(u.principal.username == username for u in self._users.values()):
                raise AccountError(f"user {username!r} exists")
            uid = len(self._users) + 1
            principal = Principal(uid, username, role, tuple(sorted(set(shops))), agent_id)  # type: ignore[arg-type]
            self._users[uid] = _User(principal, self._hasher.hash(password))
        return principal

    def users(self, shops: Iterable[str]) -> list[Principal]:
        wanted = set(shops)
        return [u.principal for u in self._users.values() if wanted & set(u.principal.shops)]


class LoginThrottle:
    """At most ``failures`` failed logins per (username, client address) in ``window_s``.

    In-process on purpose: one server process serves a shop's team, and a restart forgetting the
    counts is harmless; the key includes the address so a stranger cannot lock a user out from
    elsewhere.
    """

    def __init__(self, failures: int = 5, window_s: float = 900.0) -> None:
        self.failures, self.window_s = failures, window_s
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def count(self, username: str, address: str) -> int:
        with self._lock:
            return len(self._recent((username, address), time.monotonic()))

    def blocked(self, username: str, address: str) -> bool:
        return self.count(username, address) >= self.failures

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent((username, address), now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._seen.pop((username, address), None)
