"""Inquiries, credit and sales (询单、落实与销售) and shop volume (metrics.md).

The blocks (``inquiries``, ``credited_orders`` and the order subsets) live in ``blocks_credit``.
Inquiries count by their day; sales, secured silent orders and orders_created by the order's
created day (a payment counts if it comes by as_of); orders_paid, paid_sales, paid_buyers and
silent_paid_share by the paid day.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from jinpai.metrics import blocks_credit  # noqa: F401  (registers the blocks)
from jinpai.metrics.base import Aggregate, Direction, Formula, Metric, Ratio, Unit, ratio

FAMILY = "conversion"
WINDOW = ("order_window_days",)
INQUIRY = ("order_window_days", "after_sales_days")


def _count_true(flag: ir.BooleanColumn) -> ir.IntegerScalar:
    return flag.cast("int64").sum()


def _per_buyer(total: ir.NumericScalar, t: ir.Table) -> ir.FloatingScalar:
    # a grain row exists only where the block has rows, so there is at least one buyer
    return total.cast("float64") / t.buyer_id.nunique()


def _share(part: ir.NumericScalar, whole: ir.NumericScalar) -> ir.FloatingScalar:
    return part.cast("float64") / whole.cast("float64").nullif(0)


def _aov_index(row: Mapping[str, Any], shop: Mapping[str, Any]) -> float | None:
    # the shop's own row has no shop row beside it: its index against itself
    base = shop.get("aov") if shop else row.get("aov")
    return ratio(row.get("aov"), base)


METRICS: list[Metric] = [
    Aggregate(
        id="inquiries",
        zh="询单人数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet", "summary"),
        description="Inquiries: buyer-days in which the buyer wrote and got a valid reply from "
        "some agent, except after-sales consultations (after_sales_days > 0, an order of the "
        "buyer, paid or not, created in [t0 - after_sales_days x 24 h, t0), where t0 is the "
        "buyer-day's first buyer message, and no order created in the conversion window "
        "[t0, end of day D + order_window_days - 1)). Per agent: the inquiries the agent gave a "
        "valid reply to that day; the shop counts each buyer-day once. By the inquiry's day.",
        settings=INQUIRY,
        source="inquiries",
        value=lambda t: t.count(),
    ),
    Aggregate(
        id="ordering_buyers",
        zh="询单->下单人数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Inquiries whose buyer created, in the conversion window, an order credited "
        "to this agent (shop: any order, silent ones included).",
        settings=INQUIRY,
        source="inquiries",
        value=lambda t: _count_true(t.ordered),
    ),
    Aggregate(
        id="paying_buyers",
        zh="询单->最终付款人数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet",),
        description="Inquiries whose buyer created, in the conversion window, an order credited "
        "to this agent (shop: any order) that is paid by as_of.",
        settings=INQUIRY,
        source="inquiries",
        value=lambda t: _count_true(t.paid),
    ),
    Aggregate(
        id="next_day_paying_buyers",
        zh="询单->次日付款人数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Inquiries on day D whose buyer created, in the conversion window, an order "
        "credited to this agent (shop: any order) paid before the end of day D + 1.",
        settings=INQUIRY,
        source="inquiries",
        value=lambda t: _count_true(t.next_day_paid),
    ),
    Ratio(
        id="inquiry_conversion",
        zh="询单转化率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("summary",),
        description="ordering_buyers / inquiries.",
        settings=INQUIRY,
        numerator="ordering_buyers",
        denominator="inquiries",
    ),
    Ratio(
        id="order_to_payment",
        zh="付款转化率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="paying_buyers / ordering_buyers.",
        settings=INQUIRY,
        numerator="paying_buyers",
        denominator="ordering_buyers",
    ),
    Ratio(
        id="inquiry_to_payment",
        zh="询单->最终付款成功率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet", "trend", "summary"),
        description="paying_buyers / inquiries.",
        settings=INQUIRY,
        numerator="paying_buyers",
        denominator="inquiries",
    ),
    Ratio(
        id="inquiry_to_next_day_payment",
        zh="询单->次日付款成功率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="next_day_paying_buyers / inquiries.",
        settings=INQUIRY,
        numerator="next_day_paying_buyers",
        denominator="inquiries",
    ),
    Aggregate(
        id="sales",
        zh="销售额",
        unit=Unit.YUAN,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet", "trend", "summary"),
        description="Sum of amount - refund_amount over the sales orders: inquiry orders "
        "credited to the agent (shop: all inquiry orders) created in the period, paid by as_of, "
        "and not fully refunded. An inquiry order is one whose buyer got a valid reply in its "
        "credit lookback [start of day C - order_window_days + 1, created_at), C its created "
        "day; it is credited to the agent of the last such reply.",
        settings=WINDOW,
        source="sales_orders",
        day="created_day",
        value=lambda t: t.net.sum(),
    ),
    Aggregate(
        id="aov",
        zh="客单价",
        unit=Unit.YUAN,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet", "summary"),
        description="sales / distinct buyers of the sales orders.",
        settings=WINDOW,
        source="sales_orders",
        day="created_day",
        value=lambda t: _per_buyer(t.net.sum(), t),
        empty=None,
    ),
    Formula(
        id="aov_index",
        zh="落实客单价指数",
        unit=Unit.INDEX,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="The agent's aov / the shop's aov over the same period (the shop: 1).",
        settings=WINDOW,
        uses=("aov",),
        compute=_aov_index,
    ),
    Aggregate(
        id="items_per_buyer",
        zh="客件数",
        unit=Unit.ITEMS,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Items of the sales orders / distinct buyers of the sales orders.",
        settings=WINDOW,
        source="sales_orders",
        day="created_day",
        value=lambda t: _per_buyer(t["items"].sum(), t),
        empty=None,
    ),
    Aggregate(
        id="secured_silent_buyers",
        zh="静默下单落实付款人数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Distinct buyers of the secured silent orders created in the period, paid "
        "and not fully refunded. A silent order (no valid reply to its buyer in its credit "
        "lookback) is secured by the agent of the last valid reply to its buyer in "
        "[created_at, paid_at).",
        settings=WINDOW,
        source="secured_silent_orders",
        day="created_day",
        value=lambda t: t.buyer_id.nunique(),
    ),
    Aggregate(
        id="secured_silent_sales",
        zh="静默下单落实付款金额",
        unit=Unit.YUAN,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Sum of amount - refund_amount of the secured silent orders created in the "
        "period, paid and not fully refunded; reported apart from sales.",
        settings=WINDOW,
        source="secured_silent_orders",
        day="created_day",
        value=lambda t: t.net.sum(),
    ),
    Aggregate(
        id="silent_order_share",
        zh="静默下单占比",
        unit=Unit.RATE,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        tags=("trend", "summary"),
        description="Silent orders (no valid reply to the buyer in the credit lookback, judged "
        "at order time) / orders created in the period.",
        settings=WINDOW,
        shop_only=True,
        source="volume_orders",
        day="created_day",
        value=lambda t: _share(_count_true(t.credit == "silent"), t.count()),
        empty=None,
    ),
    Aggregate(
        id="silent_paid_share",
        zh="静默付款占比",
        unit=Unit.RATE,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        tags=("summary",),
        description="Orders paid in the period with no valid reply to the buyer in [start of "
        "the credit lookback, paid_at) / orders paid in the period (judged at payment time).",
        settings=WINDOW,
        shop_only=True,
        source="volume_orders",
        day="paid_day",
        value=lambda t: _share(_count_true(t.silent_at_payment), t.count()),
        empty=None,
    ),
    Aggregate(
        id="orders_created",
        zh="下单订单数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Orders created in the period (per agent: the inquiry orders credited to "
        "the agent).",
        settings=WINDOW,
        source="volume_orders",
        day="created_day",
        value=lambda t: t.count(),
    ),
    Aggregate(
        id="orders_paid",
        zh="付款订单数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Orders paid in the period (paid_at in it, by as_of), fully refunded ones "
        "included (per agent: the inquiry orders credited to the agent).",
        settings=WINDOW,
        source="volume_orders",
        day="paid_day",
        value=lambda t: t.count(),
    ),
    Aggregate(
        id="paid_sales",
        zh="店铺销售额",
        unit=Unit.YUAN,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Sum of amount - refund_amount of the orders paid in the period (per agent: "
        "the inquiry orders credited to the agent).",
        settings=WINDOW,
        source="volume_orders",
        day="paid_day",
        value=lambda t: t.net.sum(),
    ),
    Aggregate(
        id="paid_buyers",
        zh="付款买家数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Distinct buyers of the orders paid in the period (per agent: the inquiry "
        "orders credited to the agent).",
        settings=WINDOW,
        source="volume_orders",
        day="paid_day",
        value=lambda t: t.buyer_id.nunique(),
    ),
    Aggregate(
        id="inquiry_sales_share",
        zh="询单销售占比",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="The part of paid_sales from inquiry orders / paid_sales.",
        settings=WINDOW,
        shop_only=True,
        source="volume_orders",
        day="paid_day",
        value=lambda t: _share(t.net.sum(where=t.credit == "inquiry").fill_null(0), t.net.sum()),
        empty=None,
    ),
]
