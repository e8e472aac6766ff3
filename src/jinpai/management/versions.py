"""Calendar months and versioned configuration (management.md: a version applies from the first day
of the month it names, so a month is always recomputed with what was in force then)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
# what a surface accepts as a month: 2000-01 (the shipped versions) to 2100-12
MONTH_PATTERN = r"^(20\d{2}|2100)-(0[1-9]|1[0-2])$"
LAST_MONTH = "2100-12"  # a month after every version a shop saves
# the month of the versions that ship with the product: before any shop's data
SHIPPED = "2000-01"


def parse_month(text: str) -> tuple[int, int]:
    found = MONTH_RE.match(str(text).strip())
    # years beyond the surfaces' range, so that a month before or after a valid one still parses
    if not found or not 1 <= int(found.group(2)) <= 12 or not 1900 <= int(found.group(1)) <= 2200:
        raise ValueError(f"bad month {text!r}: expected YYYY-MM")
    return int(found.group(1)), int(found.group(2))


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month."""
    year, number = parse_month(month)
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def days_in_month(month: str) -> int:
    first, last = month_bounds(month)
    return (last - first).days + 1


def shift_month(month: str, by: int) -> str:
    year, number = parse_month(month)
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def normalise_month(value: object) -> str:
    """YYYY-MM from text or a date (YAML reads 2024-03-01 as a date)."""
    if isinstance(value, date):
        return month_of(value)
    year, number = parse_month(str(value))
    return f"{year:04d}-{number:02d}"


class Versioned(BaseModel):
    """A configuration object the store persists as versioned JSON: in force from ``valid_from``
    (YYYY-MM) until the next version."""

    model_config = ConfigDict(extra="forbid")

    valid_from: str = SHIPPED

    @field_validator("valid_from", mode="before")
    @classmethod
    def _month(cls, value: object) -> str:
        return normalise_month(value)


V = TypeVar("V", bound=Versioned)


def in_force(versions: Iterable[V], month: str) -> V | None:
    """The version in force in ``month``: the latest with valid_from <= month (a later entry wins
    a tie, so an edited version replaces the one it repeats)."""
    month = normalise_month(month)
    chosen: V | None = None
    for version in versions:
        if version.valid_from <= month and (
            chosen is None or version.valid_from >= chosen.valid_from
        ):
            chosen = version
    return chosen
