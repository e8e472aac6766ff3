"""Initial schema: shops, roster with versioned terms, plans, rules, pay, users and tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Types are spelled out here rather than imported from the models, so this revision keeps creating
the same tables whatever the models become later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 4, asdecimal=False)
RATE = sa.Numeric(10, 6, asdecimal=False)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _shop_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["shop_id"], ["shops.shop_id"], name=op.f(f"fk_{table}_shop_id_shops"), ondelete="CASCADE"
    )


def _versioned_json(table: str, column: str) -> None:
    """grading_rules and pay_settings: one JSON document per shop and valid_from month."""
    op.create_table(
        table,
        _id(),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column(column, JSON, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _shop_fk(table),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("shop_id", "valid_from", name=op.f(f"uq_{table}_shop_id_valid_from")),
    )


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), server_default="Asia/Shanghai", nullable=False),
        sa.Column("profile", sa.String(32), server_default="taobao", nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shops")),
    )
    op.create_table(
        "agents",
        _id(),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("group", sa.String(100), nullable=True),
        sa.Column("hired_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "left_on IS NULL OR hired_on IS NULL OR left_on >= hired_on",
            name=op.f("ck_agents_left_after_hired"),
        ),
        _shop_fk("agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("shop_id", "agent_id", name=op.f("uq_agents_shop_id_agent_id")),
    )
    op.create_table(
        "agent_terms",
        _id(),
        sa.Column("agent_pk", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("base_salary", MONEY, nullable=True),
        sa.Column("commission_rate", RATE, nullable=True),
        sa.Column("reminder_commission_rate", RATE, nullable=True),
        sa.Column("sales_target", MONEY, nullable=True),
        sa.Column("allowances", JSON, nullable=False),
        sa.Column("mentor_of", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "base_salary IS NULL OR base_salary >= 0",
            name=op.f("ck_agent_terms_base_salary_positive"),
        ),
        sa.CheckConstraint(
            "commission_rate IS NULL OR commission_rate >= 0",
            name=op.f("ck_agent_terms_commission_rate_positive"),
        ),
        sa.CheckConstraint(
            "reminder_commission_rate IS NULL OR reminder_commission_rate >= 0",
            name=op.f("ck_agent_terms_reminder_rate_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_pk"],
            ["agents.id"],
            name=op.f("fk_agent_terms_agent_pk_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_terms")),
        sa.UniqueConstraint(
            "agent_pk", "valid_from", name=op.f("uq_agent_terms_agent_pk_valid_from")
        ),
    )
    op.create_table(
        "kpi_plans",
        _id(),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("plan", JSON, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _shop_fk("kpi_plans"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_plans")),
        sa.UniqueConstraint(
            "shop_id", "role", "valid_from", name=op.f("uq_kpi_plans_shop_id_role_valid_from")
        ),
    )
    _versioned_json("grading_rules", "rules")
    _versioned_json("pay_settings", "settings")
    op.create_table(
        "pay_adjustments",
        _id(),
        sa.Column("agent_pk", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "length(trim(reason)) > 0", name=op.f("ck_pay_adjustments_reason_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["agent_pk"], ["agents.id"], name=op.f("fk_pay_adjustments_agent_pk_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_adjustments")),
    )
    op.create_index(
        op.f("ix_pay_adjustments_agent_pk_month"), "pay_adjustments", ["agent_pk", "month"]
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("agent_pk", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "role <> 'agent' OR agent_pk IS NOT NULL",
            name=op.f("ck_users_agent_has_roster_entry"),
        ),
        sa.CheckConstraint("role IN ('owner', 'supervisor', 'agent')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(["agent_pk"], ["agents.id"], name=op.f("fk_users_agent_pk_agents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "user_shops",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        _shop_fk("user_shops"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_shops_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "shop_id", name=op.f("pk_user_shops")),
    )
    op.create_table(
        "api_tokens",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), server_default="", nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "login_attempts",
        _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        op.f("ix_login_attempts_username_attempted_at"),
        "login_attempts",
        ["username", "attempted_at"],
    )


def downgrade() -> None:
    for table in (
        "login_attempts",
        "api_tokens",
        "user_shops",
        "users",
        "pay_adjustments",
        "pay_settings",
        "grading_rules",
        "kpi_plans",
        "agent_terms",
        "agents",
        "shops",
    ):
        op.drop_table(table)
