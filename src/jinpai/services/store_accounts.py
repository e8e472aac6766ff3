""":class:`~jinpai.services.accounts.Accounts` over the application store (:mod:`jinpai.store`).

Sign-in attempts are recorded in the store, so throttling survives a restart and counts across
server processes. An owner owns the shops named for them; the installation's owner (named for no
shop, the store's rule) sees every shop of the store and of the warehouse, so a fresh
installation needs no shop set-up before its first look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jinpai.services.accounts import (
    TOKEN_DAYS,
    AccountError,
    LoginRecord,
    NewToken,
    Principal,
    TokenInfo,
    check_new_user,
    check_password,
)
from jinpai.store import users as repo
from jinpai.store.db import make_engine, session_scope
from jinpai.store.models import ApiToken, User
from jinpai.store.roster import get_agent, upsert_agent
from jinpai.store.types import utcnow


class StoreAccounts:
    def __init__(
        self, database_url: str, warehouse_shops: Callable[[], list[str]] = lambda: []
    ) -> None:
        self.engine = make_engine(database_url)
        self._warehouse_shops = warehouse_shops

    def _principal(self, session, user: User) -> Principal:  # type: ignore[no-untyped-def]
        shops = repo.accessible_shops(session, user)
        every_shop = repo.owns_every_shop(user)
        if every_shop:
            shops = sorted(set(shops) | set(self._warehouse_shops()))
        agent_id = user.agent.agent_id if user.agent is not None else None
        return Principal(
            user.id,
            user.username,
            user.role,  # type: ignore[arg-type]
            tuple(shops),
            agent_id,
            active=user.active,
            every_shop=every_shop,
        )

    def authenticate(self, username: str, password: str, address: str) -> Principal | None:
        with session_scope(self.engine) as session:
            user = repo.authenticate(session, username[:64], password, address)
            return self._principal(session, user) if user is not None else None

    def login_record(self, username: str, address: str, window_s: float) -> LoginRecord:
        since = utcnow() - timedelta(seconds=window_s)
        with session_scope(self.engine) as session:
            return LoginRecord(*repo.login_record(session, username, address[:64], since))

    def start_session(self, user_id: int, address: str) -> str:
        with session_scope(self.engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise AccountError("no such user")
            return repo.start_web_session(session, user, address[:64])

    def session_user(self, key: str, idle_s: float) -> Principal | None:
        with session_scope(self.engine) as session:
            user = repo.web_session_user(session, key, timedelta(seconds=idle_s))
            return self._principal(session, user) if user is not None else None

    def end_session(self, key: str) -> None:
        with session_scope(self.engine) as session:
            repo.end_web_session(session, key)

    def from_token(self, token: str) -> Principal | None:
        with session_scope(self.engine) as session:
            user = repo.user_for_token(session, token)
            return self._principal(session, user) if user is not None else None

    def issue_token(self, user_id: int, name: str = "", days: int = TOKEN_DAYS) -> NewToken:
        with session_scope(self.engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise AccountError("no such user")
            expires_at = utcnow() + timedelta(days=days)
            token = repo.issue_api_token(session, user.username, name[:100], expires_at)
            return NewToken(token, _token_info(user.tokens[-1]))

    def tokens(self, username: str) -> list[TokenInfo]:
        with session_scope(self.engine) as session:
            try:
                return [_token_info(row) for row in repo.live_api_tokens(session, username)]
            except LookupError as exc:
                raise AccountError(str(exc)) from None

    def revoke_token(self, username: str, token_id: int) -> bool:
        with session_scope(self.engine) as session:
            try:
                return repo.revoke_api_token_of(session, username, token_id)
            except LookupError as exc:
                raise AccountError(str(exc)) from None

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        shops: Iterable[str],
        agent_id: str | None = None,
        agent_name: str | None = None,
    ) -> Principal:
        """Add a user; an agent's roster entry is created when the store does not have it yet
        (the warehouse's ``agents`` table is the usual source of the name)."""
        check_new_user(username, password, role, agent_id)
        shops = list(dict.fromkeys(shops))
        with session_scope(self.engine) as session:
            if repo.get_user(session, username) is not None:
                raise AccountError(f"user {username!r} exists")
            if (
                role == "agent"
                and len(shops) == 1
                and agent_id is not None
                and get_agent(session, shops[0], agent_id) is None
            ):
                upsert_agent(session, shops[0], agent_id, name=agent_name)
            try:
                user = repo.add_user(session, username, password, role, shops, agent_id)
            except (ValueError, LookupError) as exc:
                raise AccountError(str(exc)) from None
            return self._principal(session, user)

    def users(self, shops: Iterable[str] | None = None) -> list[Principal]:
        with session_scope(self.engine) as session:
            found = [self._principal(session, u) for u in session.scalars(select(User))]
        if shops is None:
            return found
        wanted = set(shops)
        return [p for p in found if wanted & set(p.shops)]

    def set_password(self, username: str, password: str, keep: str | None = None) -> Principal:
        check_password(password)

        def change(session: Session) -> None:
            repo.set_password(session, username, password)
            repo.end_web_sessions(session, username, keep)
            # a token minted from a stolen session must not outlive the new password
            repo.revoke_api_tokens(session, username)

        return self._change(username, change)

    def set_active(self, username: str, active: bool) -> Principal:
        def change(session: Session) -> None:
            repo.set_active(session, username, active)
            if not active:
                repo.end_web_sessions(session, username)
                repo.revoke_api_tokens(session, username)

        return self._change(username, change)

    def _change(self, username: str, change: Callable[[Session], None]) -> Principal:
        with session_scope(self.engine) as session:
            try:
                change(session)
            except LookupError as exc:
                raise AccountError(str(exc)) from None
            user = repo.get_user(session, username)
            assert user is not None  # the change found them
            return self._principal(session, user)


def _token_info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.created_at, row.last_used_at, row.expires_at)
