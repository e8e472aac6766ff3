"""Value rules of canonical.validation, one form per case, through the real SQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from jinpai.canonical.schema import TABLES
from jinpai.canonical.validation import check_timezone, clean_cells, validation_sql


def parse(
    table: str, column: str, values: list[str | None], tz: str = "Asia/Shanghai", **fixed: str
) -> list:
    """Parse ``values`` as ``column`` of ``table`` (other required columns filled with ``fixed``)."""
    schema = TABLES[table]
    cells = {"_row": pa.array(range(2, 2 + len(values)), pa.int64())}
    sources = {column: "c0"}
    cells["c0"] = clean_cells(pa.array(values, pa.string()))
    for i, (name, value) in enumerate(fixed.items(), start=1):
        cells[f"c{i}"] = pa.array([value] * len(values), pa.string())
        sources[name] = f"c{i}"
    con = duckdb.connect()
    con.register("cells", pa.table(cells))
    sql = validation_sql(schema, sources, "cells")
    params = {k: v for k, v in {"tz": tz, "shop": "default"}.items() if f"${k}" in sql}
    got = con.execute(f"SELECT {column}, _errors FROM ({sql}) ORDER BY _row", params).fetchall()
    con.close()
    return [value if errors is None else None for value, errors in got]


def test_timestamp_forms_shop_local_stored_utc() -> None:
    values = [
        "2024-03-15T08:46:47",
        "2024-03-15 08:46:47",
        "2024-03-15 08:46:47.250",
        "2024-03-15T08:46:47+08:00",
        "2024-03-15T00:46:47Z",
        "2024-03-15 03:46:47.5-02:00",
        "2024/3/15 8:46:47",
        "2024/3/5 8:06",
        "20240315084647",
        "1710463607",  # epoch seconds (UTC)
        "1710463607250",  # epoch milliseconds
        "  2024-03-15 08:46:47\u3000",
        "2024-02-30 10:00:00",
        "yesterday",
        "12345",
    ]
    assert parse("shifts", "starts_at", values, agent_id="a", ends_at="2030-01-01 00:00:00") == [
        datetime(2024, 3, 15, 0, 46, 47),
        datetime(2024, 3, 15, 0, 46, 47),
        datetime(2024, 3, 15, 0, 46, 47, 250000),
        datetime(2024, 3, 15, 0, 46, 47),
        datetime(2024, 3, 15, 0, 46, 47),
        datetime(2024, 3, 15, 5, 46, 47, 500000),
        datetime(2024, 3, 15, 0, 46, 47),
        datetime(2024, 3, 5, 0, 6),
        datetime(2024, 3, 15, 0, 46, 47),
        datetime(2024, 3, 15, 0, 46, 47),
        datetime(2024, 3, 15, 0, 46, 47, 250000),
        datetime(2024, 3, 15, 0, 46, 47),
        None,
        None,
        None,
    ]


def test_timezone_with_daylight_saving() -> None:
    got = parse(
        "shifts",
        "starts_at",
        ["2018-01-10 12:00:00", "2018-06-10 12:00:00"],
        tz="America/Sao_Paulo",
        agent_id="a",
        ends_at="2030-01-01 00:00:00",
    )
    assert got == [datetime(2018, 1, 10, 14), datetime(2018, 6, 10, 15)]  # UTC-2 in summer


def test_money_booleans_integers() -> None:
    fixed = {"order_id": "o", "buyer_id": "b", "created_at": "2024-03-15 08:00:00"}
    amounts = ["1299", "1,299.50", "¥1,299.50", "￥88", "88元", "0", "-1", "abc"]
    assert parse("orders", "amount", amounts, **fixed) == [
        Decimal("1299"),
        Decimal("1299.50"),
        Decimal("1299.50"),
        Decimal("88"),
        Decimal("88"),
        Decimal("0"),
        None,
        None,
    ]
    flags = ["true", "FALSE", "1", "0", "是", "否", "Yes", "n", "", "maybe"]
    assert parse("orders", "exclude", flags, amount="1", **fixed) == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        False,
        None,
    ]
    assert parse("orders", "items", ["3", "2.0", "", "1.5", "-2"], amount="1", **fixed) == [
        3,
        2,
        1,
        None,
        None,
    ]


def test_choices_any_case_and_spelling() -> None:
    fixed = {"buyer_id": "b", "agent_id": "a", "sent_at": "2024-03-15 08:00:00"}
    got = parse(
        "messages",
        "sender",
        ["Buyer", "买家", "顾客", "CUSTOMER", "客服", "seller", "bot"],
        **fixed,
    )
    assert got == ["buyer", "buyer", "buyer", "buyer", "agent", "agent", None]


@pytest.mark.parametrize(
    ("kind", "score", "stored"),
    [
        ("csat", "4.5", 90.0),
        ("dsr", "5", 100.0),
        ("dsr", "80", None),
        ("exam", "88", 88.0),
        ("质检", "100", 100.0),
        ("exam", "101", None),
    ],
)
def test_scores(kind: str, score: str, stored: float | None) -> None:
    got = parse("ratings", "score", [score], agent_id="a", rated_on="2024-03-15", kind=kind)
    assert got == [stored]


def test_unknown_timezone_is_plain_words() -> None:
    assert check_timezone("Asia/Shanghai") == "Asia/Shanghai"
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        check_timezone("Mars/Olympus")
