"""Figures: the catalogue, a shop's report, the agents' ranking, one agent, one figure, the
rows behind a figure, and the daily sheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from jinpai.api import schemas
from jinpai.api.deps import ApiUser, State
from jinpai.api.params import (
    AgentId,
    AsOf,
    End,
    Month,
    Profile,
    ShopId,
    Start,
)
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.services.access import check_agent, check_manager, check_shop
from jinpai.services.daily_sheet import agent_month, agent_rows, daily_sheet, ranking
from jinpai.services.periods import check_day, period_query

router = APIRouter(prefix="/api/v1", tags=["figures"], responses=schemas.ERRORS)
_DEFAULT_SORT = schemas.SortableMetric("sales")  # type: ignore[call-arg]


@router.get("/metrics", response_model=list[schemas.MetricInfo])
def metrics(user: ApiUser) -> list[dict[str, Any]]:
    """The metric catalogue (ids, Chinese names, units, directions)."""
    return [
        {
            "id": m.id,
            "zh": m.zh,
            "unit": str(m.unit),
            "direction": str(m.direction),
            "family": m.family,
            "shop_only": m.shop_only,
            "description": m.description,
        }
        for m in CATALOGUE.values()
    ]


@router.get("/shops", response_model=list[str])
def shops(user: ApiUser) -> list[str]:
    """The shops the caller may see."""
    return list(user.shops)


@router.get("/shops/{shop}/report", response_model=schemas.ShopReport)
def shop_report(
    shop: ShopId,
    user: ApiUser,
    state: State,
    month: Month = None,
    start: Start = None,
    end: End = None,
    profile: Profile = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """The shop's figures and its figures per day (owners and supervisors)."""
    check_manager(user, shop)
    q = period_query(state.warehouse, shop, month, start, end, profile, as_of)
    report = state.warehouse.report(shop, q.start, q.end, **q.options)
    return {
        "shop_id": shop,
        "period": report["period"],
        "as_of": report["as_of"],
        "profile": report["profile"],
        "shop": report.get("shop") or {},
        "days": report["days"],
    }


@router.get("/shops/{shop}/agents", response_model=schemas.Page[schemas.AgentRow])
def agents(
    shop: ShopId,
    user: ApiUser,
    state: State,
    month: Month = None,
    start: Start = None,
    end: End = None,
    profile: Profile = None,
    as_of: AsOf = None,
    sort: Annotated[schemas.SortableMetric, Query()] = _DEFAULT_SORT,  # type: ignore[valid-type]
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The agents ranked by a metric; an agent sees only their own row."""
    check_shop(user, shop)
    q = period_query(state.warehouse, shop, month, start, end, profile, as_of)
    report = state.warehouse.report(shop, q.start, q.end, **q.options)
    rows = ranking(agent_rows(report, state.warehouse.roster(shop)), sort.value, order == "desc")
    if not user.manages:
        rows = [r for r in rows if r["agent_id"] == user.agent_id]
    first = (page - 1) * per_page
    return {
        "items": rows[first : first + per_page],
        "total": len(rows),
        "page": page,
        "per_page": per_page,
    }


# ``:path``: an agent id may hold a ``/`` (``店:小美/夜班``), sent as %2F, which the server
# decodes before routing; OpenAPI still shows ``{agent_id}``
@router.get("/shops/{shop}/agents/{agent_id:path}", response_model=schemas.AgentReport)
def agent(
    shop: ShopId,
    agent_id: AgentId,
    user: ApiUser,
    state: State,
    month: Month = None,
    start: Start = None,
    end: End = None,
    profile: Profile = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """One agent's figures over the period and their daily trend lines."""
    check_agent(user, shop, agent_id)
    q = period_query(state.warehouse, shop, month, start, end, profile, as_of)
    found = agent_month(state.warehouse, shop, agent_id, q.start, q.end, **q.options)
    if found is None:
        raise HTTPException(404, f"no agent {agent_id!r} in shop {shop!r} for this period")
    return found


@router.get("/shops/{shop}/figures/{metric}", response_model=schemas.Figure)
def figure(
    shop: ShopId,
    metric: schemas.MetricId,  # type: ignore[valid-type]
    user: ApiUser,
    state: State,
    agent: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    month: Month = None,
    start: Start = None,
    end: End = None,
    profile: Profile = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """One figure of the shop (owners, supervisors) or of an agent."""
    metric_id = metric.value
    if agent is None:
        check_manager(user, shop)
    else:
        check_agent(user, shop, agent)
        if CATALOGUE[metric_id].shop_only:
            raise HTTPException(400, f"metric {metric_id!r} is shop only: leave out agent")
    q = period_query(state.warehouse, shop, month, start, end, profile, as_of)
    report = state.warehouse.report(shop, q.start, q.end, **q.options)
    if agent is None:
        value = (report.get("shop") or {}).get(metric_id)
    else:
        row = next((r for r in report["agents"] if r["agent_id"] == agent), None)
        if row is None:
            raise HTTPException(404, f"no agent {agent!r} in shop {shop!r} for this period")
        value = row.get(metric_id)
    m = CATALOGUE[metric_id]
    return {
        "shop_id": shop,
        "agent_id": agent,
        "metric": metric_id,
        "zh": m.zh,
        "unit": str(m.unit),
        "period": report["period"],
        "as_of": report["as_of"],
        "value": value,
    }


@router.get("/shops/{shop}/explain/{metric}", response_model=schemas.Explanation)
def explain(
    shop: ShopId,
    metric: schemas.MetricId,  # type: ignore[valid-type]
    user: ApiUser,
    state: State,
    agent: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    month: Month = None,
    start: Start = None,
    end: End = None,
    profile: Profile = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The rows behind a figure (buyers masked); an agent may explain their own figures only."""
    if agent is None:
        check_manager(user, shop)
    else:
        check_agent(user, shop, agent)
    q = period_query(state.warehouse, shop, month, start, end, profile, as_of)
    return state.warehouse.explain(
        shop, metric.value, q.start, q.end, agent_id=agent, limit=limit, **q.options
    )


@router.get("/shops/{shop}/daily", response_model=schemas.DailySheet)
def daily(
    shop: ShopId,
    user: ApiUser,
    state: State,
    day: Annotated[date | None, Query(alias="date", description="the sheet's today")] = None,
) -> dict[str, Any]:
    """The daily sheet (客服部每日数据实时表): today's and yesterday's figures per agent, 30-day
    trends and the weekday x hour load. An agent gets their own row only."""
    check_shop(user, shop)
    check_day(day)
    sheet = daily_sheet(state.warehouse, shop, day).to_dict()
    if not user.manages:
        # the shop's totals and trends are the team's figures: an agent sees their own row
        sheet["agents"] = [a for a in sheet["agents"] if a["agent_id"] == user.agent_id]
        sheet["shop_today"], sheet["shop_yesterday"] = {}, {}
        sheet["trends"], sheet["heatmap"] = {}, []
    return sheet
