"""What every rendering of a report shares: column order, headers, JSON safety.

Figures stay exact in JSON and CSV; tables and sheets round for display only, as
:mod:`jinpai.display` says.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinpai.metrics.base import Metric, Unit
from jinpai.metrics.catalogue import CATALOGUE, FAMILIES

# report sections that are one row per grain key, with their key columns
GRAINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "shops": ("店铺汇总", ("shop_id",)),
    "agents": ("客服", ("shop_id", "agent_id")),
    "days": ("每日", ("shop_id", "date")),
    "agent_days": ("客服每日", ("shop_id", "agent_id", "date")),
}
KEY_HEADERS = {"shop_id": "店铺", "agent_id": "客服", "date": "日期"}
KEY_COLUMNS = frozenset(KEY_HEADERS)


def jsonable(value: Any) -> Any:
    """A JSON-ready copy: NaN/inf become null, decimals floats, dates ISO text, keys text."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return "|".join(str(k) for k in key)
    return key if isinstance(key, str) else str(jsonable(key))


def dumps(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False, indent=2)


def metric_ids(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The metric columns present in ``rows``, in catalogue (spec) order."""
    present: set[str] = set()
    for row in rows:
        present.update(k for k in row if k not in KEY_COLUMNS)
    ordered = [m for m in CATALOGUE if m in present]
    return ordered + sorted(present - set(CATALOGUE))


def by_family(ids: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Metric ids grouped under their family's title, in spec order; empty families left out."""
    ids = list(ids)
    groups = []
    for title, metrics in FAMILIES.values():
        members = [m.id for m in metrics if m.id in ids]
        if members:
            groups.append((title, members))
    known = {m for _, ms in groups for m in ms}
    rest = [m for m in ids if m not in known]
    if rest:
        groups.append(("其他 Other", rest))
    return groups


def metric(metric_id: str) -> Metric | None:
    return CATALOGUE.get(metric_id)


def header(metric_id: str) -> str:
    m = metric(metric_id)
    return m.zh if m is not None else metric_id


def unit_of(metric_id: str) -> Unit | None:
    m = metric(metric_id)
    return m.unit if m is not None else None


def grain_rows(report: Mapping[str, Any], grain: str) -> list[dict[str, Any]]:
    """The rows of one grain; a one-shop report without ``shops`` still has its shop row."""
    if grain == "shops" and "shops" not in report and "shop" in report:
        return [{"shop_id": "default", **report["shop"]}]
    return list(report.get(grain) or [])
