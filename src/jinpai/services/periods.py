"""The period a request of the app asks for: a month (default: the shop's latest) or a range of
days, checked before any work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from jinpai.services.daily_sheet import default_month
from jinpai.services.errors import InputError
from jinpai.services.inputs import month_period
from jinpai.services.warehouse_reads import Warehouse

MAX_PERIOD_DAYS = 400
FIRST_YEAR, LAST_YEAR = 2000, 2100  # e-commerce chat data; also keeps date arithmetic in range


def check_day(day: date | None, name: str = "date") -> None:
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputError(f"{name} must fall between {FIRST_YEAR} and {LAST_YEAR}")


@dataclass(frozen=True)
class PeriodQuery:
    start: date
    end: date
    profile: str | None
    as_of: datetime | None

    @property
    def options(self) -> dict[str, str | datetime | None]:
        return {"profile": self.profile, "as_of": self.as_of}


def period_query(
    warehouse: Warehouse,
    shop: str,
    month: str | None,
    start: date | None,
    end: date | None,
    profile: str | None = None,
    as_of: datetime | None = None,
) -> PeriodQuery:
    if month is not None and (start is not None or end is not None):
        raise InputError("give month or from/to, not both")
    if (start is None) != (end is None):
        raise InputError("give both from and to")
    check_day(start, "from")
    check_day(end, "to")
    if as_of is not None:
        check_day(as_of.date(), "as_of")
    if month is not None:
        check_day(date(int(month[:4]), 1, 1), "month")
    if start is not None and end is not None:
        if end < start:
            raise InputError("the period ends before it starts")
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise InputError(f"a period is at most {MAX_PERIOD_DAYS} days")
        first, last = start, end
    else:
        first, last = month_period(month or default_month(warehouse, shop))
    return PeriodQuery(first, last, profile, as_of)
