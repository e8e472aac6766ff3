"""Column types and month helpers shared by the models, the migrations and the repositories."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact); SQLite stores JSON as text.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# Money and rates come back as float on both backends: management code is plain-float arithmetic,
# and SQLite has no decimal type (SQLAlchemy would warn on every Decimal read there).
Money = Numeric(14, 4, asdecimal=False)
Rate = Numeric(10, 6, asdecimal=False)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend.

    SQLite keeps no offset, so values are converted to UTC on the way in and tagged UTC on the
    way out; a naive value is refused rather than guessed (shop-local vs UTC is a real ambiguity).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# A month as callers give it: a date/datetime in it, "YYYY-MM" or "YYYY-MM-DD".
Month = date | datetime | str

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$")


def month_start(value: date | datetime | str) -> date:
    """The first day of the month of ``value`` (a date, a datetime, ``YYYY-MM`` or ``YYYY-MM-DD``).

    Versions (terms, plans, rules, pay settings) apply from the first day of the month they name,
    so every ``valid_from`` and every lookup month goes through here.
    """
    if isinstance(value, datetime):
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    if isinstance(value, str):
        match = _MONTH.match(value.strip())
        if match:
            return date(int(match.group(1)), int(match.group(2)), 1)
    raise ValueError(f"not a month: {value!r} (expected YYYY-MM)")


def month_end(value: date | datetime | str) -> date:
    """The last day of the month of ``value``."""
    first = month_start(value)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def is_missing(value: Any) -> bool:
    """None, an empty string, or a NaN/NaT from pandas/Arrow (the only values unequal to self)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if type(value).__name__ == "NAType":  # pandas.NA, whose comparisons return NA, not a bool
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False
