"""A small canonical data folder for the surface tests (report, explain, exports).

The chat of metrics.md's worked example (b1 with a1 on 03-15), the credit example (b2: a1 on
03-15, transferred to a2 on 03-16, orders 03-16 20:00 for 300 yuan, pays 03-17 08:00) and the
secured silent order of b3 (orders 12:00 without chat, asks a1, pays 12:10). a3 is on the roster
with no activity at all.
"""

from __future__ import annotations

from pathlib import Path

MESSAGES = """buyer_id,agent_id,sender,sent_at,is_auto,content
b1,a1,buyer,2024-03-15 08:59:50,false,在吗
b1,a1,agent,2024-03-15 09:00:00,true,您好，欢迎光临
b1,a1,buyer,2024-03-15 09:00:20,false,这款有加绒的吗
b1,a1,agent,2024-03-15 09:01:10,false,有的亲
b1,a1,buyer,2024-03-15 09:30:00,false,尺码怎么选
b1,a1,agent,2024-03-15 09:45:00,false,按身高选
b1,a1,buyer,2024-03-15 22:59:00,false,还在吗
b2,a1,buyer,2024-03-15 10:00:00,false,保暖裤有货吗
b2,a1,agent,2024-03-15 10:01:00,false,有货
b3,a1,buyer,2024-03-15 12:05:00,false,什么时候发货
b3,a1,agent,2024-03-15 12:06:00,false,今天就发
b2,a2,buyer,2024-03-16 09:00:00,false,我想再问问
b2,a2,agent,2024-03-16 09:02:00,false,您说
"""

ORDERS = """order_id,buyer_id,created_at,paid_at,amount,items,sku,title
o1,b2,2024-03-16 20:00:00,2024-03-17 08:00:00,300.00,2,LS-101,加绒保暖裤
o3,b3,2024-03-15 12:00:00,2024-03-15 12:10:00,120.00,1,LS-205,羊毛袜
"""

AGENTS = """agent_id,name,role,level,hired_on
a1,小美,presale,mid,2023-01-01
a2,小丽,presale,junior,2024-01-01
a3,小新,aftersale,junior,2024-02-01
"""

PERIOD = ("2024-03-15", "2024-03-17")
AS_OF = "2024-03-20T00:00:00"


def write_shop_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "messages.csv").write_text(MESSAGES, encoding="utf-8")
    (folder / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (folder / "agents.csv").write_text(AGENTS, encoding="utf-8")
    return folder


def report_args(folder: Path, *extra: str) -> list[str]:
    return [
        "report",
        "--data",
        str(folder),
        "--from",
        PERIOD[0],
        "--to",
        PERIOD[1],
        "--as-of",
        AS_OF,
        *extra,
    ]
