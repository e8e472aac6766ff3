"""Readers on real files: encodings, Excel, Parquet, malformed rows and their numbers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jinpai.ingest.readers import ReadError, detect_encoding, read_csv, read_table_file
from jinpai.services import imports
from jinpai.settings import get_settings
from tests.ingest.files import MESSAGES_HEADER, write_csv

CHINESE_ROWS = [
    ["顾客甲", "旗舰店:小美", "买家", "2024-03-15 08:46:47", "否", "这件衣服有货吗？"],
    ["顾客甲", "旗舰店:小美", "客服", "2024-03-15 08:47:05", "否", "有的亲，今天发货"],
]


def cells(path: Path) -> list[dict[str, str]]:
    raw = read_table_file(path)
    out = []
    for batch in raw.batches:
        for rec in batch.to_pylist():
            out.append(
                {"_row": rec["_row"], **{h: rec[f"r{i}"] for i, h in enumerate(raw.headers)}}
            )
    return out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "messages.csv", MESSAGES_HEADER, CHINESE_ROWS, encoding=encoding)
    raw = read_csv(path)
    assert raw.headers == MESSAGES_HEADER  # no BOM left on the first header
    got = cells(path)
    assert [r["content"] for r in got] == ["这件衣服有货吗？", "有的亲，今天发货"]
    assert [r["_row"] for r in got] == [2, 3]


def test_gbk_and_bom_files_import(tmp_path: Path) -> None:
    for encoding in ("gbk", "utf-8-sig"):
        path = write_csv(tmp_path / f"{encoding}.csv", MESSAGES_HEADER, CHINESE_ROWS, encoding)
        db = tmp_path / f"{encoding}.duckdb"
        result = imports.import_path(path, get_settings(), db=db, table="messages")
        assert result.to_json()["tables"]["messages"] == {
            "read": 2,
            "stored": 2,
            "updated": 0,
            "quarantined": 0,
        }


def test_detect_encoding() -> None:
    text = "订单编号,买家会员名\n1,张三\n"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(text.encode("gbk")) == "gb18030"


def test_malformed_rows_are_numbered_and_do_not_shift_the_others(tmp_path: Path) -> None:
    path = tmp_path / "messages.csv"
    path.write_text(
        "buyer_id,agent_id,sender,sent_at,is_auto,content\n"
        "b,a,buyer,2024-03-15 08:00:00,,one\n"
        "b,a,buyer\n"
        'b,a,agent,2024-03-15 08:01:00,,"two\nlines"\n'
        "b,a,buyer,2024-03-15 08:02:00,,three,extra\n"
        "b,a,buyer,2024-03-15 08:03:00,,four\n",
        encoding="utf-8",
    )
    raw = read_csv(path)
    got = [r for b in raw.batches for r in b.to_pylist()]
    assert [(r["_row"], r["r5"]) for r in got] == [(2, "one"), (4, "two\nlines"), (6, "four")]
    assert [(m.row, m.reason) for m in raw.malformed] == [
        (3, "the row has 3 cells, the header 6"),
        (5, "the row has 7 cells, the header 6"),  # records, not lines: as Excel shows them
    ]
    db = tmp_path / "wh.duckdb"
    counts = imports.import_path(path, get_settings(), db=db).to_json()["tables"]["messages"]
    assert counts == {"read": 5, "stored": 3, "updated": 0, "quarantined": 2}


def test_xlsx_reads_cells_as_text(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["order_id", "buyer_id", "created_at", "paid_at", "amount", "status", "items"])
    ws.append([3500012345678901, "tb_lily", datetime(2024, 3, 15, 9), None, 1299.5, "交易成功", 2])
    ws.append([None, None, None, None, None, None, None])  # an empty row is skipped, not numbered
    ws.append(["A-2", "tb_tom", "2024/3/15 10:00:00", "2024-03-15 10:01", "¥88", "", 1.0])
    wb.save(path)
    got = cells(path)
    assert got == [
        {
            "_row": 2,
            "order_id": "3500012345678901",
            "buyer_id": "tb_lily",
            "created_at": "2024-03-15 09:00:00",
            "paid_at": None,
            "amount": "1299.5",
            "status": "交易成功",
            "items": "2",
        },
        {
            "_row": 4,
            "order_id": "A-2",
            "buyer_id": "tb_tom",
            "created_at": "2024/3/15 10:00:00",
            "paid_at": "2024-03-15 10:01",
            "amount": "¥88",
            "status": None,
            "items": "1",
        },
    ]
    db = tmp_path / "wh.duckdb"
    counts = imports.import_path(path, get_settings(), db=db).to_json()["tables"]["orders"]
    assert counts == {"read": 2, "stored": 2, "updated": 0, "quarantined": 0}


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "messages.parquet"
    table = pa.table(
        {
            "buyer_id": ["b1", "b2"],
            "agent_id": ["a", "a"],
            "sender": ["buyer", "agent"],
            "sent_at": pa.array(
                [datetime(2024, 3, 15, 8), datetime(2024, 3, 15, 0, 1)],
                pa.timestamp("us", "UTC"),
            ),
            "is_auto": [False, True],
            "content": ["x", None],
        }
    )
    pq.write_table(table, path)
    got = cells(path)
    assert [r["_row"] for r in got] == [1, 2]
    assert got[0]["sent_at"].startswith("2024-03-15 08:00:00") and got[0]["sent_at"].endswith("Z")
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT sent_at, is_auto FROM messages ORDER BY seq").fetchall() == [
        (datetime(2024, 3, 15, 8), False),  # UTC kept as written
        (datetime(2024, 3, 15, 0, 1), True),
    ]
    con.close()


def test_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "messages.csv"
    empty.write_bytes(b"")
    with pytest.raises(ReadError, match="empty"):
        read_csv(empty)
    broken = tmp_path / "orders.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ReadError, match="Excel"):
        read_table_file(broken)
