"""Golden cases (tests/cases/*.yaml): load a case, build its canonical tables, run the engine."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import duckdb
import yaml

from jinpai.canonical.schema import FIVE_POINT_RATINGS, TABLES, Kind
from jinpai.canonical.validation import sql_type
from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.report import ReportRequest, build_report
from jinpai.metrics.context import Period
from jinpai.metrics.rules import rule_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CASES = Path(__file__).resolve().parents[1] / "cases"


@dataclass
class Case:
    path: Path
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.data.get("name", self.path.stem)

    @property
    def timezone(self) -> str:
        return self.data.get("timezone", "Asia/Shanghai")

    def request(self) -> ReportRequest:
        period = self.data["period"]
        as_of = self.data.get("as_of")
        return ReportRequest(
            period=Period(_date(period["from"]), _date(period["to"])),
            rules=rule_settings(
                self.data.get("profile", "taobao"), **self.data.get("settings", {})
            ),
            as_of=datetime.fromisoformat(str(as_of)) if as_of else None,
            by_agent_day="agent_days" in self.data.get("expected", {}),
            timezone=self.timezone,
        )


def all_cases() -> list[Case]:
    return [load_case(p) for p in sorted(CASES.glob("*.yaml"))]


def load_case(path: Path) -> Case:
    return Case(path, yaml.safe_load(path.read_text(encoding="utf-8")))


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _convert(kind: Kind, value: Any, column: Any, tz: ZoneInfo) -> Any:
    if value is None:
        return None
    if kind is Kind.TIMESTAMP:
        local = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        aware = local if local.tzinfo else local.replace(tzinfo=tz)
        return aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    if kind is Kind.DATE:
        return _date(value)
    if kind is Kind.CHOICE:
        return column.choices[str(value).lower()]
    return value


def warehouse_of(case: Case) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the case's tables in the warehouse layout."""
    con = duckdb.connect()
    tz = ZoneInfo(case.timezone)
    seq = 0
    for name, table in case.data.get("tables", {}).items():
        schema = TABLES[name]
        given = list(table["columns"])
        cols = ["shop_id", *schema.column_names, "seq"]
        types = ["VARCHAR", *(sql_type(c) for c in schema.columns), "BIGINT"]
        ddl = ", ".join(f'"{c}" {t}' for c, t in zip(cols, types, strict=True))
        con.execute(f"CREATE TABLE {name} ({ddl})")
        rows = []
        for raw in table.get("rows") or []:
            seq += 1
            given_row = dict(zip(given, raw, strict=True))
            row = [given_row.get("shop_id", "default")]
            for column in schema.columns:
                value = given_row.get(column.name, column.default)
                value = _convert(column.kind, value, column, tz)
                if (
                    name == "ratings"
                    and column.name == "score"
                    and given_row.get("kind") in FIVE_POINT_RATINGS
                ):
                    value = value * 20
                row.append(value)
            rows.append([*row, seq])
        if rows:
            marks = ", ".join("?" for _ in cols)
            con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    return con


def run_duckdb(case: Case, metrics: Sequence[str] | None = None) -> dict[str, Any]:
    con = warehouse_of(case)
    tables = bind_duckdb(con, {}, case.timezone)
    request = case.request()
    if metrics is not None:
        request = replace(request, metrics=tuple(metrics))
    return build_report(tables, request)


# Metrics whose rows put an active agent (chat-day, valid message, reminder, credited order) in
# a report: a report restricted to a case's own metrics keeps them so it lists the same agents.
PRESENCE_METRICS = ("consulting_buyers", "online_days", "reminders_sent", "orders_created")


def expected_metrics(case: Case, presence: bool = True) -> tuple[str, ...]:
    """The metric ids a case checks (any scope, nested ones too), in first-seen order, plus
    PRESENCE_METRICS."""
    from jinpai.metrics.catalogue import CATALOGUE

    ids: dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in CATALOGUE:
                    ids[key] = None
                else:
                    walk(value)

    walk(case.data.get("expected", {}))
    if presence:
        ids.update(dict.fromkeys(m for m in PRESENCE_METRICS if m in CATALOGUE))
    return tuple(ids)


def run_spark(
    case: Case,
    session: SparkSession,
    folder: Path | None = None,
    metrics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The case on PySpark: its warehouse exported to Parquet (``folder``, else a temporary one
    kept until the report is built), bound by bind_spark. ``metrics`` restricts the report."""
    from jinpai.engine.spark_backend import bind_spark, export_parquet

    request = case.request()
    if metrics is not None:
        request = replace(request, metrics=tuple(metrics))
    with tempfile.TemporaryDirectory(prefix=f"jinpai-{case.path.stem}-") as tmp:
        target = folder or Path(tmp)
        export_parquet(warehouse_of(case), target)
        tables = bind_spark(session, target, {}, case.timezone)
        # cached blocks are unpersisted by Ibis once the report's context is collected
        return build_report(tables, request)


def expected_value(value: Any) -> Any:
    if isinstance(value, str) and "/" in value:
        return float(Fraction(value))
    return value


def actual_figures(
    report: dict[str, Any], scope: str, name: str | None, shop: str | None = None
) -> dict[str, Any]:
    """The report's figures for one expected scope; ``shop`` picks one shop of a multi-shop
    report (the figures of ``--shop S``: every row of the combined report carries its shop_id)."""

    def rows(key: str) -> list[dict[str, Any]]:
        return [r for r in report.get(key, []) if shop is None or r.get("shop_id") == shop]

    if scope == "shop":
        if shop is None:
            return report["shop"]
        return next(iter(rows("shops")), {})
    if scope == "agents":
        return next((a for a in rows("agents") if a["agent_id"] == name), {})
    if scope == "days":
        return next((d for d in rows("days") if d["date"] == name), {})
    agent, day = str(name).split(" ")
    return next(
        (r for r in rows("agent_days") if r["agent_id"] == agent and r["date"] == day),
        {},
    )


def mismatches(case: Case, report: dict[str, Any]) -> list[str]:
    """Every expected figure that the report does not reproduce, as readable lines."""
    expected = case.data.get("expected", {})
    if "shops" in expected:
        return [
            f"shops[{shop}].{line}"
            for shop, scopes in expected["shops"].items()
            for line in _mismatches(scopes, report, shop)
        ]
    return _mismatches(expected, report, None)


def _mismatches(expected: dict[str, Any], report: dict[str, Any], shop: str | None) -> list[str]:
    out: list[str] = []
    for scope, figures_by_name in expected.items():
        groups = {None: figures_by_name} if scope == "shop" else figures_by_name
        for name, figures in groups.items():
            actual = actual_figures(report, scope, name, shop)
            for metric, want in figures.items():
                got = actual.get(metric, "<missing>")
                if not same(expected_value(want), got):
                    where = scope if name is None else f"{scope}[{name}]"
                    out.append(f"{where}.{metric}: expected {want!r}, got {got!r}")
    return out


def ratio(num: float, den: float) -> float | None:
    """The oracles' ``num / den``: None over an empty denominator, as metrics.md reads a rate or
    mean of nothing."""
    return None if den == 0 else num / den


def same(want: Any, got: Any) -> bool:
    if want == {}:  # nothing at all: exactly an empty object
        return got == {}
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and want.keys() <= got.keys()
            and all(same(expected_value(v), got[k]) for k, v in want.items())
        )
    if want is None or got is None or isinstance(want, str) or isinstance(got, str):
        return want == got
    if isinstance(want, bool) or isinstance(got, bool):
        return want == got
    return abs(float(want) - float(got)) <= 1e-9 * max(1.0, abs(float(want)))
