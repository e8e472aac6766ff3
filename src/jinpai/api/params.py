"""Query parameters shared by the routes, validated up front (a bad value is a 422, never a 500)
and the translation of the services' input errors into 400s."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import HTTPException, Path, Query

from jinpai.management.versions import MONTH_PATTERN
from jinpai.services.daily_sheet import SheetError, default_month
from jinpai.services.errors import InputError
from jinpai.services.warehouse_reads import Warehouse, month_period

ShopId = Annotated[str, Path(min_length=1, max_length=64, description="the shop's id")]
AgentId = Annotated[str, Path(min_length=1, max_length=128, description="the agent's id")]
Month = Annotated[
    str | None,
    Query(pattern=MONTH_PATTERN, description="YYYY-MM (default: the latest month)"),
]
Start = Annotated[date | None, Query(alias="from", description="first day (with `to`)")]
End = Annotated[date | None, Query(alias="to", description="last day, included")]
Profile = Annotated[
    str | None, Query(pattern=r"^[a-z_]{1,32}$", description="rule profile: taobao, pdd, jd, raw")
]
AsOf = Annotated[datetime | None, Query(description="ISO time; nothing after it exists")]

MAX_PERIOD_DAYS = 400
FIRST_YEAR, LAST_YEAR = 2000, 2100  # e-commerce chat data; also keeps date arithmetic in range


def check_day(day: date | None, name: str = "date") -> None:
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise HTTPException(400, f"{name} must fall between {FIRST_YEAR} and {LAST_YEAR}")


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
        raise HTTPException(400, "give month or from/to, not both")
    if (start is None) != (end is None):
        raise HTTPException(400, "give both from and to")
    check_day(start, "from")
    check_day(end, "to")
    if as_of is not None:
        check_day(as_of.date(), "as_of")
    if month is not None:
        check_day(date(int(month[:4]), 1, 1), "month")
    if start is not None and end is not None:
        if end < start:
            raise HTTPException(400, "the period ends before it starts")
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise HTTPException(400, f"a period is at most {MAX_PERIOD_DAYS} days")
        first, last = start, end
    else:
        first, last = month_period(month or default_month(warehouse, shop))
    return PeriodQuery(first, last, profile, as_of)


@contextlib.contextmanager
def input_errors() -> Iterator[None]:
    """The services' one-line input errors as 400s (unknown profile, shop without data, ...)."""
    try:
        yield
    except (InputError, SheetError) as exc:
        raise HTTPException(400, str(exc)) from None
