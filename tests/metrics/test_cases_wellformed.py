"""The golden metric cases of ``tests/cases/`` are well formed.

This test needs no engine: it loads every case file and checks its structure against the
canonical tables of ``spec/data.md`` and the metric catalogue's own declarations (ids, units,
grains, the shape of object figures) so that a malformed case fails here, fast, with the file
and the place named. The engine's own tests run
the cases (see ``tests/cases/README.md``).
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from jinpai.metrics.base import Aggregate, Composite, Level, Metric, Unit
from jinpai.metrics.catalogue import CATALOGUE

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))

PROFILES = {"taobao", "pdd", "jd", "raw"}
FAMILIES = {
    "chat",
    "conversion",
    "volume",
    "reminders",
    "cases",
    "customers",
    "team",
    "profile",
    "multi",
}

# settings of metrics.md (the profile table) plus case_sla_hours (cases section, default 48)
SETTINGS = {
    "service_hours": str,
    "round_cap_s": (int, type(None)),
    "fast_response_s": int,
    "slow_response_s": int,
    "reply_within_s": (int, type(None)),
    "order_window_days": int,
    "after_sales_days": int,
    "reminder_success_hours": int,
    "shift_only": bool,
    "churn_lookback_days": int,
    "repurchase_days": int,
    "retention_days": int,
    "case_sla_hours": (int, float),
}

# columns of spec/data.md; every table may also carry shop_id
TABLES: dict[str, dict[str, str]] = {
    "messages": {
        "buyer_id": "text!",
        "agent_id": "text!",
        "sender": "sender!",
        "sent_at": "ts!",
        "is_auto": "bool",
        "content": "text",
        "message_id": "text",
    },
    "orders": {
        "order_id": "text!",
        "buyer_id": "text!",
        "created_at": "ts!",
        "paid_at": "ts",
        "amount": "money!",
        "status": "text",
        "items": "int",
        "refund_amount": "money",
        "exclude": "bool",
        "sku": "text",
        "title": "text",
    },
    "agents": {
        "agent_id": "text!",
        "name": "text",
        "role": "role",
        "level": "level",
        "base_salary": "money",
        "commission_rate": "number",
        "hired_on": "date",
        "left_on": "date",
        "group": "text",
    },
    "reminders": {
        "order_id": "text!",
        "agent_id": "text!",
        "sent_at": "ts!",
        "channel": "channel",
        "script_id": "text",
    },
    "cases": {
        "case_id": "text!",
        "order_id": "text",
        "buyer_id": "text",
        "agent_id": "text",
        "kind": "case_kind",
        "opened_at": "ts!",
        "resolved_at": "ts",
        "disputed": "bool",
    },
    "shifts": {"agent_id": "text!", "starts_at": "ts!", "ends_at": "ts!"},
    "ratings": {
        "agent_id": "text!",
        "rated_on": "date!",
        "kind": "rating_kind!",
        "score": "number!",
        "note": "text",
    },
}
CHOICES = {
    "sender": {"buyer", "agent", "买家", "顾客", "customer", "客服", "seller"},
    "role": {"presale", "aftersale", "order_desk", "supervisor"},
    "level": {"junior", "mid", "senior", "gold"},
    "channel": {"im", "sms", "phone"},
    "case_kind": {"refund", "return", "exchange", "complaint", "other"},
    "rating_kind": {"quality_check", "exam", "csat", "dsr", "attendance", "supervisor"},
}

# every fact about a metric (its id, unit, grain, the shape of an object figure) is the
# catalogue's own declaration; these are the units whose figures are never negative
NON_NEGATIVE = {Unit.COUNT, Unit.SECONDS, Unit.HOURS, Unit.DAYS, Unit.INDEX, Unit.ITEMS}

TS_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")
FRACTION = re.compile(r"^\s*-?\d+(\.\d+)?\s*/\s*\d+(\.\d+)?\s*$")


def parse_ts(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp string: {value!r}")
    for fmt in TS_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            pass
    raise ValueError(f"unreadable timestamp {value!r}")


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"a date, not a timestamp: {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"not a date: {value!r}")


def expected_number(value: object) -> Fraction | None:
    """A case's expected value: a number, null, or an exact fraction "a/b"."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"a boolean is not a metric value: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value).limit_denominator(10**9)
    if isinstance(value, str):
        if not FRACTION.match(value):
            raise ValueError(f"not a fraction 'a/b': {value!r}")
        num, den = (Fraction(p.strip()) for p in value.split("/"))
        if den == 0:
            raise ValueError(f"zero denominator: {value!r}")
        return num / den
    raise ValueError(f"not a metric value: {value!r}")


def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(params=CASE_FILES, ids=[p.stem for p in CASE_FILES])
def case(request) -> tuple[Path, dict]:
    return request.param, load(request.param)


def test_there_are_cases():
    assert len(CASE_FILES) >= 25, "expected at least 25 golden cases"


def test_header(case):
    path, c = case
    assert isinstance(c, dict), path
    allowed = {
        "name", "description", "profile", "settings", "timezone", "period", "as_of",
        "tables", "expected",
    }  # fmt: skip
    assert set(c) <= allowed, f"unknown top-level keys {set(c) - allowed}"
    for key in ("name", "description", "profile", "period", "tables", "expected"):
        assert key in c, f"missing {key}"
    assert c["name"] == path.stem, "name must equal the file name"
    family = path.stem.split("_", 1)[0]
    assert family in FAMILIES, f"file name must start with a family: {sorted(FAMILIES)}"
    assert isinstance(c["description"], str) and c["description"].strip()
    assert c["profile"] in PROFILES
    settings = c.get("settings") or {}
    assert isinstance(settings, dict)
    for k, v in settings.items():
        assert k in SETTINGS, f"unknown setting {k}"
        assert isinstance(v, SETTINGS[k]) and not (
            isinstance(v, bool) and SETTINGS[k] is not bool
        ), f"setting {k}: bad value {v!r}"
    ZoneInfo(c.get("timezone", "Asia/Shanghai"))
    period = c["period"]
    assert set(period) == {"from", "to"}
    start, end = parse_date(period["from"]), parse_date(period["to"])
    assert start <= end
    if "as_of" in c:
        assert isinstance(c["as_of"], str), "quote as_of"
        parse_ts(c["as_of"])


def _check_cell(kind: str, value: object, where: str) -> None:
    required = kind.endswith("!")
    kind = kind.rstrip("!")
    if value is None:
        assert not required, f"{where}: required value missing"
        return
    if kind == "text":
        assert isinstance(value, str | int) and not isinstance(value, bool), where
        assert str(value).strip(), f"{where}: empty text"
    elif kind == "ts":
        assert isinstance(value, str), f"{where}: quote timestamps"
        parse_ts(value)
    elif kind == "date":
        parse_date(value)
    elif kind == "bool":
        assert isinstance(value, bool), f"{where}: not a bool: {value!r}"
    elif kind == "int":
        assert isinstance(value, int) and not isinstance(value, bool) and value >= 0, where
    elif kind in ("money", "number"):
        assert isinstance(value, int | float) and not isinstance(value, bool), where
        if kind == "money":
            assert value >= 0, f"{where}: negative amount"
    else:
        assert value in CHOICES[kind], f"{where}: {value!r} not one of {CHOICES[kind]}"


def test_tables(case):
    _path, c = case
    tables = c["tables"]
    assert isinstance(tables, dict)
    assert "messages" in tables and "orders" in tables, "messages and orders are required"
    for name, table in tables.items():
        assert name in TABLES, f"unknown table {name}"
        assert set(table) == {"columns", "rows"}, f"{name}: needs columns and rows"
        cols = table["columns"]
        assert len(cols) == len(set(cols)), f"{name}: duplicate columns"
        known = TABLES[name]
        for col in cols:
            assert col == "shop_id" or col in known, f"{name}: unknown column {col}"
        for col, kind in known.items():
            if kind.endswith("!"):
                assert col in cols, f"{name}: missing required column {col}"
        rows = table["rows"] or []
        keys: set = set()
        for i, row in enumerate(rows):
            where = f"{name} row {i + 1}"
            assert isinstance(row, list) and len(row) == len(cols), f"{where}: width"
            rec = dict(zip(cols, row, strict=True))
            for col, value in rec.items():
                kind = "text!" if col == "shop_id" else known[col]
                _check_cell(kind, value, f"{where} {col}")
            shop = rec.get("shop_id", "default")
            if name == "orders":
                key = (shop, rec["order_id"])
                assert key not in keys, f"{where}: duplicate order_id"
                keys.add(key)
                if rec.get("paid_at") is not None:
                    assert parse_ts(rec["paid_at"]) >= parse_ts(rec["created_at"]), (
                        f"{where}: paid before created"
                    )
            if name == "cases":
                key = (shop, rec["case_id"])
                assert key not in keys, f"{where}: duplicate case_id"
                keys.add(key)
                if rec.get("resolved_at") is not None:
                    assert parse_ts(rec["resolved_at"]) >= parse_ts(rec["opened_at"]), where
            if name == "shifts":
                assert parse_ts(rec["ends_at"]) > parse_ts(rec["starts_at"]), where


def never_null(metric: Metric) -> bool:
    """A count, or a figure that is 0 on a grain row without rows (a sum): never undefined."""
    return metric.unit is Unit.COUNT or (isinstance(metric, Aggregate) and metric.empty is not None)


def whole(metric: Metric) -> bool:
    """A count of things, or of days when no rows make it 0 (a count, not a mean of days)."""
    return metric.unit is Unit.COUNT or (metric.unit is Unit.DAYS and never_null(metric))


def _check_figure(unit: Unit, value: object, where: str, *, null: bool, integral: bool) -> None:
    """One number of its unit: ``null`` when it may be undefined, ``integral`` when whole."""
    n = expected_number(value)
    if n is None:
        assert null, f"{where}: never null (a count, or 0 without rows)"
        return
    if integral:
        assert n.denominator == 1, f"{where}: a count is a whole number"
    if unit is Unit.RATE:
        assert 0 <= n <= 1, f"{where}: rate outside [0, 1]"
    if unit in NON_NEGATIVE:
        assert n >= 0, f"{where}: a {unit} figure is never negative"


def _check_object(metric: Composite, value: object, where: str) -> None:
    """An object figure as its declaration shapes it: keys matching ``keys`` (the keys of its
    empty figure when that has any), entries of its ``parts``."""
    # {} is the figure of nothing (no inquiry, no reminder)
    assert isinstance(value, dict), f"{where}: {metric.id} must be a mapping"
    fixed = metric.empty()
    if fixed:
        assert set(value) == set(fixed), f"{where}: keys must be {sorted(fixed)}"
    for key, entry in value.items():
        assert isinstance(key, str) and re.fullmatch(metric.keys, key), (
            f"{where}: key {key!r} does not match {metric.keys!r}"
        )
        assert isinstance(entry, dict) and entry, f"{where}.{key}: an entry of parts"
        assert set(entry) <= set(metric.parts), f"{where}.{key}: parts are {sorted(metric.parts)}"
        for part, v in entry.items():
            unit = metric.parts[part]
            counted = unit is Unit.COUNT
            _check_figure(unit, v, f"{where}.{key}.{part}", null=not counted, integral=counted)


def _check_metrics(block: object, where: str, level: str) -> int:
    assert isinstance(block, dict) and block, f"{where}: empty metric block"
    for metric_id, value in block.items():
        here = f"{where}.{metric_id}"
        metric = CATALOGUE.get(metric_id)
        assert metric is not None, f"{here}: unknown metric id"
        if level == "agent":
            assert metric.available(Level.AGENT), f"{here}: shop-only metric under an agent"
        if isinstance(metric, Composite) and metric.unit is Unit.OBJECT:
            _check_object(metric, value, here)
        else:
            _check_figure(
                metric.unit, value, here, null=not never_null(metric), integral=whole(metric)
            )
    return len(block)


def _check_report(exp: dict, where: str, c: dict, agents_seen: set[str]) -> int:
    allowed = {"shop", "agents", "days", "agent_days"}
    assert set(exp) <= allowed, f"{where}: unknown keys {set(exp) - allowed}"
    start, end = parse_date(c["period"]["from"]), parse_date(c["period"]["to"])
    pinned = 0
    if "shop" in exp:
        pinned += _check_metrics(exp["shop"], f"{where}.shop", "shop")
    for agent, block in (exp.get("agents") or {}).items():
        assert str(agent) in agents_seen, f"{where}.agents.{agent}: agent not in the tables"
        pinned += _check_metrics(block, f"{where}.agents.{agent}", "agent")
    for day, block in (exp.get("days") or {}).items():
        assert isinstance(day, str), f"{where}.days: quote the date {day!r}"
        assert start <= parse_date(day) <= end, f"{where}.days.{day}: outside the period"
        pinned += _check_metrics(block, f"{where}.days.{day}", "shop")
    for key, block in (exp.get("agent_days") or {}).items():
        agent, _, day = str(key).partition(" ")
        assert agent in agents_seen, f"{where}.agent_days.{key}: unknown agent"
        assert start <= parse_date(day) <= end, f"{where}.agent_days.{key}: outside the period"
        pinned += _check_metrics(block, f"{where}.agent_days.{key}", "agent")
    return pinned


def _agents_in(c: dict, shop: str | None = None) -> set[str]:
    seen: set[str] = set()
    for table in c["tables"].values():
        cols = table["columns"]
        if "agent_id" not in cols:
            continue
        for row in table["rows"] or []:
            rec = dict(zip(cols, row, strict=True))
            if shop is not None and rec.get("shop_id", "default") != shop:
                continue
            if rec["agent_id"] is not None:
                seen.add(str(rec["agent_id"]))
    return seen


def _shops_in(c: dict) -> set[str]:
    shops = set()
    for table in c["tables"].values():
        cols = table["columns"]
        for row in table["rows"] or []:
            shops.add(dict(zip(cols, row, strict=True)).get("shop_id", "default"))
    return shops


def test_expected(case):
    _path, c = case
    exp = c["expected"]
    assert isinstance(exp, dict) and exp
    if "shops" in exp:
        assert set(exp) == {"shops"}, "with shops, every figure goes under its shop"
        shops = _shops_in(c)
        assert len(shops) >= 2, "expected.shops is for cases with several shops"
        pinned = 0
        for shop, report in exp["shops"].items():
            assert shop in shops, f"shops.{shop}: no such shop_id in the tables"
            pinned += _check_report(report, f"shops.{shop}", c, _agents_in(c, shop))
    else:
        shops = _shops_in(c)
        assert len(shops) <= 1, "a case with several shops gives expected.shops"
        pinned = _check_report(exp, "expected", c, _agents_in(c))
    assert pinned >= 3, "every case should pin several metrics"


def test_every_metric_profile_and_composite_is_covered():
    metrics: set[str] = set()
    profiles: set[str] = set()

    def walk(report: dict) -> None:
        metrics.update((report.get("shop") or {}).keys())
        for group in ("agents", "days", "agent_days"):
            for block in (report.get(group) or {}).values():
                metrics.update(block.keys())

    settings_seen: set[str] = set()
    for path in CASE_FILES:
        c = load(path)
        profiles.add(c["profile"])
        settings_seen.update((c.get("settings") or {}).keys())
        exp = c["expected"]
        for report in exp["shops"].values() if "shops" in exp else [exp]:
            walk(report)
    unpinned = sorted(set(CATALOGUE) - metrics)
    assert unpinned == [], f"metrics no case pins: {unpinned}"
    assert profiles == PROFILES, f"profiles without a case: {PROFILES - profiles}"
    assert "shift_only" in settings_seen


MALFORMED = {
    "unknown id": ("shop", {"no_such_metric": 1}),
    "rate above 1": ("shop", {"reply_rate": 1.5}),
    "count not whole": ("shop", {"inquiries": 2.5}),
    "null count": ("shop", {"inquiries": None}),
    "null sum": ("shop", {"sales": None}),
    "days counted in halves": ("agent", {"online_days": "3/2"}),
    "negative duration": ("shop", {"avg_response_s": -1}),
    "shop-only under an agent": ("agent", {"silent_order_share": 0.5}),
    "hour key": ("shop", {"hourly_load": {"8-09": {"inquiries": 1}}}),
    "hourly count not whole": ("shop", {"hourly_load": {"1-09": {"rounds": 1.5}}}),
    "staffed missing": ("shop", {"off_hours_inquiries": {"off_hours": {"inquiries": 1}}}),
    "unknown channel": ("shop", {"reminder_success_by_channel": {"fax": {"rate": 0}}}),
    "unknown part": ("shop", {"reminder_success_by_script": {"s1": {"wins": 2}}}),
    "part rate above 1": ("shop", {"reminder_success_by_script": {"s1": {"rate": 2}}}),
}


@pytest.mark.parametrize(("level", "block"), MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_expectation_fails(level: str, block: dict) -> None:
    with pytest.raises(AssertionError):
        _check_metrics(block, "expected", level)


def test_a_well_formed_expectation_passes() -> None:
    block = {
        "reply_rate": "2/3",
        "online_days": 2,
        "aov": None,
        "hourly_load": {"1-09": {"inquiries": 1, "rounds": 2}},
        "reminder_success_by_channel": {"sms": {"reminded_orders": 2, "rate": "1/2"}},
    }
    assert _check_metrics(block, "expected", "shop") == len(block)
