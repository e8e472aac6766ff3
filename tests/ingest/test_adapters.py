"""Adapters on real files: Taobao order export, chat-record text, mapped CSV, pseudonyms."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from jinpai.ingest.adapters import chat_text, taobao_orders
from jinpai.ingest.personal import pseudonym
from jinpai.services import imports
from jinpai.services.errors import ImportInputError
from jinpai.services.inputs import column_mapping
from jinpai.settings import get_settings
from tests.ingest.files import (
    PERSONAL_VALUES,
    TAOBAO_HEADER,
    all_text,
    taobao_rows,
    write_chat_export,
    write_csv,
    write_taobao_csv,
)


def fetch(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _check_taobao(db: Path) -> None:
    got = fetch(
        db,
        "SELECT order_id, buyer_id, created_at, paid_at, amount, status, status_raw, items, "
        "refund_amount, title, sku FROM orders ORDER BY order_id",
    )
    assert got == [
        (
            "3500012345678901234",
            "tb_lily",
            datetime(2024, 3, 15, 1),
            datetime(2024, 3, 15, 1, 2, 10),
            Decimal("1299.00"),
            "completed",
            "交易成功",
            1,
            Decimal("0.00"),
            "羊绒大衣",
            "SKU-1",
        ),
        (
            "3500012345678901235",
            "tb_tom",
            datetime(2024, 3, 15, 2),
            None,
            Decimal("88.00"),
            "created",
            "等待买家付款",
            2,
            Decimal("0.00"),
            "围巾",
            "SKU-2",
        ),
        # closed after payment, no refund column: fully refunded
        (
            "3500012345678901236",
            "tb_lily",
            datetime(2024, 3, 16, 3),
            datetime(2024, 3, 16, 3, 5),
            Decimal("2450.50"),
            "closed",
            "交易关闭",
            2,
            Decimal("2450.50"),
            "羊绒大衣",
            "SKU-1",
        ),
        # closed before payment: nothing to refund
        (
            "3500012345678901237",
            "tb_ann",
            datetime(2024, 3, 17, 4),
            None,
            Decimal("50.00"),
            "closed",
            "交易关闭",
            1,
            Decimal("0.00"),
            "手套",
            "SKU-3",
        ),
    ]
    text = all_text(db)
    for value in (*PERSONAL_VALUES, "lily@alipay.cn", "请发顺丰"):
        assert value not in text
    assert fetch(db, "SELECT adapter FROM imports") == [("taobao_orders",)]


def test_taobao_gbk_csv(tmp_path: Path) -> None:
    path = write_taobao_csv(tmp_path / "ExportOrderList20240318.csv")
    assert taobao_orders.matches(TAOBAO_HEADER)
    db = tmp_path / "wh.duckdb"
    result = imports.import_path(
        path, get_settings(), db=db
    )  # detected by its headers, any file name
    assert result.to_json() == {
        "tables": {"orders": {"read": 4, "stored": 4, "updated": 0, "quarantined": 0}}
    }
    _check_taobao(db)


def test_taobao_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(TAOBAO_HEADER)
    for row in taobao_rows():
        ws.append(row)
    wb.save(path)
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    _check_taobao(db)


def test_taobao_bad_row_quarantine_masks_personal_cells(tmp_path: Path) -> None:
    rows = taobao_rows()
    rows[1][4] = "￥-88.00"  # negative amount
    path = write_csv(tmp_path / "orders.csv", TAOBAO_HEADER, rows, encoding="gbk")
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    [q] = imports.list_quarantine(db)
    assert (q["row"], q["column"], q["reason"]) == (3, "amount", "negative value: ￥-88.00")
    raw = json.loads(q["raw"])
    for personal in ("收货人姓名", "联系手机", "收货地址", "买家支付宝账号", "买家留言"):
        assert personal not in raw  # only the cells read are kept (finding 6 of the trust issue)
    assert raw["订单编号"] == '="3500012345678901235"'
    for value in PERSONAL_VALUES:
        assert value not in all_text(db)


def test_taobao_refund_column_is_used_when_present(tmp_path: Path) -> None:
    header = [*TAOBAO_HEADER, "退款金额"]
    rows = [[*r, "100.00" if i == 2 else ""] for i, r in enumerate(taobao_rows())]
    path = write_csv(tmp_path / "orders.csv", header, rows, encoding="gbk")
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    assert fetch(db, "SELECT refund_amount FROM orders ORDER BY order_id") == [
        (Decimal("0.00"),),
        (Decimal("0.00"),),
        (Decimal("100.00"),),
        (Decimal("0.00"),),
    ]


def test_chat_text_parse_and_attribution() -> None:
    from tests.ingest.files import CHAT_EXPORT

    cols = chat_text.parse(CHAT_EXPORT.splitlines())
    got = list(
        zip(
            cols["_row"],
            cols["buyer_id"],
            cols["agent_id"],
            cols["sender"],
            cols["sent_at"],
            cols["is_auto"],
            cols["content"],
            strict=True,
        )
    )
    assert got == [
        (2, "tb_lily", "金牌旗舰店:小美", "buyer", "2024-03-15 08:59:50", "false", "在吗"),
        (3, "tb_lily", "金牌旗舰店:小美", "agent", "2024-03-15 08:59:51", "true", "您好，欢迎光临"),
        (
            4,
            "tb_lily",
            "金牌旗舰店:小美",
            "agent",
            "2024-03-15 09:00:30",
            "false",
            "亲，在的\n请问有什么可以帮您？",
        ),
        (
            6,
            "tb_lily",
            "金牌旗舰店:小美",
            "buyer",
            "2024-03-15 09:01:00",
            "false",
            "这件大衣有M码吗",
        ),
        (7, "tb_lily", "金牌旗舰店:小美", "agent", "2024/3/15 9:02:00", "false", "有的亲"),
        (9, "tb_tom", "金牌旗舰店:阿强", "buyer", "2024-03-15 10:00:00", "false", "发货了吗"),
        (11, "tb_tom", "金牌旗舰店:阿强", "agent", "2024-03-15 10:03:00", "false", "今天发"),
        (13, "tb_tom", "金牌旗舰店:阿强", "buyer", "2024-03-15 10:04:00", "false", "好的"),
    ]


def test_chat_text_transfer_moves_buyer_messages_to_the_new_agent() -> None:
    lines = [
        "2024-03-15 09:00:00 tb_a: 在吗",
        "2024-03-15 09:00:10 店:小美: 在的",
        "2024-03-15 09:01:00 tb_a: 我要退货",
        "2024-03-15 09:02:00 店:售后阿强: 我来处理",
    ]
    cols = chat_text.parse(lines)
    assert cols["agent_id"] == ["店:小美", "店:小美", "店:售后阿强", "店:售后阿强"]
    assert cols["buyer_id"] == ["tb_a"] * 4


def test_chat_text_import(tmp_path: Path) -> None:
    path = write_chat_export(tmp_path / "千牛聊天记录.txt", encoding="gb18030")
    path.write_bytes(path.read_bytes() + "孤立的一行\n".encode("gb18030"))  # continues the last
    db = tmp_path / "wh.duckdb"
    result = imports.import_path(path, get_settings(), db=db)
    assert result.to_json()["tables"]["messages"] == {
        "read": 8,
        "stored": 8,
        "updated": 0,
        "quarantined": 0,
    }
    assert fetch(db, "SELECT sent_at, content FROM messages WHERE source_row = 7") == [
        (datetime(2024, 3, 15, 1, 2), "有的亲")
    ]
    assert fetch(db, "SELECT content FROM messages WHERE source_row = 13") == [
        ("好的\n孤立的一行",)
    ]
    again = imports.import_path(path, get_settings(), db=db).to_json()["tables"]["messages"]
    assert (again["stored"], again["updated"]) == (0, 0)


def test_chat_text_without_agent_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "messages.txt"
    path.write_text(
        "---- 1 ----\n2024-03-15 09:00:00 tb_a: 在吗\n---- 2 ----\n"
        "2024-03-15 09:05:00 tb_b: hi\n2024-03-15 09:06:00 shop:amy: hello\n",
        encoding="utf-8",
    )
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    [q] = imports.list_quarantine(db)
    assert (q["row"], q["column"], q["reason"]) == (2, "agent_id", "missing value")
    assert json.loads(q["raw"]) == {"message": "2024-03-15 09:00:00 tb_a\n在吗"}


def test_map_option_and_time_format(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "export.csv",
        ["user", "staff", "who", "created", "text"],
        [
            ["u1", "a1", "customer", "15.03.2024 08:46", "hi"],
            ["u1", "a1", "seller", "15.03.2024 08:47", "yo"],
        ],
    )
    db = tmp_path / "wh.duckdb"
    result = imports.import_path(
        path,
        get_settings(),
        db=db,
        table="messages",
        mapping=column_mapping(
            "buyer_id=user,agent_id=staff,sender=who,sent_at=created,content=text"
        ),
        time_format="%d.%m.%Y %H:%M",
        timezone="UTC",
    )
    assert result.to_json()["tables"]["messages"]["stored"] == 2
    assert fetch(db, "SELECT sender, sent_at FROM messages ORDER BY seq") == [
        ("buyer", datetime(2024, 3, 15, 8, 46)),
        ("agent", datetime(2024, 3, 15, 8, 47)),
    ]
    bad = imports.import_path(
        path, get_settings(), db=db, table="messages", mapping=column_mapping("buyer_id=nope")
    )
    assert not bad.read_anything
    assert bad.errors == [
        "export.csv: the mapping names column 'nope', which the file does not have"
    ]
    with pytest.raises(ImportInputError, match="canonical=column"):
        imports.import_path(
            path, get_settings(), db=db, table="messages", mapping=column_mapping("buyer_id")
        )


def test_buyers_pseudonymised_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINPAI_PSEUDONYMISE_BUYERS", "true")
    monkeypatch.setenv("JINPAI_BUYER_SECRET", "s3cret")
    get_settings.cache_clear()
    try:
        data = tmp_path / "data"
        data.mkdir()
        write_taobao_csv(data / "orders.csv")
        write_chat_export(data / "messages.txt")
        write_csv(
            data / "cases.csv",
            ["case_id", "order_id", "buyer_id", "agent_id", "kind", "opened_at"],
            [
                ["c1", "o1", "tb_lily", "a", "退款", "2024-03-16 10:00:00"],
                ["c2", "o1", "tb_lily", "a", "投诉", "yesterday"],  # quarantined
            ],
        )
        db = tmp_path / "wh.duckdb"
        imports.import_path(data, get_settings(), db=db)
    finally:
        get_settings.cache_clear()
    lily = pseudonym("s3cret", "tb_lily")
    assert lily.startswith("b_") and len(lily) == 18
    for table in ("messages", "orders", "cases"):
        buyers = {r[0] for r in fetch(db, f"SELECT DISTINCT buyer_id FROM {table}")}
        assert lily in buyers
    [q] = imports.list_quarantine(db)
    assert json.loads(q["raw"])["buyer_id"] == lily
    assert "tb_lily" not in all_text(db)  # the quarantine included
