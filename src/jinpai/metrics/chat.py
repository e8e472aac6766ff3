"""Metric family: chat (metrics.md, Chat metrics). The blocks live in :mod:`blocks_chat`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from jinpai.metrics import blocks_chat  # noqa: F401  (registers the chat blocks)
from jinpai.metrics.base import Aggregate, Direction, Formula, Metric, Ratio, Unit, exact_mean
from jinpai.metrics.rules import MICROS_PER_SECOND

FAMILY = "chat"
ROUND_RULES = ("service_hours", "shift_only")


def _count(flag: str) -> Any:
    return lambda t: t[flag].cast("int64").sum()


def _quantile(q: float) -> Any:
    def value(t: ir.Table) -> ir.Scalar:
        seconds = t.duration_us.cast("float64") / MICROS_PER_SECOND
        return seconds.quantile(q, where=t.counted & t.answered)

    return value


def _unreplied(row: Mapping[str, Any], shop: Mapping[str, Any]) -> float | None:
    consulting, replied = row.get("consulting_buyers"), row.get("replied_buyers")
    if consulting is None or replied is None:
        return None
    return consulting - replied


METRICS: list[Metric] = [
    Aggregate(
        id="consulting_buyers",
        zh="咨询人数",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Buyer-days with at least one buyer message in the agent's chats (the shop: "
        "distinct buyer-days).",
        source="chat_days",
        value=_count("consulting"),
    ),
    Aggregate(
        id="received_buyers",
        zh="接待人数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet",),
        description="Buyer-days in which the buyer wrote and the agent sent a valid (not "
        "automatic) agent message, in either order (the shop: distinct buyer-days, any of the "
        "buyer's chats that day qualifies).",
        source="chat_days",
        value=_count("received"),
    ),
    Aggregate(
        id="rounds",
        zh="对话轮次",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Counted rounds: rounds beginning inside service_hours (and, with shift_only, "
        "inside a shift of the agent). A round begins at a buyer message when no round of the "
        "chat-day is open and ends at the next valid agent message; auto replies neither end nor "
        "begin a round; a round still open at the end of its day is unanswered; a round still "
        "open at as_of on the as_of day is dropped.",
        settings=ROUND_RULES,
        source="rounds",
        value=_count("counted"),
    ),
    Aggregate(
        id="avg_response_s",
        zh="平均响应时间",
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        family=FAMILY,
        tags=("daily_sheet", "trend", "summary"),
        description="Mean over counted rounds of min(duration, round_cap_s); an unanswered "
        "counted round counts as round_cap_s (with no cap, unanswered rounds are left out).",
        settings=(*ROUND_RULES, "round_cap_s"),
        source="rounds",
        value=lambda t: exact_mean(t.capped_us, MICROS_PER_SECOND, where=t.counted),
        empty=None,
    ),
    Aggregate(
        id="first_response_s",
        zh="首次响应时间",
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        family=FAMILY,
        tags=("summary",),
        description="Mean over chat-days with a valid reply of the time from the chat-day's "
        "first buyer message to the first valid reply after it; uncapped, all hours (the shop "
        "pools every chat-day).",
        source="agent_chat_days",
        value=lambda t: exact_mean(t.first_response_us, MICROS_PER_SECOND),
        empty=None,
    ),
    Aggregate(
        id="median_response_s",
        zh="响应时间中位数",
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        family=FAMILY,
        description="Median duration of the answered counted rounds, uncapped (linear "
        "interpolation between order statistics).",
        settings=ROUND_RULES,
        source="rounds",
        value=_quantile(0.5),
        empty=None,
    ),
    Aggregate(
        id="p90_response_s",
        zh="响应时间P90",
        unit=Unit.SECONDS,
        direction=Direction.LOWER,
        family=FAMILY,
        description="90th percentile of the duration of the answered counted rounds, uncapped "
        "(linear interpolation between order statistics).",
        settings=ROUND_RULES,
        source="rounds",
        value=_quantile(0.9),
        empty=None,
    ),
    Aggregate(
        id="fast_response_rate",
        zh="3分钟人工响应率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("summary",),
        description="Counted rounds answered within fast_response_s / counted rounds.",
        settings=(*ROUND_RULES, "fast_response_s"),
        source="rounds",
        # the mean of a 0/1 flag over no counted rounds is null, as a ratio over 0 must be
        value=lambda t: t.fast.cast("float64").mean(where=t.counted),
        empty=None,
    ),
    Aggregate(
        id="slow_buyers",
        zh="慢响应人数",
        unit=Unit.COUNT,
        direction=Direction.LOWER,
        family=FAMILY,
        description="Buyer-days with at least one counted round longer than slow_response_s or "
        "unanswered (the shop: any of the buyer's chats that day qualifies).",
        settings=(*ROUND_RULES, "slow_response_s"),
        source="chat_days",
        value=_count("slow"),
    ),
    Aggregate(
        id="replied_buyers",
        zh="回复人数",
        unit=Unit.COUNT,
        direction=Direction.HIGHER,
        family=FAMILY,
        description="Consulting buyer-days with a valid reply that day; with reply_within_s, "
        "also every counted round of that buyer-day (all its chats, for the shop) answered "
        "within it.",
        settings=(*ROUND_RULES, "reply_within_s"),
        source="chat_days",
        value=_count("replied"),
    ),
    Ratio(
        id="reply_rate",
        zh="回复率",
        unit=Unit.RATE,
        direction=Direction.HIGHER,
        family=FAMILY,
        tags=("daily_sheet", "summary"),
        description="replied_buyers / consulting_buyers.",
        settings=(*ROUND_RULES, "reply_within_s"),
        numerator="replied_buyers",
        denominator="consulting_buyers",
    ),
    Formula(
        id="unreplied_buyers",
        zh="未回复人数",
        unit=Unit.COUNT,
        direction=Direction.LOWER,
        family=FAMILY,
        description="consulting_buyers - replied_buyers.",
        settings=(*ROUND_RULES, "reply_within_s"),
        uses=("consulting_buyers", "replied_buyers"),
        compute=_unreplied,
    ),
    Aggregate(
        id="answer_ratio",
        zh="答问比",
        unit=Unit.INDEX,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="All valid agent messages of the period's chat-days (replies and outreach) "
        "/ all buyer messages of them.",
        source="chat_days",
        value=lambda t: (
            t.valid_agent_messages.sum().cast("float64") / t.buyer_messages.sum().nullif(0)
        ),
        empty=None,
    ),
    Aggregate(
        id="avg_reception_s",
        zh="平均接待时长",
        unit=Unit.SECONDS,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Mean over received chat-days of the last minus the first message of the "
        "chat-day, auto replies included (the shop pools every chat-day).",
        source="agent_chat_days",
        value=lambda t: exact_mean(t.reception_us, MICROS_PER_SECOND, where=t.received),
        empty=None,
    ),
    Aggregate(
        id="transfers_out",
        zh="转出人数",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        family=FAMILY,
        description="Buyer-days on which a round of this agent's chat-day was still open when "
        "the buyer wrote to another agent.",
        source="chat_days",
        value=_count("transferred_out"),
    ),
]
