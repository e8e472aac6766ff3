"""Builders of real import files for the tests (CSV in any encoding, Taobao exports, chats)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

MESSAGES_HEADER = ["buyer_id", "agent_id", "sender", "sent_at", "is_auto", "content"]
ORDERS_HEADER = ["order_id", "buyer_id", "created_at", "paid_at", "amount", "status"]

# personal cells of the Taobao export below: none may be stored anywhere
PERSONAL_VALUES = ("王小明", "13812345678", "0571-88886666", "浙江省杭州市西湖区文三路100号")

TAOBAO_HEADER = [
    "订单编号",
    "买家会员名",
    "买家支付宝账号",
    "买家应付货款",
    "买家实际支付金额",
    "订单状态",
    "收货人姓名",
    "收货地址",
    "联系电话",
    "联系手机",
    "订单创建时间",
    "订单付款时间",
    "宝贝标题",
    "宝贝总数量",
    "商家编码",
    "买家留言",
]


def write_csv(
    path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8"
) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def taobao_rows() -> list[list[object]]:
    """Four orders: completed, unpaid, closed after payment, closed before payment."""
    common = ["王小明", "浙江省杭州市西湖区文三路100号", "0571-88886666", "'13812345678"]
    return [
        [
            '="3500012345678901234"',
            "tb_lily",
            "lily@alipay.cn",
            "1299.00",
            "￥1,299.00",
            "交易成功",
            *common,
            "2024-03-15 09:00:00",
            "2024-03-15 09:02:10",
            "羊绒大衣",
            "1",
            "SKU-1",
            "请发顺丰",
        ],
        [
            '="3500012345678901235"',
            "tb_tom",
            "tom@alipay.cn",
            "88.00",
            "88.00",
            "等待买家付款",
            *common,
            "2024-03-15 10:00:00",
            "",
            "围巾",
            "2",
            "SKU-2",
            "",
        ],
        [
            '="3500012345678901236"',
            "tb_lily",
            "lily@alipay.cn",
            "2,450.50",
            "￥2,450.50",
            "交易关闭",
            *common,
            "2024-03-16 11:00:00",
            "2024-03-16 11:05:00",
            "羊绒大衣",
            "2",
            "SKU-1",
            "联系我13812345678",
        ],
        [
            '="3500012345678901237"',
            "tb_ann",
            "ann@alipay.cn",
            "50.00",
            "50.00",
            "交易关闭",
            *common,
            "2024-03-17 12:00:00",
            "",
            "手套",
            "1",
            "SKU-3",
            "",
        ],
    ]


def write_taobao_csv(path: Path) -> Path:
    return write_csv(path, TAOBAO_HEADER, taobao_rows(), encoding="gbk")


CHAT_EXPORT = """\
==================== 买家 tb_lily ====================
2024-03-15 08:59:50 tb_lily: 在吗
2024-03-15 08:59:51 金牌旗舰店:小美: [自动回复]您好，欢迎光临
2024-03-15 09:00:30 金牌旗舰店:小美: 亲，在的
请问有什么可以帮您？
2024-03-15 09:01:00 tb_lily：这件大衣有M码吗
2024/3/15 9:02:00 金牌旗舰店:小美: 有的亲
==================== 买家 tb_tom ====================
tb_tom (2024-03-15 10:00:00):
  发货了吗
金牌旗舰店:阿强 2024-03-15 10:03:00
  今天发
2024-03-15 10:04:00 tb_tom: 好的
"""


def write_chat_export(path: Path, encoding: str = "utf-8") -> Path:
    path.write_bytes(CHAT_EXPORT.encode(encoding))
    return path


def all_text(db: Path) -> str:
    """Every VARCHAR value of every table of a warehouse file, joined (to grep for leaks)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        parts: list[str] = []
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            cols = [
                c
                for c, t in con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?",
                    [table],
                ).fetchall()
                if t == "VARCHAR"
            ]
            for c in cols:
                values = con.execute(f'SELECT "{c}" FROM "{table}"').fetchall()
                parts.extend(str(v[0]) for v in values if v[0] is not None)
        return "\n".join(parts)
    finally:
        con.close()
