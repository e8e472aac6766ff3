"""`jinpai explain` and `jinpai.engine.explain.explain`: the rows behind a figure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jinpai.cli import app
from jinpai.engine.explain import Explanation, explain, readable_rows
from jinpai.engine.report import ReportRequest
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.metrics.context import Period
from jinpai.metrics.rules import rule_settings
from jinpai.services.sources import ReportSource, open_tables
from jinpai.settings import get_settings
from tests.surface_data import AS_OF, write_shop_folder

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop_folder(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
def tables(folder: Path) -> Iterator[dict]:
    with open_tables(ReportSource(data=folder), get_settings()) as bound:
        yield bound.tables


def request(start: date = date(2024, 3, 15), end: date = date(2024, 3, 17)) -> ReportRequest:
    return ReportRequest(
        period=Period(start, end),
        rules=rule_settings("taobao"),
        as_of=datetime.fromisoformat(AS_OF),
    )


def has_value(rows: list[dict], buyer: str, value: object) -> bool:
    return any(r.get("buyer_id") == buyer and value in r.values() for r in rows)


def test_aggregate_rows(tables: dict) -> None:
    e = explain(tables, request(), "online_days", agent_id="a1", day=date(2024, 3, 15))
    assert isinstance(e, Explanation)
    assert (e.kind, e.source, e.value, e.row_count) == ("aggregate", "agent_days", 1, 1)
    assert e.rows[0]["day"] == date(2024, 3, 15)
    assert e.description == CATALOGUE["online_days"].description
    shop = explain(tables, request(), "online_days")
    assert shop.value == 2 and shop.row_count == 2


def test_rounds_show_local_times(tables: dict) -> None:
    e = explain(tables, request(), "avg_response_s", agent_id="a1", day=date(2024, 3, 15))
    assert e.settings["round_cap_s"] == 600 and e.settings["service_hours"] == "08:00-23:00"
    # the worked example's first round begins at 08:59:50 shop-local time (stored as UTC)
    assert has_value(e.rows, "b1", datetime(2024, 3, 15, 8, 59, 50))
    assert all(r.get("agent_id") == "a1" for r in e.rows)
    assert not any(c.endswith(("_us", "_lus")) for c in e.columns)


def test_ratio_explains_each_input(tables: dict) -> None:
    e = explain(tables, request(), "inquiry_conversion", agent_id="a2")
    assert e.kind == "ratio" and e.value == 1.0
    assert [i.metric_id for i in e.inputs] == ["ordering_buyers", "inquiries"]
    for child in e.inputs:
        assert child.value == 1
        assert any(r.get("buyer_id") == "b2" for r in child.rows)
    as_json = json.loads(json.dumps(e.to_dict()))
    assert as_json["inputs"][1]["rows"][0]["buyer_id"] == "b2"


def test_order_rows_show_the_product(tables: dict) -> None:
    # o1 is credited to a2, who answered b2 last before it was created
    e = explain(tables, request(), "sales", agent_id="a2")
    assert e.value == 300.0 and e.row_count == 1
    row = e.rows[0]
    assert (row["order_id"], row["sku"], row["title"]) == ("o1", "LS-101", "加绒保暖裤")
    assert row["credit_message_at"] == datetime(2024, 3, 16, 9, 2)


def test_an_object_figure_shows_the_events_it_counts(tables: dict) -> None:
    load = explain(tables, request(), "hourly_load")
    assert load.kind == "composite" and load.row_count == len(load.rows) > 0
    slots: dict[str, dict[str, int]] = {}
    for row in load.rows:
        slot = slots.setdefault(f"{row['weekday']}-{row['hour']:02d}", {})
        kind = {"inquiry": "inquiries", "round": "rounds"}[row["kind"]]
        slot[kind] = slot.get(kind, 0) + 1
    # each slot of the figure counts exactly the rows shown at that weekday and hour
    assert {k: {"inquiries": 0, "rounds": 0} | v for k, v in slots.items()} == load.value
    assert {r["event_at"].hour for r in load.rows} == {r["hour"] for r in load.rows}
    staffed = explain(tables, request(), "off_hours_inquiries")
    counted = sum(part["inquiries"] for part in staffed.value.values())
    assert staffed.row_count == counted == len(staffed.rows) > 0
    assert all(isinstance(r["staffed"], bool) for r in staffed.rows)


def test_limit_keeps_the_count(tables: dict) -> None:
    e = explain(tables, request(), "avg_response_s", agent_id="a1", limit=1)
    assert len(e.rows) == 1 and e.row_count > 1


def test_shop_only_metric_refuses_an_agent(tables: dict) -> None:
    shop_only = [m for m in CATALOGUE.values() if m.shop_only]
    if not shop_only:
        pytest.skip("no shop-only metric in the catalogue yet")
    with pytest.raises(ValueError, match="shop only"):
        explain(tables, request(), shop_only[0].id, agent_id="a1")


def test_readable_rows_converts_time_columns() -> None:
    tz = "Asia/Shanghai"
    day = 19797  # 2024-03-15
    utc_us = 1_710_464_390_000_000  # 2024-03-15 00:59:50 UTC = 08:59:50 in Shanghai
    rows = [
        {
            "buyer_id": "b1",
            "sent_us": utc_us,
            "sent_lus": utc_us + 8 * 3600 * 10**6,
            "sent_day": day,
            "wait_us": 80_000_000,
            "paid_lus": utc_us + 8 * 3600 * 10**6,
        }
    ]
    columns, shown = readable_rows(rows, tz)
    assert columns == ["buyer_id", "sent_at", "sent_day", "wait_s", "paid_at"]
    assert shown[0]["sent_at"] == datetime(2024, 3, 15, 8, 59, 50)
    assert shown[0]["paid_at"] == datetime(2024, 3, 15, 8, 59, 50)
    assert shown[0]["sent_day"] == date(2024, 3, 15)
    assert shown[0]["wait_s"] == 80.0


def test_cli_explain_json(folder: Path) -> None:
    args = ["explain", "online_days", "--agent", "a1", "--date", "2024-03-15"]
    result = runner.invoke(app, [*args, "--data", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["value"] == 1 and data["rows"] == [
        {"shop_id": "default", "agent_id": "a1", "day": "2024-03-15"}
    ]
    assert data["period"] == {"from": "2024-03-15", "to": "2024-03-15"}


def test_cli_explain_table(folder: Path) -> None:
    args = ["explain", "inquiry_conversion", "--agent", "a2", "--date", "2024-03-15"]
    result = runner.invoke(app, [*args, "--to", "2024-03-17", "--data", str(folder)])
    assert result.exit_code == 0, result.output
    assert "询单转化率" in result.stdout and "b2" in result.stdout
    # a composite shows its rows too: here the inquiries and rounds of the hourly load
    args = ["explain", "hourly_load", "--date", "2024-03-15", "--to", "2024-03-17"]
    result = runner.invoke(app, [*args, "--data", str(folder)])
    assert result.exit_code == 0, result.output
    assert "rows" in result.stdout and "inquiry" in result.stdout and "round" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "no_such_metric", "--date", "2024-03-15"], "unknown metric"),
        (["explain", "online_days"], "give the day"),
        (["explain", "online_days", "--date", "15/03/2024"], "bad --from"),
    ],
)
def test_cli_explain_errors(folder: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "--data", str(folder)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
