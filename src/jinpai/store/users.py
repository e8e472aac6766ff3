"""Users, their shop access, API tokens and sign-in attempts.

Roles: ``owner`` (the shops named for them; one named for no shop is the installation's owner,
of every shop), ``supervisor`` (the shops granted), ``agent`` (one shop, linked to a roster
entry, sees their own figures). Passwords are stored as argon2id hashes only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from jinpai.store.models import USER_ROLES, ApiToken, LoginAttempt, Shop, User, WebSession
from jinpai.store.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from jinpai.store.roster import require_agent
from jinpai.store.shops import ensure_shop
from jinpai.store.types import utcnow


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    shops: Iterable[str] = (),
    agent_id: str | None = None,
) -> User:
    """Create a user; an ``agent`` user needs exactly one shop and their agent_id in it."""
    username = username.strip()
    if not username:
        raise ValueError("a username cannot be empty")
    if role not in USER_ROLES:
        raise ValueError(f"role must be one of {', '.join(USER_ROLES)}: {role!r}")
    shop_ids = list(dict.fromkeys(shops))
    agent = None
    if role == "agent":
        if len(shop_ids) != 1 or agent_id is None:
            raise ValueError("an agent user needs exactly one shop and an agent_id")
        agent = require_agent(session, shop_ids[0], agent_id)
    elif agent_id is not None:
        raise ValueError("only agent users are linked to a roster entry")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        agent=agent,
        shops=[ensure_shop(session, shop_id) for shop_id in shop_ids],
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> None:
    _require_user(session, username).password_hash = hash_password(password)
    session.flush()


def set_active(session: Session, username: str, active: bool) -> None:
    _require_user(session, username).active = active
    session.flush()


def owns_every_shop(user: User) -> bool:
    """The installation's owner: an owner named for no shop (``jinpai user add NAME --role
    owner``). An owner named for shops owns those only; the app and the API only ever add users
    to the shop they are added in, so only the command line makes such an owner."""
    return user.role == "owner" and not user.shops


def can_access(user: User, shop_id: str) -> bool:
    return user.active and (owns_every_shop(user) or any(s.shop_id == shop_id for s in user.shops))


def accessible_shops(session: Session, user: User) -> list[str]:
    if owns_every_shop(user):
        return list(session.scalars(select(Shop.shop_id).order_by(Shop.shop_id)))
    return [shop.shop_id for shop in user.shops]


def authenticate(
    session: Session, username: str, password: str, remote_addr: str | None = None
) -> User | None:
    """The active user with this username and password, or None; every attempt is recorded.

    Unknown users cost a hash verification too, so timing does not tell which usernames exist.
    An old-parameter hash is upgraded on a successful sign-in.
    """
    user = get_user(session, username)
    if user is None:
        verify_password(dummy_hash(), password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    record_login_attempt(session, username, ok, remote_addr)
    if not ok or user is None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def record_login_attempt(
    session: Session, username: str, succeeded: bool, remote_addr: str | None = None
) -> None:
    session.add(LoginAttempt(username=username[:64], succeeded=succeeded, remote_addr=remote_addr))
    session.flush()


def failed_logins_since(
    session: Session, since: datetime, username: str | None = None, remote_addr: str | None = None
) -> int:
    """Failed attempts after ``since`` for a username and/or an address (for throttling)."""
    statement = select(func.count()).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since
    )
    if username is not None:
        statement = statement.where(LoginAttempt.username == username[:64])
    if remote_addr is not None:
        statement = statement.where(LoginAttempt.remote_addr == remote_addr)
    return session.scalar(statement) or 0


def login_record(
    session: Session, username: str, remote_addr: str, since: datetime
) -> tuple[int, int, datetime | None, bool]:
    """For throttling: the username's failures after ``since`` and after its last success, the
    address's failures after ``since``, the username's last failure, and whether the user ever
    signed in from this address (within :data:`KEPT_FOR`)."""
    username = username[:64]
    mine = LoginAttempt.username == username
    succeeded = LoginAttempt.succeeded.is_(True)
    last_success = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(mine, succeeded)
    )
    start = max(since, last_success) if last_success is not None else since
    failed = LoginAttempt.succeeded.is_(False)
    user_failures, last_failure = session.execute(
        select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            mine, failed, LoginAttempt.attempted_at > start
        )
    ).one()
    address_failures = failed_logins_since(session, since, remote_addr=remote_addr)
    known = session.scalar(
        select(LoginAttempt.id)
        .where(mine, succeeded, LoginAttempt.remote_addr == remote_addr)
        .where(LoginAttempt.attempted_at >= utcnow() - KEPT_FOR)
        .limit(1)
    )
    return user_failures, address_failures, last_failure, known is not None


def issue_api_token(
    session: Session, username: str, name: str = "", expires_at: datetime | None = None
) -> str:
    """A new API token for the user. The clear token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    user = _require_user(session, username)
    session.add(ApiToken(user=user, name=name, token_hash=key_digest(token), expires_at=expires_at))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning a valid (not revoked, not expired) token; marks it used."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == key_digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if not row.user.active:
        return None
    # written at most once a minute: a busy script must not turn every call into a write
    if row.last_used_at is None or row.last_used_at + SEEN_EVERY <= now:
        row.last_used_at = now
        session.flush()
    return row.user


def live_api_tokens(session: Session, username: str) -> list[ApiToken]:
    """The user's tokens that still work (neither revoked nor expired), oldest first."""
    user = _require_user(session, username)
    statement = select(ApiToken).where(
        ApiToken.user_id == user.id,
        ApiToken.revoked_at.is_(None),
        (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > utcnow()),
    )
    return list(session.scalars(statement.order_by(ApiToken.id)))


def revoke_api_token_of(session: Session, username: str, token_id: int) -> bool:
    """Revoke one of the user's tokens by its id; False when the user has no such live token
    (another user's token id is no different from an unknown one)."""
    row = next((t for t in live_api_tokens(session, username) if t.id == token_id), None)
    if row is None:
        return False
    row.revoked_at = utcnow()
    session.flush()
    return True


def revoke_api_tokens(session: Session, username: str) -> int:
    """Revoke every token of the user (a new password, a disabled sign-in); how many."""
    user = _require_user(session, username)
    statement = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    revoked = session.execute(statement.values(revoked_at=utcnow())).rowcount
    session.expire_all()
    return revoked


# a session's last_seen_at and a token's last_used_at are written at most this often, not on
# every request (a busy script or page would otherwise make every call a write)
SEEN_EVERY = timedelta(minutes=1)
KEPT_FOR = timedelta(days=90)  # then a session's row is removed at the user's next sign-in


def start_web_session(session: Session, user: User, remote_addr: str | None = None) -> str:
    """A new browser session of ``user``; the clear key is returned once and never stored."""
    key = secrets.token_urlsafe(32)
    # the user's sessions that ended (or went idle) long ago are no use to anyone
    old = utcnow() - KEPT_FOR
    session.execute(
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.last_seen_at < old)
    )
    session.add(WebSession(user=user, key_hash=key_digest(key), remote_addr=remote_addr))
    session.flush()
    return key


def web_session_user(session: Session, key: str, idle: timedelta) -> User | None:
    """The active user of an open session last seen within ``idle``; a session idle longer is
    ended."""
    row = session.scalar(select(WebSession).where(WebSession.key_hash == key_digest(key)))
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    now = utcnow()
    if row.last_seen_at + idle <= now:
        row.ended_at = now
    elif row.last_seen_at + SEEN_EVERY <= now:
        row.last_seen_at = now
    session.flush()
    return row.user if row.ended_at is None else None


def end_web_session(session: Session, key: str) -> None:
    row = session.scalar(select(WebSession).where(WebSession.key_hash == key_digest(key)))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.flush()


def end_web_sessions(session: Session, username: str, keep: str | None = None) -> int:
    """End every open session of the user but ``keep`` (a session key); how many ended."""
    user = _require_user(session, username)
    statement = update(WebSession).where(
        WebSession.user_id == user.id, WebSession.ended_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(WebSession.key_hash != key_digest(keep))
    ended = session.execute(statement.values(ended_at=utcnow())).rowcount
    session.expire_all()
    return ended


def revoke_api_token(session: Session, token: str) -> bool:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == key_digest(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.flush()
    return True


def key_digest(key: str) -> str:
    """SHA-256 of a random 256-bit key (API token, session key): enough for a secret nobody
    chose, and it allows an index lookup (a salted hash would not)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _require_user(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise LookupError(f"no user {username!r}")
    return user
