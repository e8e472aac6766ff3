"""Users: argon2 password hashes, shop access, API tokens and sign-in attempts."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, MetaData, select, text
from sqlalchemy.orm import Session

from jinpai.services.store_accounts import StoreAccounts
from jinpai.store import migrate, passwords, roster, users
from jinpai.store.models import ApiToken
from jinpai.store.passwords import verify_password
from jinpai.store.types import utcnow

PASSWORD = "s3cret-金牌-password"


def test_password_is_hashed_and_verified(session: Session) -> None:
    user = users.add_user(session, "boss", PASSWORD, "owner")
    session.commit()
    assert user.password_hash != PASSWORD and user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)
    assert users.authenticate(session, "boss", PASSWORD) is user
    assert users.authenticate(session, "boss", "wrong password") is None
    assert users.authenticate(session, "nobody", PASSWORD) is None
    assert user.last_login_at is not None


def test_clear_password_is_nowhere_in_the_database(
    session: Session, engine: Engine, migrated_url: str
) -> None:
    roster.upsert_agent(session, "s1", "a1")
    users.add_user(session, "boss", PASSWORD, "owner")
    users.add_user(session, "wang", PASSWORD, "agent", shops=["s1"], agent_id="a1")
    users.authenticate(session, "wang", PASSWORD)
    users.authenticate(session, "wang", "typo " + PASSWORD)
    session.commit()
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        dump = "\n".join(
            repr(tuple(row))
            for table in tables.sorted_tables
            for row in connection.execute(select(table))
        )
    assert "wang" in dump and "$argon2id$" in dump  # the dump did see the users
    assert PASSWORD not in dump
    if migrated_url.startswith("sqlite"):
        session.close()
        engine.dispose()
        raw = Path(migrated_url.removeprefix("sqlite:///")).read_bytes()
        assert PASSWORD.encode() not in raw


def test_password_policy(session: Session) -> None:
    with pytest.raises(ValueError, match="characters"):
        users.add_user(session, "boss", "short", "owner")


def test_roles_and_shop_access(session: Session) -> None:
    roster.upsert_agent(session, "s1", "a1")
    owner = users.add_user(session, "boss", PASSWORD, "owner")
    supervisor = users.add_user(session, "lead", PASSWORD, "supervisor", shops=["s1", "s2"])
    agent = users.add_user(session, "wang", PASSWORD, "agent", shops=["s1"], agent_id="a1")
    session.commit()
    assert users.can_access(owner, "s9")
    assert users.can_access(supervisor, "s2") and not users.can_access(supervisor, "s9")
    assert agent.agent is not None and agent.agent.agent_id == "a1"
    assert users.accessible_shops(session, owner) == ["s1", "s2"]
    users.set_active(session, "lead", False)
    session.commit()
    assert not users.can_access(supervisor, "s1")
    assert users.authenticate(session, "lead", PASSWORD) is None

    with pytest.raises(ValueError, match="role"):
        users.add_user(session, "x", PASSWORD, "admin")


def test_an_owner_named_for_shops_owns_those_shops_only(session: Session) -> None:
    """Finding 2 of the trust issue: ``jinpai user add owner2 --role owner --shop shop2`` made
    an owner of every shop. An owner named for no shop is still the installation's owner."""
    owner2 = users.add_user(session, "owner2", PASSWORD, "owner", shops=["shop2"])
    users.add_user(session, "boss", PASSWORD, "owner", shops=["demo"])
    root = users.add_user(session, "root", PASSWORD, "owner")
    session.commit()
    assert users.can_access(owner2, "shop2") and not users.can_access(owner2, "demo")
    assert users.accessible_shops(session, owner2) == ["shop2"]
    assert not users.owns_every_shop(owner2) and users.owns_every_shop(root)
    assert users.accessible_shops(session, root) == ["demo", "shop2"]
    with pytest.raises(ValueError, match="agent_id"):
        users.add_user(session, "y", PASSWORD, "agent", shops=["s1"])
    with pytest.raises(ValueError, match="roster"):
        users.add_user(session, "z", PASSWORD, "supervisor", agent_id="a1")
    with pytest.raises(LookupError):
        users.add_user(session, "w", PASSWORD, "agent", shops=["s1"], agent_id="ghost")


def test_api_tokens_are_stored_hashed(session: Session) -> None:
    users.add_user(session, "boss", PASSWORD, "owner")
    token = users.issue_api_token(session, "boss", name="export script")
    expired = users.issue_api_token(session, "boss", expires_at=utcnow() - timedelta(seconds=1))
    session.commit()
    assert token not in {row.token_hash for row in session.scalars(select(ApiToken))}
    user = users.user_for_token(session, token)
    assert user is not None and user.username == "boss"
    assert [t.last_used_at is not None for t in user.tokens] == [True, False]
    assert users.user_for_token(session, expired) is None
    assert users.user_for_token(session, "made-up") is None
    assert users.revoke_api_token(session, token)
    assert users.user_for_token(session, token) is None


def test_failed_logins_are_counted(session: Session) -> None:
    users.add_user(session, "boss", PASSWORD, "owner")
    since = utcnow() - timedelta(minutes=1)
    for _ in range(3):
        users.authenticate(session, "boss", "guess-guess", remote_addr="10.0.0.9")
    users.authenticate(session, "boss", PASSWORD, remote_addr="10.0.0.1")
    session.commit()
    assert users.failed_logins_since(session, since, username="boss") == 3
    assert users.failed_logins_since(session, since, remote_addr="10.0.0.1") == 0
    assert users.failed_logins_since(session, utcnow() + timedelta(minutes=1), username="boss") == 0


def test_web_sessions_end_on_sign_out_idleness_and_for_all_but_one(session: Session) -> None:
    boss = users.add_user(session, "boss", PASSWORD, "owner")
    idle = timedelta(hours=12)
    phone, laptop, tablet = (users.start_web_session(session, boss, "10.0.0.1") for _ in "123")
    assert users.web_session_user(session, phone, idle) is boss
    assert users.web_session_user(session, "a-key-nobody-was-given", idle) is None

    users.end_web_session(session, phone)
    assert users.web_session_user(session, phone, idle) is None
    assert users.end_web_sessions(session, "boss", keep=laptop) == 1  # the tablet
    assert users.web_session_user(session, laptop, idle) is boss
    assert users.web_session_user(session, tablet, idle) is None

    # a session unused for longer than `idle` ends, and stays ended when seen again
    row = next(r for r in boss.web_sessions if r.key_hash == users.key_digest(laptop))
    assert row.ended_at is None
    row.last_seen_at = utcnow() - idle - timedelta(seconds=1)
    session.flush()
    assert users.web_session_user(session, laptop, idle) is None
    assert row.ended_at is not None
    row.last_seen_at = utcnow()
    session.flush()
    assert users.web_session_user(session, laptop, idle) is None

    # a disabled user's open session gives no user
    fresh = users.start_web_session(session, boss)
    users.set_active(session, "boss", False)
    assert users.web_session_user(session, fresh, idle) is None


def test_web_sessions_keep_only_a_digest_and_old_rows_go_at_the_next_sign_in(
    session: Session,
) -> None:
    boss = users.add_user(session, "boss", PASSWORD, "owner")
    key = users.start_web_session(session, boss)
    assert all(key not in (row.key_hash, row.remote_addr) for row in boss.web_sessions)
    boss.web_sessions[0].last_seen_at = utcnow() - users.KEPT_FOR - timedelta(days=1)
    session.flush()
    users.start_web_session(session, boss)
    session.expire_all()
    assert len(boss.web_sessions) == 1


def test_forty_concurrent_sign_ins_on_a_sqlite_file_all_succeed_finding_2_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    # a hash that takes a while, as in production: the sign-ins' transactions overlap
    previous = passwords.use_hasher(PasswordHasher(time_cost=8, memory_cost=4096, parallelism=1))
    try:
        concurrent_sign_ins(f"sqlite:///{tmp_path / 'busy.sqlite'}")
    finally:
        passwords.use_hasher(previous)


def concurrent_sign_ins(url: str) -> None:
    migrate.upgrade(url)
    accounts = StoreAccounts(url)
    names = [f"clerk{i}" for i in range(40)]
    for name in names:
        accounts.add_user(name, PASSWORD, "owner", [])
    barrier = threading.Barrier(len(names))
    results: dict[str, object] = {}

    def sign_in(name: str) -> None:
        barrier.wait()
        try:
            user = accounts.authenticate(name, PASSWORD, "10.0.0.1")
            results[name] = accounts.start_session(user.user_id, "10.0.0.1") if user else None
        except Exception as exc:  # the test reports whatever went wrong
            results[name] = exc

    threads = [threading.Thread(target=sign_in, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = {n: r for n, r in results.items() if not isinstance(r, str)}
    assert failed == {} and len(results) == 40
    accounts.engine.dispose()


def test_a_sign_in_waits_for_another_writer_instead_of_failing_finding_2_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'held.sqlite'}"
    migrate.upgrade(url)
    accounts = StoreAccounts(url)
    accounts.add_user("clerk", PASSWORD, "owner", [])
    holding, held = threading.Event(), 5.5  # longer than the 5 s sqlite3 waits by default

    def long_writer() -> None:
        with accounts.engine.begin() as connection:
            connection.execute(text("UPDATE users SET last_login_at = NULL"))
            holding.set()
            time.sleep(held)

    writer = threading.Thread(target=long_writer)
    writer.start()
    holding.wait(5)
    try:
        # a reader is not blocked by the writer (WAL) ...
        assert [p.username for p in accounts.users()] == ["clerk"]
        # ... and a writer waits its turn rather than answering "database is locked"
        assert accounts.authenticate("clerk", PASSWORD, "10.0.0.1") is not None
    finally:
        writer.join()
        accounts.engine.dispose()
