"""Alembic environment: online migrations only, against the URL jinpai.store.migrate passes in."""

from __future__ import annotations

from alembic import context

from jinpai.store.db import make_engine, normalise_url
from jinpai.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.attributes.get("url") or normalise_url(config.get_main_option("sqlalchemy.url"))
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("jinpai migrations run online only: pass a database URL")
run_migrations_online()
