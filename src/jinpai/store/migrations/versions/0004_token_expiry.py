"""API tokens expire: the tokens issued without an expiry get one; sign-in failures are counted
per address as well as per username, so that count gets an index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the default lifetime of a token (WebSettings.token_days when this revision was written),
# counted from the upgrade: scripts in use keep working for that long, not forever
TOKEN_DAYS = 90


def upgrade() -> None:
    expires = datetime.now(UTC) + timedelta(days=TOKEN_DAYS)
    if op.get_bind().dialect.name == "sqlite":
        expires = expires.replace(tzinfo=None)  # SQLite keeps UTC without an offset
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=expires))
    op.create_index(
        op.f("ix_login_attempts_remote_addr_attempted_at"),
        "login_attempts",
        ["remote_addr", "attempted_at"],
    )


def downgrade() -> None:
    # the expiries stay: a token that once had one gets no unlimited life back
    op.drop_index(op.f("ix_login_attempts_remote_addr_attempted_at"), "login_attempts")
