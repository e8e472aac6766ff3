"""A report as one long CSV: a line per figure (metric, scope, shop_id, agent_id, date, value).

One long file rather than one file per grain: it streams to stdout, pivots in Excel or pandas
into any layout, and keeps every grain in one place. Values are exact (never rounded); an
undefined value is an empty cell; an object figure (hourly_load, ...) is compact JSON text.
Text a spreadsheet would run as a formula starts with ``'`` (:func:`text_cell`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jinpai.exports.common import grain_rows, jsonable, metric_ids

COLUMNS = ("metric", "scope", "shop_id", "agent_id", "date", "value")
SCOPES = {"shops": "shop", "agents": "agent", "days": "day", "agent_days": "agent_day"}
# what makes Excel, LibreOffice or Sheets read a cell as a formula (OWASP, CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def report_csv(report: Mapping[str, Any]) -> str:
    lines = [_line(COLUMNS)]
    for grain, scope in SCOPES.items():
        rows = grain_rows(report, grain)
        for metric in metric_ids(rows):
            for row in rows:
                if metric not in row:
                    continue
                lines.append(
                    _line(
                        (
                            metric,
                            scope,
                            cell(row.get("shop_id", "")),  # ids come from imported files
                            cell(row.get("agent_id", "")),
                            cell(row.get("date", "")),
                            cell(row[metric]),
                        )
                    )
                )
    return "".join(lines)


def _line(cells: Sequence[str]) -> str:
    """One CSV line ending in ``\\n``. Written with ``\\r\\n`` first, so that the csv module
    quotes a cell holding a CR (Python 3.11 quotes only the terminator's characters): a bare CR
    would start a new row in a spreadsheet, whose first cell could be a formula."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2] + "\n"


def cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back to the same float
    if isinstance(value, str):
        return text_cell(value)
    return str(value)


def text_cell(text: str) -> str:
    """Text that a spreadsheet would run as a formula (``=cmd|...``, ``@SUM(...)``, a leading
    tab or CR) gets a leading ``'``, which shows it as the text it is; a number written as text
    (``-12.5``) is no formula and stays as it is."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
