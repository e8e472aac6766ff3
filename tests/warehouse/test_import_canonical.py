"""Canonical folders into a warehouse file: layout, bad rows, idempotence, updates, lineage."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from jinpai.canonical.schema import TABLES
from jinpai.services import imports
from jinpai.settings import get_settings
from jinpai.warehouse import connect, open_memory_warehouse_from_folder
from jinpai.warehouse.tables import SEQ_FACTOR, stored_columns
from tests.ingest.files import MESSAGES_HEADER, ORDERS_HEADER, write_csv

GOOD_MESSAGES = [
    ["tb_lily", "shop:amy", "buyer", "2024-03-15 08:46:47", "", "在吗"],
    ["tb_lily", "shop:amy", "agent", "2024-03-15 08:47:00", "否", "在的"],
    # a genuinely repeated message: same everything, both kept
    ["tb_lily", "shop:amy", "agent", "2024-03-15 08:47:00", "否", "在的"],
    ["tb_tom", "shop:amy", "买家", "2024-03-15T09:00:00+08:00", "0", "hello"],
]
GOOD_ORDERS = [
    ["o1", "tb_lily", "2024-03-15 09:00:00", "2024-03-15 09:01:00", "¥1,299.00", "交易成功"],
    ["o2", "tb_tom", "2024-03-15 10:00:00", "", "88", "等待买家付款"],
]


def folder(tmp_path: Path, messages: list, orders: list) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    write_csv(data / "messages.csv", MESSAGES_HEADER, messages)
    write_csv(data / "orders.csv", ORDERS_HEADER, orders)
    return data


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_stored_layout_types_and_lineage(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    result = imports.import_path(
        folder(tmp_path, GOOD_MESSAGES, GOOD_ORDERS), get_settings(), db=db
    )
    assert result.to_json() == {
        "tables": {
            "messages": {"read": 4, "stored": 4, "updated": 0, "quarantined": 0},
            "orders": {"read": 2, "stored": 2, "updated": 0, "quarantined": 0},
        }
    }
    con = duckdb.connect(str(db), read_only=True)
    for name, schema in TABLES.items():  # every table exists in the documented layout
        described = con.execute(f'DESCRIBE "{name}"').fetchall()
        assert [(r[0], r[1]) for r in described] == [
            (n, t.replace(", ", ",")) for n, t in stored_columns(schema)
        ]
    order = con.execute(
        "SELECT shop_id, order_id, created_at, paid_at, amount, status, status_raw, items, "
        "refund_amount, exclude FROM orders WHERE order_id = 'o1'"
    ).fetchall()[0]
    # Shanghai is UTC+8: stored UTC
    assert order == (
        "default",
        "o1",
        datetime(2024, 3, 15, 1),
        datetime(2024, 3, 15, 1, 1),
        Decimal("1299.00"),
        "completed",
        "交易成功",
        1,
        Decimal("0.00"),
        False,
    )
    msgs = con.execute(
        "SELECT sender, sent_at, is_auto, occurrence, source_file, source_row, seq, import_id "
        "FROM messages ORDER BY seq"
    ).fetchall()
    con.close()
    import_id = msgs[0][7]
    assert [m[5] for m in msgs] == [2, 3, 4, 5]  # header is row 1
    assert [m[6] for m in msgs] == [import_id * SEQ_FACTOR + r for r in (2, 3, 4, 5)]
    assert [m[3] for m in msgs] == [1, 1, 2, 1]  # the repeated message is occurrence 2
    assert msgs[3][:3] == ("buyer", datetime(2024, 3, 15, 1), False)  # offset taken as written
    assert {m[4] for m in msgs} == {"messages.csv"}


BROKEN_MESSAGES = [
    *GOOD_MESSAGES,
    ["", "shop:amy", "buyer", "2024-03-15 08:46:47", "", "no buyer"],  # row 6
    ["tb_x", "shop:amy", "robot", "2024-03-15 08:46:47", "", "unknown sender"],  # row 7
    ["tb_x", "shop:amy", "buyer", "2024-13-45 08:46:47", "", "bad time"],  # row 8
    ["tb_x", "shop:amy", "buyer", "2024-03-15 08:46:47", "maybe", "bad bool"],  # row 9
]
BROKEN_ORDERS = [
    *GOOD_ORDERS,
    ["o3", "tb_x", "2024-03-15 10:00:00", "", "-5", ""],  # row 4: negative amount
    ["o4", "tb_x", "2024-03-15 10:00:00", "2024-03-15 09:00:00", "5", ""],  # row 5: paid first
    ["o5", "tb_x", "2024-03-15 10:00:00", "", "5", "lost in space"],  # row 6: unknown status
    ["", "tb_x", "2024-03-15 10:00:00", "", "5", ""],  # row 7: missing key
    ["o6", "tb_x", "", "", "abc", ""],  # row 8: two problems
    ["o1", "tb_lily", "2024-03-15 09:00:00", "", "1", ""],  # row 9: duplicate of row 2
]


def test_every_broken_row_is_quarantined_and_good_rows_land(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    data = folder(tmp_path, BROKEN_MESSAGES, BROKEN_ORDERS)
    result = imports.import_path(data, get_settings(), db=db)
    assert result.to_json()["tables"] == {
        "messages": {"read": 8, "stored": 4, "updated": 0, "quarantined": 4},
        "orders": {"read": 8, "stored": 2, "updated": 0, "quarantined": 6},
    }
    got = {(q["table"], q["row"]): q for q in imports.list_quarantine(db)}
    expected = {
        ("messages", 6): ("buyer_id", "missing value"),
        ("messages", 7): ("sender", "unknown value 'robot' (accepted: agent, buyer)"),
        ("messages", 8): ("sent_at", "not a valid time: '2024-13-45 08:46:47'"),
        ("messages", 9): ("is_auto", "not a yes/no value: 'maybe'"),
        ("orders", 4): ("amount", "negative value: -5"),
        ("orders", 5): ("paid_at", "paid before it was created"),
        ("orders", 7): ("order_id", "missing value"),
        ("orders", 9): ("order_id", "same order_id as row 2 of this file (that row was kept)"),
    }
    for key, (column, reason) in expected.items():
        assert (got[key]["column"], got[key]["reason"]) == (column, reason), key
        assert got[key]["file"] == str(data / f"{key[0]}.csv")
        assert got[key]["shop_id"] == "default"
    assert got[("orders", 6)]["column"] == "status"
    assert "unknown value 'lost in space'" in got[("orders", 6)]["reason"]
    assert got[("orders", 8)]["column"] == "created_at, amount"
    assert got[("orders", 8)]["reason"] == "missing value; not a number: 'abc'"
    raw = json.loads(got[("messages", 7)]["raw"])
    # cells as in the file, trimmed; an empty cell is null
    assert raw == {**dict(zip(MESSAGES_HEADER, BROKEN_MESSAGES[5], strict=True)), "is_auto": None}
    assert rows(db, "SELECT count(*) FROM messages") == [(4,)]
    assert rows(db, "SELECT order_id FROM orders ORDER BY 1") == [("o1",), ("o2",)]
    assert rows(db, "SELECT amount FROM orders WHERE order_id = 'o1'") == [(Decimal("1299.00"),)]


def test_import_twice_stores_nothing_new(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    data = folder(tmp_path, BROKEN_MESSAGES, BROKEN_ORDERS)
    imports.import_path(data, get_settings(), db=db)
    before = rows(db, "SELECT * FROM messages ORDER BY seq") + rows(
        db, "SELECT * FROM orders ORDER BY seq"
    )
    again = imports.import_path(data, get_settings(), db=db)
    for counts in again.to_json()["tables"].values():
        assert (counts["stored"], counts["updated"]) == (0, 0)
    after = rows(db, "SELECT * FROM messages ORDER BY seq") + rows(
        db, "SELECT * FROM orders ORDER BY seq"
    )
    assert after == before  # same rows, same lineage and seq
    # the quarantine lists the file's bad rows once, not once per import
    assert len(imports.list_quarantine(db)) == 10
    assert rows(db, "SELECT count(*) FROM imports") == [(4,)]


def test_overlapping_export_updates_paid_at_and_keeps_unchanged_rows(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    imports.import_path(folder(tmp_path, GOOD_MESSAGES, GOOD_ORDERS), get_settings(), db=db)
    seq_o1 = rows(db, "SELECT seq FROM orders WHERE order_id = 'o1'")
    later = tmp_path / "later"
    later.mkdir()
    write_csv(
        later / "orders.csv",
        ORDERS_HEADER,
        [
            GOOD_ORDERS[0],  # unchanged
            ["o2", "tb_tom", "2024-03-15 10:00:00", "2024-03-16 08:00:00", "88", "买家已付款"],
            ["o7", "tb_new", "2024-03-16 10:00:00", "", "10", ""],
        ],
    )
    write_csv(later / "messages.csv", MESSAGES_HEADER, [*GOOD_MESSAGES[2:], GOOD_MESSAGES[0]])
    result = imports.import_path(later, get_settings(), db=db).to_json()["tables"]
    assert result["orders"] == {"read": 3, "stored": 1, "updated": 1, "quarantined": 0}
    # the repeated message is occurrence 1 in this file: it matches the first stored copy
    assert result["messages"] == {"read": 3, "stored": 0, "updated": 0, "quarantined": 0}
    assert rows(db, "SELECT paid_at, status, status_raw FROM orders WHERE order_id = 'o2'") == [
        (datetime(2024, 3, 16), "paid", "买家已付款")
    ]
    assert rows(db, "SELECT seq FROM orders WHERE order_id = 'o1'") == seq_o1
    assert rows(db, "SELECT count(*) FROM orders") == [(3,)]


def test_shops_message_ids_and_other_tables(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_csv(
        data / "messages.csv",
        ["shop_id", "message_id", *MESSAGES_HEADER, "收货地址"],
        [
            ["s1", "m1", "b", "a", "buyer", "1710463607", "", "epoch seconds", "杭州市某路1号"],
            ["s1", "m2", "b", "a", "agent", "1710463608000", "true", "epoch ms", ""],
            ["s2", "m1", "b", "a", "buyer", "2024/3/15 8:46:47", "", "other shop", ""],
            ["", "m3", "b", "a", "buyer", "2024-03-15 08:46:47.250", "", "no shop", ""],
            ["s1", "m1", "b", "a", "buyer", "1710463607", "", "dup id", ""],
        ],
    )
    write_csv(data / "orders.csv", ORDERS_HEADER, GOOD_ORDERS)
    write_csv(
        data / "agents.csv",
        [
            "agent_id",
            "name",
            "role",
            "level",
            "base_salary",
            "commission_rate",
            "hired_on",
            "left_on",
            "group",
        ],
        [
            ["a", "小美", "售前", "金牌", "4,500", "1.5%", "2023-01-05", "", "A组"],
            ["b", "阿强", "aftersale", "mid", "4000", "0.01", "2023/2/1", "2022-01-01", "B"],
        ],
    )
    write_csv(
        data / "reminders.csv",
        ["order_id", "agent_id", "sent_at", "channel", "script_id"],
        [
            ["o2", "a", "2024-03-15 10:05:00", "短信", "s1"],
            ["o999", "a", "2024-03-15 10:06:00", "", ""],
        ],
    )
    write_csv(
        data / "cases.csv",
        [
            "case_id",
            "order_id",
            "buyer_id",
            "agent_id",
            "kind",
            "opened_at",
            "resolved_at",
            "disputed",
        ],
        [
            [
                "c1",
                "o1",
                "tb_lily",
                "a",
                "仅退款",
                "2024-03-16 10:00:00",
                "2024-03-16 12:00:00",
                "否",
            ],
            [
                "c2",
                "o1",
                "tb_lily",
                "a",
                "return",
                "2024-03-16 10:00:00",
                "2024-03-16 09:00:00",
                "",
            ],
        ],
    )
    write_csv(
        data / "shifts.csv",
        ["agent_id", "starts_at", "ends_at"],
        [
            ["a", "2024-03-15 08:00:00", "2024-03-15 16:00:00"],
            ["a", "2024-03-16 08:00:00", "2024-03-16 08:00:00"],
        ],
    )
    write_csv(
        data / "ratings.csv",
        ["agent_id", "rated_on", "kind", "score", "note"],
        [
            ["a", "2024-03-15", "csat", "4.5", ""],
            ["a", "2024-03-15", "质检", "92", "good"],
            ["a", "2024-03-16", "dsr", "80", "x"],
            ["a", "2024-03-16", "exam", "120", ""],
        ],
    )
    db = tmp_path / "wh.duckdb"
    result = imports.import_path(data, get_settings(), db=db, shop="main").to_json()["tables"]
    assert result["messages"] == {"read": 5, "stored": 4, "updated": 0, "quarantined": 1}
    assert rows(db, "SELECT shop_id, message_id, sent_at FROM messages ORDER BY seq") == [
        ("s1", "m1", datetime(2024, 3, 15, 0, 46, 47)),
        ("s1", "m2", datetime(2024, 3, 15, 0, 46, 48)),
        ("s2", "m1", datetime(2024, 3, 15, 0, 46, 47)),
        ("main", "m3", datetime(2024, 3, 15, 0, 46, 47, 250000)),
    ]
    assert rows(
        db, "SELECT role, level, base_salary, commission_rate, hired_on, left_on FROM agents"
    ) == [
        (
            "presale",
            "gold",
            Decimal("4500.00"),
            Decimal("0.015000"),
            datetime(2023, 1, 5).date(),
            None,
        )
    ]
    assert result["agents"]["quarantined"] == 1
    assert rows(db, "SELECT order_id, channel FROM reminders ORDER BY sent_at") == [
        ("o2", "sms"),
        ("o999", "im"),
    ]
    assert [r["order_id"] for r in imports.list_unmatched_reminders(db)] == ["o999"]
    assert rows(db, "SELECT case_id, kind, disputed FROM cases") == [("c1", "refund", False)]
    assert result["shifts"] == {"read": 2, "stored": 1, "updated": 0, "quarantined": 1}
    assert rows(db, "SELECT kind, score FROM ratings ORDER BY rated_on, kind") == [
        ("csat", 90.0),
        ("quality_check", 92.0),
    ]
    reasons = {(q["table"], q["row"]): q["reason"] for q in imports.list_quarantine(db)}
    shops = {(q["table"], q["row"]): q["shop_id"] for q in imports.list_quarantine(db)}
    assert (shops[("messages", 6)], shops[("agents", 3)]) == ("s1", "main")
    assert reasons[("messages", 6)].startswith("same message_id as row 2")
    assert reasons[("cases", 3)] == "resolved before it was opened"
    assert reasons[("shifts", 3)] == "the shift ends before it starts"
    assert reasons[("ratings", 4)] == "a dsr score is on the 1-5 scale, got 80"
    assert reasons[("ratings", 5)] == "score out of 0-100: 120"
    assert reasons[("agents", 3)] == "left before being hired"
    assert "杭州市某路1号" not in json.dumps(imports.list_quarantine(db), ensure_ascii=False)


def test_memory_warehouse_from_folder(tmp_path: Path) -> None:
    data = folder(tmp_path, BROKEN_MESSAGES, BROKEN_ORDERS)
    con = open_memory_warehouse_from_folder(data, timezone="UTC")
    assert con.execute("SELECT count(*) FROM messages").fetchall() == [(4,)]
    assert con.execute("SELECT created_at FROM orders WHERE order_id = 'o1'").fetchall() == [
        (datetime(2024, 3, 15, 9),)
    ]
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(10,)]
    assert con.execute("SELECT count(*) FROM shifts").fetchall() == [(0,)]
    con.close()
    (data / "messages.csv").unlink()
    with pytest.raises(ValueError, match="no file for table messages"):
        open_memory_warehouse_from_folder(data, timezone="UTC")


def test_connect_creates_the_warehouse(tmp_path: Path) -> None:
    con = connect(tmp_path / "sub" / "wh.duckdb")
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert names == {*TABLES, "imports", "quarantine"}


def test_missing_required_column_is_a_clear_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "messages.csv", ["buyer_id", "agent_id", "content"], [["b", "a", "x"]]
    )
    result = imports.import_path(path, get_settings(), db=tmp_path / "wh.duckdb")
    assert not result.read_anything
    assert result.errors == [
        "messages.csv: required column sender, sent_at of table messages is missing"
    ]
