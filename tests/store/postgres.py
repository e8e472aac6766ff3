"""A fresh PostgreSQL database per test, on the server named by JINPAI_TEST_POSTGRES_URL.

``scripts/start-test-postgres.sh`` starts a throwaway server and prints that URL; ``.ci/run`` does
it on CI. Without the variable the PostgreSQL cases fail on CI (the ``CI`` variable is set) and
are skipped elsewhere, so a developer without PostgreSQL still runs the SQLite half.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from jinpai.store.db import normalise_url

ENV = "JINPAI_TEST_POSTGRES_URL"


def postgres_server_url() -> URL:
    """The configured server URL, or fail/skip the calling test when there is none."""
    raw = os.environ.get(ENV)
    if not raw:
        message = f"{ENV} is not set: start a server with `export {ENV}=$(scripts/start-test-postgres.sh)`"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required on CI. {message}")
        pytest.skip(message)
    return normalise_url(raw)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database for one test and drop it afterwards (needs CREATEDB)."""
    server = postgres_server_url()
    name = f"jinpai_t_{uuid.uuid4().hex[:16]}"  # generated, never user input
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {quoted}"))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                # FORCE: a test that failed mid-way may have left a connection open.
                connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        admin.dispose()
