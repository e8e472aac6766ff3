"""What the app shows, computed once for the API and the pages alike: the daily sheet, the
ranking, an agent's month. Everything is read from (cached) reports of :mod:`jinpai.services.warehouse_reads`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from jinpai.metrics.base import Unit
from jinpai.metrics.catalogue import CATALOGUE, tagged
from jinpai.services.errors import InputError
from jinpai.services.warehouse_reads import RosterAgent, Warehouse, trailing_days

# The columns of the daily sheet (客服部每日数据实时表): the metrics tagged daily_sheet.
SHEET_METRICS: tuple[str, ...] = tagged("daily_sheet")
# 30-day lines: the dashboard's (the shop's) and the agent page's (those per agent too)
SHOP_TREND_METRICS: tuple[str, ...] = tagged("trend")
TREND_METRICS: tuple[str, ...] = tuple(m for m in SHOP_TREND_METRICS if not CATALOGUE[m].shop_only)
TREND_DAYS = 30
HEATMAP_METRIC = "hourly_load"  # the heatmap reads this figure's object
_DASHBOARD_METRICS = tuple(dict.fromkeys((*SHEET_METRICS, *SHOP_TREND_METRICS, HEATMAP_METRIC)))

SORTABLE = tuple(m for m, d in CATALOGUE.items() if d.unit is not Unit.OBJECT)


class SheetError(InputError):
    """A request the sheets cannot answer (an unsortable metric, say): a 400 for the user."""


def today_of(warehouse: Warehouse, shop: str) -> date:
    """The sheet's 'today': the shop's latest day with data (imports lag the clock)."""
    return warehouse.latest_day(shop) or date.today()


def default_month(warehouse: Warehouse, shop: str) -> str:
    return today_of(warehouse, shop).strftime("%Y-%m")


def _names(roster: list[RosterAgent]) -> dict[str, RosterAgent]:
    return {a.agent_id: a for a in roster}


def agent_rows(report: dict[str, Any], roster: list[RosterAgent]) -> list[dict[str, Any]]:
    names = _names(roster)
    rows = []
    for row in report["agents"]:
        figures = {k: v for k, v in row.items() if k not in ("shop_id", "agent_id")}
        known = names.get(row["agent_id"])
        rows.append(
            {
                "agent_id": row["agent_id"],
                "name": known.name if known else None,
                "role": known.role if known else None,
                "figures": figures,
            }
        )
    return rows


def ranking(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    """Agents ordered by one metric; agents without a value (0/0) always come last."""
    if sort not in SORTABLE:
        raise SheetError(f"cannot sort by {sort!r}: it is not a number")
    valued = [r for r in rows if isinstance(r["figures"].get(sort), int | float)]
    empty = [r for r in rows if r not in valued]
    valued.sort(key=lambda r: r["figures"][sort], reverse=descending)
    return valued + sorted(empty, key=lambda r: r["agent_id"])


def heatmap(hourly_load: dict[str, Any] | None) -> list[list[int]]:
    """``hourly_load`` ({"W-HH": {"inquiries", "rounds"}}, W 1 = Monday) as ECharts cells
    [hour, weekday index 0-6, inquiries]."""
    cells = []
    for key, value in (hourly_load or {}).items():
        weekday, _, hour = key.partition("-")
        try:
            cells.append([int(hour), int(weekday) - 1, int((value or {}).get("inquiries") or 0)])
        except ValueError:
            continue
    return sorted(cells)


@dataclass
class DailySheet:
    shop_id: str
    today: date
    yesterday: date
    as_of: str
    shop_today: dict[str, Any]
    shop_yesterday: dict[str, Any]
    agents: list[dict[str, Any]]
    trend_dates: list[str]
    trends: dict[str, list[Any]]
    heatmap: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "shop_id": self.shop_id,
            "today": self.today.isoformat(),
            "yesterday": self.yesterday.isoformat(),
            "as_of": self.as_of,
            "metrics": list(SHEET_METRICS),
            "shop_today": self.shop_today,
            "shop_yesterday": self.shop_yesterday,
            "agents": self.agents,
            "trend_dates": self.trend_dates,
            "trends": self.trends,
            "heatmap": self.heatmap,
        }


def daily_sheet(warehouse: Warehouse, shop: str, day: date | None = None) -> DailySheet:
    """Today's and yesterday's figures per agent, 30-day shop trends and the hourly heatmap:
    one cached report over the trailing 30 days by agent and day."""
    today = day or today_of(warehouse, shop)
    start, end = trailing_days(today, TREND_DAYS)
    report = warehouse.report(shop, start, end, metrics=_DASHBOARD_METRICS, by_agent_day=True)
    yesterday = today - timedelta(days=1)
    by_day = {(r["agent_id"], r["date"]): r for r in report.get("agent_days", [])}
    shop_days = {r["date"]: r for r in report["days"]}
    pick = lambda row: {m: (row or {}).get(m) for m in SHEET_METRICS}  # noqa: E731
    agents = []
    for row in agent_rows(report, warehouse.roster(shop)):
        agents.append(
            {
                "agent_id": row["agent_id"],
                "name": row["name"],
                "role": row["role"],
                "today": pick(by_day.get((row["agent_id"], today.isoformat()))),
                "yesterday": pick(by_day.get((row["agent_id"], yesterday.isoformat()))),
            }
        )
    dates = [d["date"] for d in report["days"]]
    return DailySheet(
        shop_id=shop,
        today=today,
        yesterday=yesterday,
        as_of=report["as_of"],
        shop_today=pick(shop_days.get(today.isoformat())),
        shop_yesterday=pick(shop_days.get(yesterday.isoformat())),
        agents=agents,
        trend_dates=dates,
        trends={m: [shop_days[d].get(m) for d in dates] for m in SHOP_TREND_METRICS},
        heatmap=heatmap(report.get("shop", {}).get(HEATMAP_METRIC)),
    )


def agent_month(
    warehouse: Warehouse, shop: str, agent_id: str, start: date, end: date, **options: Any
) -> dict[str, Any] | None:
    """One agent's figures over a period with their daily trend lines; None if unknown."""
    report = warehouse.report(shop, start, end, **options)
    row = next((r for r in report["agents"] if r["agent_id"] == agent_id), None)
    if row is None:
        return None
    trend = warehouse.report(shop, start, end, metrics=TREND_METRICS, by_agent_day=True, **options)
    # every day of the period, null where the agent had no activity, so lines share one axis
    own = {d["date"]: d for d in trend.get("agent_days", []) if d["agent_id"] == agent_id}
    dates = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    days = [{"date": d, **{m: own.get(d, {}).get(m) for m in TREND_METRICS}} for d in dates]
    known = _names(warehouse.roster(shop)).get(agent_id)
    return {
        "shop_id": shop,
        "agent_id": agent_id,
        "name": known.name if known else None,
        "role": known.role if known else None,
        "period": report["period"],
        "as_of": report["as_of"],
        "profile": report["profile"],
        "figures": {k: v for k, v in row.items() if k not in ("shop_id", "agent_id")},
        "days": days,
    }
