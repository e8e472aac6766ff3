"""Query parameters shared by the routes, validated up front (a bad value is a 422, never a 500);
the period they name is read by :func:`jinpai.services.periods.period_query`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query

from jinpai.management.versions import MONTH_PATTERN

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
