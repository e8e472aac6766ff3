"""Taobao/Tmall order export (订单报表): Chinese headers, GBK CSV or xlsx.

Order numbers come as ``="2345..."`` and money as text (validation handles both); 订单付款时间 is
empty while unpaid; 订单状态 is mapped to the canonical status and kept as ``status_raw``. Without
a 退款金额 column an order 交易关闭 after payment is taken as fully refunded. Buyer names, phones
and addresses (收货人姓名, 联系电话, 联系手机, 收货地址, ...) are never staged.
"""

from __future__ import annotations

from jinpai.ingest.adapters.base import Plan
from jinpai.ingest.personal import is_personal

NAME = "taobao_orders"

# header -> canonical column; the first header present wins for a column
HEADERS: tuple[tuple[str, str], ...] = (
    ("订单编号", "order_id"),
    ("订单号", "order_id"),
    ("买家会员名", "buyer_id"),
    ("买家昵称", "buyer_id"),
    ("买家实际支付金额", "amount"),
    ("实付金额", "amount"),
    ("买家应付货款", "amount"),
    ("订单状态", "status"),
    ("订单创建时间", "created_at"),
    ("下单时间", "created_at"),
    ("订单付款时间", "paid_at"),
    ("付款时间", "paid_at"),
    ("宝贝总数量", "items"),
    ("宝贝标题", "title"),
    ("商品标题", "title"),
    ("退款金额", "refund_amount"),
    ("商家编码", "sku"),
    ("商品编码", "sku"),
    ("店铺名称", "shop_id"),
)
_SIGNATURE = ({"订单编号", "订单号"}, {"买家会员名", "买家实际支付金额", "订单付款时间"})


def matches(headers: list[str]) -> bool:
    """A Taobao order export names its order and one of the buyer/payment columns in Chinese."""
    names = {h.strip() for h in headers}
    return all(names & group for group in _SIGNATURE)


def plan(headers: list[str], *, use_shop_column: bool = False) -> Plan:
    """``use_shop_column``: take 店铺名称 as shop_id (off by default: --shop names the shop)."""
    wanted = dict(HEADERS)
    order = {h: i for i, (h, _) in enumerate(HEADERS)}  # earlier spellings win
    sources: dict[str, str] = {}
    rank: dict[str, int] = {}
    personal: set[int] = set()
    for i, h in enumerate(headers):
        name = h.strip()
        column = wanted.get(name)
        if column == "shop_id" and not use_shop_column:
            column = None
        if column is not None and order[name] < rank.get(column, len(HEADERS)):
            sources[column], rank[column] = f"r{i}", order[name]
        elif column is None and is_personal(name):
            personal.add(i)
    return Plan(
        NAME,
        "orders",
        sources,
        headers,
        personal,
        closed_after_payment_refunded="refund_amount" not in sources,
    )
