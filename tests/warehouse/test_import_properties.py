"""Properties of an import on random files mixing good and bad cells: it never fails, every row
of a file either lands or is quarantined with its file, row, column and reason, and importing the
same files again changes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinpai.canonical.schema import TABLES
from jinpai.services import imports
from jinpai.settings import get_settings
from tests.ingest.files import MESSAGES_HEADER, ORDERS_HEADER, write_csv

TIMES = ["2024-03-15 09:00:00", "2024-03-15T09:00:00+08:00", "2024/3/16 8:05", "2024-13-45 08:00:00",
         "yesterday", "", "  ", "2024-03-15 08:59:59.5"]  # fmt: skip
MESSAGE_CELLS = {
    "buyer_id": ["tb_a", "tb_b", "", "买家小王", "tb a"],
    "agent_id": ["shop:amy", "店:小美", "", "shop:bob"],
    "sender": ["buyer", "agent", "买家", "客服", "robot", ""],
    "sent_at": TIMES,
    "is_auto": ["", "否", "是", "true", "0", "maybe"],
    "content": ["在吗", "", "电话 13812345678", "😀" * 3, "a,b\nc", '"quoted"'],
}
ORDER_CELLS = {
    "order_id": ["o1", "o2", "o3", "", "订单#4"],
    "buyer_id": ["tb_a", "tb_b", ""],
    "created_at": TIMES,
    "paid_at": TIMES,
    "amount": ["88", "¥1,299.00", "-5", "abc", "", "0", "1e3", "12.345"],
    "status": ["", "交易成功", "等待买家付款", "交易关闭", "lost in space"],
}


def rows_of(cells: dict[str, list[str]], header: list[str]) -> st.SearchStrategy[list[list[str]]]:
    row = st.tuples(*(st.sampled_from(cells[c]) for c in header)).map(list)
    return st.lists(row, min_size=1, max_size=12)


def stored(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY seq").fetchall() for t in ("messages", "orders")}  # fmt: skip
    finally:
        con.close()


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rows_of(MESSAGE_CELLS, MESSAGES_HEADER), rows_of(ORDER_CELLS, ORDERS_HEADER))
def test_every_row_lands_or_is_quarantined_with_its_place(
    messages: list[list[str]], orders: list[list[str]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        write_csv(data / "messages.csv", MESSAGES_HEADER, messages)
        write_csv(data / "orders.csv", ORDERS_HEADER, orders)
        db = Path(tmp) / "wh.duckdb"
        result = imports.import_path(data, get_settings(), db=db).to_json()["tables"]
        quarantine = imports.list_quarantine(db)
        counts = {"messages": len(messages), "orders": len(orders)}
        first = stored(db)
        for table, read in counts.items():
            got = result[table]
            assert got["read"] == read
            assert got["stored"] + got["quarantined"] == read, got
            assert len(first[table]) == got["stored"]
            mine = [q for q in quarantine if q["table"] == table]
            assert len(mine) == got["quarantined"]
            columns = set(TABLES[table].column_names)
            for q in mine:
                assert q["file"] == str(data / f"{table}.csv")
                assert 2 <= q["row"] <= read + 1  # the header is row 1
                assert q["reason"] and set(q["column"].split(", ")) <= columns, q
        assert not any("13812345678" in str(row) for row in first["messages"])

        again = imports.import_path(data, get_settings(), db=db).to_json()["tables"]
        assert all((t["stored"], t["updated"]) == (0, 0) for t in again.values())
        assert stored(db) == first
        assert len(imports.list_quarantine(db)) == len(quarantine)
