"""bind_spark binds exactly the columns and values bind_duckdb does (time zones, DST, dates,
decimals, empty tables), and the engine facade switches between them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from jinpai.engine import open_tables
from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.engine.spark_backend import bind_spark, export_parquet

pytestmark = pytest.mark.spark

ZONES = {"ny": "America/New_York"}  # the other shop takes the default, Asia/Shanghai


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE messages (shop_id VARCHAR, buyer_id VARCHAR, agent_id VARCHAR,"
        " sender VARCHAR, sent_at TIMESTAMP, is_auto BOOLEAN, content VARCHAR,"
        " message_id VARCHAR, seq BIGINT)"
    )
    rows = [
        # New York: the DST jump (2024-03-10 02:00 local = 07:00 UTC) and a local midnight
        ("ny", "2024-03-10 06:59:59"),
        ("ny", "2024-03-10 07:00:00"),
        ("ny", "2024-03-11 03:59:59"),
        ("ny", "2024-03-11 04:00:00"),
        # Shanghai: local midnight is 16:00 UTC; a day before 1970
        ("sh", "2024-03-15 15:59:59.999999"),
        ("sh", "2024-03-15 16:00:00"),
        ("sh", "1969-12-31 12:00:00"),
    ]
    con.executemany(
        "INSERT INTO messages VALUES (?, 'b', 'a', 'buyer', ?, false, NULL, NULL, ?)",
        [(shop, ts, i) for i, (shop, ts) in enumerate(rows)],
    )
    con.execute(
        "CREATE TABLE orders (shop_id VARCHAR, order_id VARCHAR, buyer_id VARCHAR,"
        " created_at TIMESTAMP, paid_at TIMESTAMP, amount DECIMAL(18,2), status VARCHAR,"
        " items INTEGER, refund_amount DECIMAL(18,2), exclude BOOLEAN, sku VARCHAR,"
        " title VARCHAR, seq BIGINT)"
    )
    con.execute(
        "INSERT INTO orders VALUES ('sh', 'o1', 'b', '2024-03-15 16:00:00', NULL, 12.34,"
        " 'created', 1, 0, false, NULL, NULL, 100),"
        " ('ny', 'o2', 'b', '2024-11-03 05:30:00', '2024-11-03 06:30:00', 99999999.99,"
        " 'paid', 2, 0.01, true, NULL, NULL, 101)"
    )
    con.execute(
        "CREATE TABLE agents (shop_id VARCHAR, agent_id VARCHAR, name VARCHAR, role VARCHAR,"
        " level VARCHAR, base_salary DECIMAL(18,2), commission_rate DECIMAL(18,6),"
        ' hired_on DATE, left_on DATE, "group" VARCHAR, seq BIGINT)'
    )
    con.execute(
        "INSERT INTO agents VALUES ('sh', 'a', NULL, 'presale', NULL, 1800, 0.012345,"
        " '2024-03-01', NULL, NULL, 200)"
    )
    return con


def _rows(table: Any) -> list[dict[str, Any]]:
    rows = table.order_by("seq").to_pyarrow().to_pylist()
    return [{k: (float(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows]


def test_bound_columns_match_duckdb(spark: Any, tmp_path: Path) -> None:
    con = _warehouse()
    duck = bind_duckdb(con, ZONES, "Asia/Shanghai")
    export_parquet(con, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "agents.parquet",
        "messages.parquet",
        "orders.parquet",
    ]
    sp = bind_spark(spark, tmp_path, ZONES, "Asia/Shanghai")
    assert duck.keys() == sp.keys()
    for name in duck:
        assert set(duck[name].columns) == set(sp[name].columns), name
        assert _rows(duck[name]) == _rows(sp[name]), name
    days = {r["sent_at"].isoformat(): r["sent_day"] for r in _rows(sp["messages"])}
    # 2024-03-16 00:00 in Shanghai is day 19798; New York's 2024-03-11 00:00 EDT is 04:00 UTC
    assert days["2024-03-15T16:00:00"] == 19798
    assert days["2024-03-11T04:00:00"] == days["2024-03-11T03:59:59"] + 1
    assert days["1969-12-31T12:00:00"] == -1
    assert _rows(sp["reminders"]) == []  # a missing table is bound empty
    assert sp["agents"].schema()["commission_rate"].scale == 6


def test_open_tables_switches_engines(spark: Any, tmp_path: Path) -> None:
    con = _warehouse()
    export_parquet(con, tmp_path)
    expected = _rows(open_tables("duckdb", con=con, timezones=ZONES)["messages"])
    for tables in (
        open_tables("duckdb", parquet=tmp_path, timezones=ZONES),
        open_tables("spark", parquet=tmp_path, timezones=ZONES, spark=spark),
        open_tables("spark", con=con, timezones=ZONES, spark=spark),
    ):
        assert _rows(tables["messages"]) == expected
    with pytest.raises(ValueError, match="unknown engine"):
        open_tables("polars", con=con)  # type: ignore[arg-type]
