"""A report as one long CSV: a line per figure (metric, scope, shop_id, agent_id, date, value).

One long file rather than one file per grain: it streams to stdout, pivots in Excel or pandas
into any layout, and keeps every grain in one place. Values are exact (never rounded); an
undefined value is an empty cell; an object figure (hourly_load, ...) is compact JSON text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from jinpai.exports.common import grain_rows, jsonable, metric_ids

COLUMNS = ("metric", "scope", "shop_id", "agent_id", "date", "value")
SCOPES = {"shops": "shop", "agents": "agent", "days": "day", "agent_days": "agent_day"}


def report_csv(report: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for grain, scope in SCOPES.items():
        rows = grain_rows(report, grain)
        for metric in metric_ids(rows):
            for row in rows:
                if metric not in row:
                    continue
                writer.writerow(
                    (
                        metric,
                        scope,
                        row.get("shop_id", ""),
                        row.get("agent_id", ""),
                        row.get("date", ""),
                        cell(row[metric]),
                    )
                )
    return out.getvalue()


def cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back to the same float
    return str(value)
