"""Store fixtures: every test runs on a SQLite file and on PostgreSQL.

``db_url`` is an empty database (for migration tests). ``engine``/``session`` start from a
database migrated once per test session and emptied before each test, which keeps the suite fast
without letting tests see each other's rows.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from jinpai.store import migrate, passwords
from jinpai.store.db import make_engine, session_factory
from jinpai.store.models import Base
from tests.store.postgres import fresh_postgres_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    # Production argon2 parameters cost ~0.6 s a hash on a small machine; the tests check the
    # mechanics (argon2id, salted, verifiable), not the cost.
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.use_hasher(previous)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jinpai.sqlite'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(scope="session")
def _sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "head.sqlite"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_at_head() -> Iterator[str]:
    with fresh_postgres_database() as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database at head with no rows, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "jinpai.sqlite"
        shutil.copyfile(request.getfixturevalue("_sqlite_at_head"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("_postgres_at_head")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            quote = connection.dialect.identifier_preparer.quote
            # Table names come from the models, never from input.
            names = ", ".join(quote(table.name) for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session
