"""The canonical tables (the contract of ``spec/data.md``): columns, types, keys, accepted values.

Every importer produces these tables and every metric reads nothing else. Validation of values
against these declarations lives in :mod:`jinpai.canonical.validation`, one place for all importers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    TIMESTAMP = "timestamp"  # stored as UTC; input without offset is shop-local
    DATE = "date"
    BOOL = "bool"
    DECIMAL = "decimal"  # yuan, >= 0
    INTEGER = "integer"
    SCORE = "score"  # 0-100 (1-5 scales are stored x 20)
    CHOICE = "choice"  # one of ``Column.choices`` values, spelled as any of its keys


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    zh: str = ""
    required: bool = False
    default: object = None
    # accepted spelling (lower-cased) -> canonical value, for CHOICE columns
    choices: dict[str, str] = field(default_factory=dict)
    nullable: bool = True
    description: str = ""
    # decimal places kept for DECIMAL columns (money: 2; rates need more)
    scale: int = 2


@dataclass(frozen=True)
class TableSchema:
    name: str
    zh: str
    columns: tuple[Column, ...]
    # natural key within a shop; an import upserts on (shop_id, *key)
    key: tuple[str, ...]
    required_table: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _choices(*groups: tuple[str, tuple[str, ...]]) -> dict[str, str]:
    """Map every accepted spelling (and the canonical value itself) to the canonical value."""
    out: dict[str, str] = {}
    for canonical, spellings in groups:
        out[canonical] = canonical
        for s in spellings:
            out[s.lower()] = canonical
    return out


SENDERS = _choices(("buyer", ("买家", "顾客", "customer")), ("agent", ("客服", "seller")))

ORDER_STATUSES = _choices(
    ("created", ("等待买家付款", "wait_buyer_pay", "待付款", "unpaid")),
    (
        "paid",
        (
            "买家已付款",
            "等待卖家发货",
            "已付款",
            "wait_seller_send_goods",
            "待发货",
            "processing",
            "invoiced",
            "approved",
        ),
    ),
    (
        "shipped",
        (
            "卖家已发货",
            "等待买家确认收货",
            "wait_buyer_confirm_goods",
            "已发货",
            "部分发货",
            "卖家部分发货",
            "seller_consigned_part",
        ),
    ),
    ("completed", ("交易成功", "trade_finished", "已完成", "delivered")),
    (
        "closed",
        (
            "交易关闭",
            "付款以后用户退款成功，交易自动关闭",
            "trade_closed",
            "trade_closed_by_taobao",
            "已关闭",
            "canceled",
            "cancelled",
            "unavailable",
        ),
    ),
)

ROLES = _choices(
    ("presale", ("售前", "售前客服")),
    ("aftersale", ("售后", "售后客服")),
    ("order_desk", ("订单专员", "订单")),
    ("supervisor", ("主管", "客服主管")),
)

LEVELS = _choices(
    ("junior", ("初级", "初级客服")),
    ("mid", ("中级", "中级客服")),
    ("senior", ("高级", "高级客服")),
    ("gold", ("金牌", "金牌客服")),
)

CHANNELS = _choices(
    ("im", ("旺旺", "千牛", "咚咚", "chat")), ("sms", ("短信",)), ("phone", ("电话",))
)

CASE_KINDS = _choices(
    ("refund", ("退款", "仅退款")),
    ("return", ("退货", "退货退款")),
    ("exchange", ("换货",)),
    ("complaint", ("投诉",)),
    ("other", ("其他", "其它")),
)

RATING_KINDS = _choices(
    ("quality_check", ("质检", "抽检")),
    ("exam", ("考试",)),
    ("csat", ("满意度", "客户满意度")),
    ("dsr", ("店铺动态评分",)),
    ("attendance", ("出勤",)),
    ("supervisor", ("主管评分",)),
)
# rating kinds given on a 1-5 scale and stored x 20
FIVE_POINT_RATINGS = frozenset({"csat", "dsr"})

T, TS, B, D, INT = Kind.TEXT, Kind.TIMESTAMP, Kind.BOOL, Kind.DECIMAL, Kind.INTEGER

MESSAGES = TableSchema(
    "messages",
    "聊天记录",
    (
        Column("buyer_id", T, "买家", required=True, nullable=False),
        Column(
            "agent_id",
            T,
            "客服",
            required=True,
            nullable=False,
            description="the sub-account of the chat, for both directions",
        ),
        Column("sender", Kind.CHOICE, "发送方", required=True, nullable=False, choices=SENDERS),
        Column("sent_at", TS, "发送时间", required=True, nullable=False),
        Column("is_auto", B, "自动回复", default=False, nullable=False),
        Column("content", T, "内容"),
        Column("message_id", T, "消息编号"),
    ),
    # message_id when present; else the content key plus the occurrence among identical rows
    key=("message_id",),
    required_table=True,
)

# the composite key of a message without message_id (plus its occurrence number in the file)
MESSAGE_CONTENT_KEY = ("buyer_id", "agent_id", "sender", "sent_at", "content")

ORDERS = TableSchema(
    "orders",
    "订单",
    (
        Column("order_id", T, "订单编号", required=True, nullable=False),
        Column("buyer_id", T, "买家", required=True, nullable=False),
        Column("created_at", TS, "下单时间", required=True, nullable=False),
        Column("paid_at", TS, "付款时间"),
        Column("amount", D, "实付金额", required=True, nullable=False),
        Column("status", Kind.CHOICE, "订单状态", choices=ORDER_STATUSES),
        Column("items", INT, "宝贝总数量", default=1, nullable=False),
        Column("refund_amount", D, "退款金额", default=0, nullable=False),
        Column("exclude", B, "补单", default=False, nullable=False),
        Column("sku", T, "商品编码"),
        Column("title", T, "宝贝标题"),
    ),
    key=("order_id",),
    required_table=True,
)

AGENTS = TableSchema(
    "agents",
    "客服名单",
    (
        Column("agent_id", T, "客服", required=True, nullable=False),
        Column("name", T, "姓名"),
        Column("role", Kind.CHOICE, "岗位", choices=ROLES),
        Column("level", Kind.CHOICE, "等级", choices=LEVELS),
        Column("base_salary", D, "底薪"),
        Column("commission_rate", D, "提成比例", scale=6),
        Column("hired_on", Kind.DATE, "入职日期"),
        Column("left_on", Kind.DATE, "离职日期"),
        Column("group", T, "小组"),
    ),
    key=("agent_id",),
)

REMINDERS = TableSchema(
    "reminders",
    "催付记录",
    (
        Column("order_id", T, "订单编号", required=True, nullable=False),
        Column("agent_id", T, "客服", required=True, nullable=False),
        Column("sent_at", TS, "催付时间", required=True, nullable=False),
        Column("channel", Kind.CHOICE, "渠道", default="im", nullable=False, choices=CHANNELS),
        Column("script_id", T, "话术"),
    ),
    key=("order_id", "agent_id", "sent_at", "channel"),
)

CASES = TableSchema(
    "cases",
    "售后工单",
    (
        Column("case_id", T, "工单编号", required=True, nullable=False),
        Column("order_id", T, "订单编号"),
        Column("buyer_id", T, "买家"),
        Column("agent_id", T, "客服"),
        Column("kind", Kind.CHOICE, "类型", default="other", nullable=False, choices=CASE_KINDS),
        Column("opened_at", TS, "创建时间", required=True, nullable=False),
        Column("resolved_at", TS, "完结时间"),
        Column("disputed", B, "纠纷", default=False, nullable=False),
    ),
    key=("case_id",),
)

SHIFTS = TableSchema(
    "shifts",
    "排班",
    (
        Column("agent_id", T, "客服", required=True, nullable=False),
        Column("starts_at", TS, "开始", required=True, nullable=False),
        Column("ends_at", TS, "结束", required=True, nullable=False),
    ),
    key=("agent_id", "starts_at"),
)

RATINGS = TableSchema(
    "ratings",
    "评价与抽检",
    (
        Column("agent_id", T, "客服", required=True, nullable=False),
        Column("rated_on", Kind.DATE, "日期", required=True, nullable=False),
        Column("kind", Kind.CHOICE, "类型", required=True, nullable=False, choices=RATING_KINDS),
        Column("score", Kind.SCORE, "分数", required=True, nullable=False),
        Column("note", T, "备注"),
    ),
    key=("agent_id", "rated_on", "kind", "note"),
)

TABLES: dict[str, TableSchema] = {
    t.name: t for t in (MESSAGES, ORDERS, AGENTS, REMINDERS, CASES, SHIFTS, RATINGS)
}

# columns every stored row carries besides its table's own
SHOP_ID = "shop_id"
DEFAULT_SHOP = "default"
