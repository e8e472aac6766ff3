"""Rich tables of a report and of an explanation, rounded for display only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from rich.console import Console, Group
from rich.pretty import Pretty
from rich.table import Table
from rich.text import Text

from jinpai.display import format_number
from jinpai.engine.explain import Explanation
from jinpai.exports.common import (
    GRAINS,
    KEY_HEADERS,
    by_family,
    grain_rows,
    header,
    metric_ids,
    unit_of,
)


def report_tables(report: Mapping[str, Any]) -> Group:
    """The shop summary (a line per metric), then per family a table of agents, of days (for a
    period longer than a day) and of agent-days (when asked for)."""
    period = report.get("period", {})
    title = Text.assemble(
        ("客服报表 ", "bold"),
        f"{period.get('from')} ~ {period.get('to')}  ",
        f"as_of {report.get('as_of')}  profile {report.get('profile')}",
    )
    parts: list[Any] = [title, _summary(grain_rows(report, "shops"))]
    for grain in ("agents", "days", "agent_days"):
        rows = grain_rows(report, grain)
        if not rows or (grain == "days" and period.get("from") == period.get("to")):
            continue
        keys = GRAINS[grain][1]
        if len({r.get("shop_id") for r in rows}) <= 1:
            keys = tuple(k for k in keys if k != "shop_id")
        for family, ids in by_family(metric_ids(rows)):
            parts.append(_wide(f"{GRAINS[grain][0]} · {family}", rows, keys, ids))
    return Group(*parts)


def _summary(shops: list[dict[str, Any]]) -> Table:
    table = Table(title="店铺汇总", title_justify="left", show_lines=False)
    table.add_column("指标")
    table.add_column("id", style="dim")
    for shop in shops:
        table.add_column(str(shop.get("shop_id", "")), justify="right")
    for family, ids in by_family(metric_ids(shops)):
        table.add_row(Text(family, style="bold"), "", *("" for _ in shops))
        for metric_id in ids:
            unit = unit_of(metric_id)
            table.add_row(
                header(metric_id),
                metric_id,
                *(format_number(s.get(metric_id), unit) for s in shops),
            )
    return table


def _wide(title: str, rows: list[dict[str, Any]], keys: tuple[str, ...], ids: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for key in keys:
        table.add_column(KEY_HEADERS[key], no_wrap=True)
    for metric_id in ids:
        table.add_column(header(metric_id), justify="right")
    for row in rows:
        cells = [str(row.get(k, "")) for k in keys]
        cells += [format_number(row.get(m), unit_of(m)) for m in ids]
        table.add_row(*cells)
    return table


def explanation_tables(explanation: Explanation, depth: int = 0) -> Group:
    """The figure, its definition and settings, its rows; then each input the same way."""
    e = explanation
    who = f"客服 {e.agent_id}" if e.agent_id else f"店铺 {e.shop_id or ''}"
    unit = unit_of(e.metric_id)
    head = Text.assemble(
        ("  " * depth),
        (f"{e.zh} ({e.metric_id})", "bold"),
        f"  {who}  {e.period.start} ~ {e.period.end}  = ",
        (format_number(e.value, unit), "bold green"),
    )
    parts: list[Any] = [head, Text(("  " * depth) + e.description, style="dim")]
    if e.kind == "composite" and isinstance(e.value, dict):  # an object figure
        parts.append(Pretty(e.value))
    if e.settings:
        text = ", ".join(f"{k}={_setting(v)}" for k, v in e.settings.items())
        parts.append(Text(("  " * depth) + "settings: " + text, style="dim"))
    if e.shop_inputs:
        text = ", ".join(f"{k}={format_number(v, unit_of(k))}" for k, v in e.shop_inputs.items())
        parts.append(Text(("  " * depth) + "shop: " + text, style="dim"))
    if e.source is not None or e.kind == "composite":
        shown = f"{len(e.rows)} of {e.row_count}" if len(e.rows) < e.row_count else e.row_count
        # an aggregate's block, or the members and events a composite declares
        title = f"{'  ' * depth}{f'block {e.source} · ' if e.source else ''}{shown} rows"
        if e.source is not None:
            title += f" · period by {e.day_column}"
        # the scope is in the heading: columns that only repeat it are left out
        fixed = {"shop_id"} | ({"agent_id"} if e.agent_id is not None else set())
        columns = [
            c
            for c in e.columns
            if c not in fixed and any(r.get(c) not in (None, "") for r in e.rows)
        ]
        table = Table(title=title, title_justify="left")
        for column in columns:
            times = any(isinstance(r.get(column), datetime) for r in e.rows)
            table.add_column(column, overflow="fold", min_width=19 if times else None)
        for row in e.rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        parts.append(table)
    for child in e.inputs:
        parts.append(explanation_tables(child, depth + 1))
    return Group(*parts)


def _setting(value: Any) -> str:
    return "none" if value is None else str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render(renderable: Any, width: int | None = None) -> str:
    """Plain text of a renderable (for --out files and tests)."""
    console = Console(width=width or 200, record=True, file=_Null())
    console.print(renderable)
    return console.export_text()


class _Null:
    def write(self, _: str) -> int:
        return 0

    def flush(self) -> None:
        pass
