"""SQLAlchemy models of the application database (configuration and people, never event data).

Everything a month's pay depends on is versioned by ``valid_from`` (the first day of a month): a
month is computed with the version whose ``valid_from`` is the latest one not after it, so editing
next month's plan never rewrites last month's pay. Enumerations are strings with CHECK constraints
rather than native enums, which PostgreSQL cannot alter inside a migration without pain.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from jinpai.settings import DEFAULT_PROFILE, DEFAULT_TIMEZONE
from jinpai.store.types import JSONType, Money, Rate, UTCDateTime, utcnow

# Stable constraint names: Alembic can only drop or alter a constraint it can name, and SQLite's
# batch mode rebuilds tables by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

USER_ROLES = ("owner", "supervisor", "agent")
PAY_MODES = ("kpi", "bonus_pool")
IMPORT_STATUSES = ("running", "ok", "failed")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _in(column: str, values: tuple[str, ...]) -> str:
    # Literal constants from this module only, never user input.
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Shop(Base):
    __tablename__ = "shops"

    shop_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), server_default=DEFAULT_TIMEZONE)
    profile: Mapped[str] = mapped_column(String(32), server_default=DEFAULT_PROFILE)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agents: Mapped[list[Agent]] = relationship(back_populates="shop")


class Agent(Base):
    """A roster entry: who the agent is. What they are paid lives in ``AgentTerms`` versions."""

    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("shop_id", "agent_id"),
        CheckConstraint(
            "left_on IS NULL OR hired_on IS NULL OR left_on >= hired_on", name="left_after_hired"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    agent_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(200))
    group: Mapped[str | None] = mapped_column(String(100))
    hired_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    shop: Mapped[Shop] = relationship(back_populates="agents")
    terms: Mapped[list[AgentTerms]] = relationship(
        back_populates="agent", order_by="AgentTerms.valid_from", cascade="all, delete-orphan"
    )


class AgentTerms(Base):
    """One version of an agent's role and pay terms, in force from ``valid_from`` on."""

    __tablename__ = "agent_terms"
    __table_args__ = (
        UniqueConstraint("agent_pk", "valid_from"),
        CheckConstraint("base_salary IS NULL OR base_salary >= 0", name="base_salary_positive"),
        CheckConstraint(
            "commission_rate IS NULL OR commission_rate >= 0", name="commission_rate_positive"
        ),
        CheckConstraint(
            "reminder_commission_rate IS NULL OR reminder_commission_rate >= 0",
            name="reminder_rate_positive",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_pk: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    role: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str | None] = mapped_column(String(16))
    base_salary: Mapped[float | None] = mapped_column(Money)
    commission_rate: Mapped[float | None] = mapped_column(Rate)
    # None means the pay rule's default (half the commission rate), not zero.
    reminder_commission_rate: Mapped[float | None] = mapped_column(Rate)
    sales_target: Mapped[float | None] = mapped_column(Money)
    allowances: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # agent_ids of the new agents this one coaches (the mentoring allowance, 辅导补贴).
    mentor_of: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[Agent] = relationship(back_populates="terms")


class KpiPlan(Base):
    """A role's scorecard plan, stored as the validated JSON of the plan model."""

    __tablename__ = "kpi_plans"
    __table_args__ = (UniqueConstraint("shop_id", "role", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    plan: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GradingRules(Base):
    __tablename__ = "grading_rules"
    __table_args__ = (UniqueConstraint("shop_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaySettings(Base):
    """mode (kpi | bonus_pool), award, settle_days, deductions ... as JSON."""

    __tablename__ = "pay_settings"
    __table_args__ = (UniqueConstraint("shop_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.shop_id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayAdjustment(Base):
    """A manual change to one agent's pay for one month; the spec allows none without a reason."""

    __tablename__ = "pay_adjustments"
    __table_args__ = (
        CheckConstraint("length(trim(reason)) > 0", name="reason_not_blank"),
        Index(None, "agent_pk", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No cascade: deleting an agent must not silently erase pay history.
    agent_pk: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[Agent] = relationship()


user_shops = Table(
    "user_shops",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("shop_id", ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role"),
        CheckConstraint("role <> 'agent' OR agent_pk IS NOT NULL", name="agent_has_roster_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id hash (PHC string); the clear password is never stored.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    agent_pk: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shops: Mapped[list[Shop]] = relationship(secondary=user_shops, order_by=Shop.shop_id)
    agent: Mapped[Agent | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )
    web_sessions: Mapped[list[WebSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="WebSession.id"
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), server_default="")
    # SHA-256 of a random 256-bit token: enough for a secret nobody chose, and it allows an index
    # lookup (a salted password hash would not).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class WebSession(Base):
    """A browser's signed-in session. The cookie carries a random key; only its digest is kept,
    so signing out, a new password or a disabled sign-in end the session here, whatever copy of
    the cookie is left."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="web_sessions")


class LoginAttempt(Base):
    """Every sign-in attempt, for throttling; usernames are kept as typed (they may not exist)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index(None, "username", "attempted_at"),
        # failures are counted per address too (throttling)
        Index(None, "remote_addr", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(Base):
    """History of warehouse imports (who loaded which export, and what came of it)."""

    __tablename__ = "import_runs"
    __table_args__ = (CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not a foreign key: an import may bring a shop the store has not been told about yet.
    shop_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
