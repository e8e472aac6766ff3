"""Migrations: an empty database to head, the previous revision with data to head, and models
that match what the migrations build."""

from __future__ import annotations

from datetime import date, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from jinpai.cli import app
from jinpai.store import migrate, roster, users
from jinpai.store.db import make_engine, session_scope
from jinpai.store.models import ApiToken, Base
from jinpai.store.types import utcnow


def test_shipped_revisions_form_one_line() -> None:
    assert migrate.revisions() == ["0001", "0002", "0003", "0004"]
    assert migrate.head() == "0004"


def test_empty_database_upgrades_to_head(db_url: str) -> None:
    assert migrate.current(db_url) is None
    assert migrate.upgrade(db_url) == migrate.head()
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        # Upgrading again is a no-op.
        assert migrate.upgrade(db_url) == migrate.head()
    finally:
        engine.dispose()


def test_models_match_migrations(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_previous_revision_with_data_upgrades_to_head(db_url: str) -> None:
    migrate.upgrade(db_url, "0001")
    engine = make_engine(db_url)
    try:
        # Rows written the way revision 0001's schema allows (no last_login_at column yet).
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO shops (shop_id, name, settings, created_at)"
                    " VALUES ('s1', '旗舰店', '{}', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text("INSERT INTO agents (shop_id, agent_id, name) VALUES ('s1', 'a1', '小王')")
            )
            connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, created_at)"
                    " VALUES ('boss', 'argon2-hash', 'owner', CURRENT_TIMESTAMP)"
                )
            )
        assert migrate.current(db_url) == "0001"

        assert migrate.upgrade(db_url) == migrate.head()

        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT username, role, active, last_login_at FROM users")
            ).one()
            assert (row.username, row.role, bool(row.active), row.last_login_at) == (
                "boss",
                "owner",
                True,
                None,
            )
        with session_scope(engine) as session:
            agent = roster.get_agent(session, "s1", "a1")
            assert agent is not None and agent.name == "小王"
            assert agent.shop.name == "旗舰店"
            boss = users.get_user(session, "boss")
            assert boss is not None
            # 0003's sessions table takes the user's sessions
            key = users.start_web_session(session, boss, "127.0.0.1")
            assert users.web_session_user(session, key, timedelta(hours=1)) is boss
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert migrate.downgrade(db_url, "base") is None
    assert migrate.upgrade(db_url) == migrate.head()


def test_cli_upgrade_and_current(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "current", "--url", db_url])
    assert result.exit_code == 0, result.output
    assert "empty" in result.output
    result = runner.invoke(app, ["db", "upgrade", "--url", db_url])
    assert result.exit_code == 0, result.output
    assert f"-> {migrate.head()}" in result.output
    result = runner.invoke(app, ["db", "current", "--url", db_url])
    assert result.exit_code == 0 and "(head)" in result.output
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            roster.upsert_agent(session, "s", "a", hired_on=date(2024, 1, 1))
    finally:
        engine.dispose()


def test_tokens_that_never_expired_get_an_expiry_finding_1_of_the_trust_issue(db_url: str) -> None:
    migrate.upgrade(db_url, "0003")
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, active, created_at)"
                    " VALUES ('boss', 'argon2-hash', 'owner', TRUE, CURRENT_TIMESTAMP)"
                )
            )
            for name, expires in (("forever", "NULL"), ("dated", "'2030-01-01 00:00:00'")):
                connection.execute(
                    text(
                        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at)"
                        f" SELECT id, '{name}', '{name}-digest', CURRENT_TIMESTAMP, {expires}"
                        " FROM users"
                    )
                )
        migrate.upgrade(db_url)
        with session_scope(engine) as session:
            tokens = {t.name: t.expires_at for t in session.scalars(select(ApiToken))}
        forever = tokens["forever"]
        assert forever is not None
        assert timedelta(days=89) < forever - utcnow() <= timedelta(days=90)
        assert tokens["dated"] is not None and tokens["dated"].year == 2030
        assert migrate.downgrade(db_url, "0003") == "0003"
        assert migrate.upgrade(db_url) == migrate.head()
    finally:
        engine.dispose()
