"""Building blocks of the chat family (metrics.md, Chat metrics): replies, rounds and chat-days.

A **chat** is the messages of one (shop, buyer, agent), a **chat-day** those of one shop-local day:
its key is ``(shop_id, agent_id, buyer_id, day)``. Within a chat-day events are ordered by
``(sent_us, seq)``. Auto replies (``is_auto``) are never valid agent messages: they neither reply,
nor end or begin a round; they only count in a chat-day's reception time.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from jinpai.metrics.base import Level
from jinpai.metrics.context import MetricContext, block
from jinpai.metrics.rules import MICROS_PER_DAY, MICROS_PER_SECOND

CHAT_DAY = ("shop_id", "agent_id", "buyer_id", "day")
BUYER_DAY = ("shop_id", "buyer_id", "day")


def _seconds(micros: ir.IntegerValue) -> ir.FloatingValue:
    return micros.cast("float64") / MICROS_PER_SECOND


def _left_join(left: ir.Table, right: ir.Table, on: Sequence[str]) -> ir.Table:
    """``left`` with ``right``'s other columns (null where no match), by equal ``on`` columns.

    The right keys are renamed first so that no backend-specific suffixing is relied on."""
    renamed = right.rename({f"r_{k}": k for k in on})
    joined = left.left_join(renamed, [left[k] == renamed[f"r_{k}"] for k in on])
    return joined.drop(*(f"r_{k}" for k in on))


def _inner_join(left: ir.Table, right: ir.Table, on: Sequence[str]) -> ir.Table:
    """``left`` with ``right``'s other columns, by equal ``on`` columns (no suffixing relied on)."""
    renamed = right.rename({f"r_{k}": k for k in on})
    joined = left.join(renamed, [left[k] == renamed[f"r_{k}"] for k in on])
    return joined.drop(*(f"r_{k}" for k in on))


def _valid_messages(ctx: MetricContext) -> ir.Table:
    """Buyer messages and valid agent messages with their chat-day ``day`` and ``is_buyer``."""
    m = ctx.messages
    m = m.filter((m.sender == "buyer") | ((m.sender == "agent") & ~m.is_auto))
    return m.mutate(day=m.sent_day, is_buyer=m.sender == "buyer")


@block("valid_replies")
def valid_replies(ctx: MetricContext, level: Level) -> ir.Table:
    """Valid agent messages that come after a buyer message of the same chat-day (level-free)."""
    if level is Level.SHOP:
        return ctx.block("valid_replies", Level.AGENT)
    # "after a buyer message" = after the chat-day's first one, the least (sent_us, seq): hash
    # aggregates and joins instead of a window sort of every message
    s = _valid_messages(ctx)
    b = s.filter(s.is_buyer)
    first = b.group_by(list(CHAT_DAY)).aggregate(first_us=b.sent_us.min())
    at_first = _inner_join(b, first, CHAT_DAY)
    at_first = at_first.filter(at_first.sent_us == at_first.first_us)
    first = at_first.group_by([*CHAT_DAY, "first_us"]).aggregate(first_seq=at_first.seq.min())
    a = _inner_join(s.filter(~s.is_buyer), first, CHAT_DAY)
    replies = a.filter(
        (a.sent_us > a.first_us) | ((a.sent_us == a.first_us) & (a.seq > a.first_seq))
    )
    return replies.select(
        "shop_id",
        "agent_id",
        "buyer_id",
        "day",
        "sent_us",
        "sent_lus",
        "seq",
        "message_id",
    )


@block("all_rounds")
def all_rounds(ctx: MetricContext, level: Level) -> ir.Table:
    """Every round of every chat-day, before rounds open at as_of are dropped (level-free).

    Buyer messages between two valid agent messages form one round; it begins at the first of
    them (a buyer message right after a valid agent message, or the chat-day's first) and ends at
    the next valid agent message (one right after a buyer message), if that day has one."""
    if level is Level.SHOP:
        return ctx.block("all_rounds", Level.AGENT)
    s = _valid_messages(ctx)
    order = [s.sent_us, s.seq]
    s = s.mutate(
        prev_buyer=s.is_buyer.lag().over(ibis.window(group_by=list(CHAT_DAY), order_by=order)),
        # buyer messages up to and including this one, and in the whole chat-day
        buyers_so_far=s.is_buyer.cast("int64")
        .sum()
        .over(ibis.cumulative_window(group_by=list(CHAT_DAY), order_by=order)),
        buyers=s.is_buyer.cast("int64").sum().over(ibis.window(group_by=list(CHAT_DAY))),
    )
    after_buyer = s.prev_buyer.fill_null(False)
    # round begins and round ends alternate in a chat-day: each begin's next edge is its reply
    edges = s.filter(s.is_buyer != after_buyer)
    w = ibis.window(group_by=list(CHAT_DAY), order_by=[edges.sent_us, edges.seq])
    edges = edges.mutate(
        reply_us=edges.sent_us.lead().over(w),
        reply_seq=edges.seq.lead().over(w),
        reply_buyers=edges.buyers_so_far.lead().over(w),
    )
    r = edges.filter(edges.is_buyer)
    last = ibis.ifelse(r.reply_seq.isnull(), r.buyers, r.reply_buyers)
    return r.select(
        *CHAT_DAY,
        begin_us="sent_us",
        begin_lus="sent_lus",
        begin_seq="seq",
        buyer_messages=last - r.buyers_so_far + 1,
        reply_us="reply_us",
        reply_seq="reply_seq",
    )


def _in_shift(ctx: MetricContext, rounds: ir.Table) -> ir.Table:
    """``rounds`` with ``in_shift``: the round begins inside a shift of its agent."""
    sh = ctx.tables["shifts"]
    sh = sh.select(s_shop="shop_id", s_agent="agent_id", s_start="starts_us", s_end="ends_us")
    inside = [
        rounds.shop_id == sh.s_shop,
        rounds.agent_id == sh.s_agent,
        sh.s_start <= rounds.begin_us,
        rounds.begin_us < sh.s_end,
    ]
    return (
        rounds.semi_join(sh, inside)
        .mutate(in_shift=ibis.literal(True))
        .union(rounds.anti_join(sh, inside).mutate(in_shift=ibis.literal(False)))
    )


@block("rounds")
def rounds(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per round (level-free: the shop pools the rounds of every chat)."""
    if level is Level.SHOP:
        return ctx.block("rounds", Level.AGENT)
    rules = ctx.rules
    r = ctx.block("all_rounds", Level.AGENT)
    answered = r.reply_us.notnull()
    # a round still open at as_of on the as_of day may yet be answered: it does not exist yet
    r = r.filter(answered | (r.day != ctx.as_of_day))
    time_of_day_us = r.begin_lus - r.day * MICROS_PER_DAY
    r = r.mutate(
        answered=r.reply_us.notnull(),
        duration_s=_seconds(r.reply_us - r.begin_us),
        # service hours are [start, end): 23:00:00 is outside
        counted=(time_of_day_us >= rules.service_start_s * MICROS_PER_SECOND)
        & (time_of_day_us < rules.service_end_s * MICROS_PER_SECOND),
    )
    if rules.shift_only:
        r = _in_shift(ctx, r)
        r = r.mutate(counted=r.counted & r.in_shift)
    cap = rules.round_cap_s
    if cap is None:
        capped = r.duration_s
    else:
        capped = ibis.ifelse(r.answered, ibis.least(r.duration_s, float(cap)), float(cap))
    return r.select(
        "shop_id",
        "agent_id",
        "buyer_id",
        "day",
        "begin_us",
        "begin_lus",
        "begin_seq",
        "reply_us",
        "reply_seq",
        "duration_s",
        "answered",
        "counted",
        capped_s=capped,
        # answered within fast_response_s ("within" includes the threshold)
        fast=r.answered & (r.duration_s <= rules.fast_response_s),
        buyer_messages="buyer_messages",
    )


def _transferred_chat_days(ctx: MetricContext) -> ir.Table:
    """Chat-days with a round still open when the buyer wrote to another agent.

    Rounds open at as_of count too: the buyer has already moved on, whatever happens next."""
    r = ctx.block("all_rounds", Level.AGENT)
    m = ctx.messages
    b = m.filter(m.sender == "buyer").select(
        o_shop="shop_id",
        o_buyer="buyer_id",
        o_agent="agent_id",
        o_day="sent_day",
        o_us="sent_us",
        o_seq="seq",
    )
    after_begin = (b.o_us > r.begin_us) | ((b.o_us == r.begin_us) & (b.o_seq > r.begin_seq))
    before_reply = (
        r.reply_us.isnull()
        | (b.o_us < r.reply_us)
        | ((b.o_us == r.reply_us) & (b.o_seq < r.reply_seq))
    )
    moved = r.semi_join(
        b,
        [
            r.shop_id == b.o_shop,
            r.buyer_id == b.o_buyer,
            r.agent_id != b.o_agent,
            r.day == b.o_day,
            after_begin,
            before_reply,
        ],
    )
    return moved.select(*CHAT_DAY).distinct().mutate(transferred_out=ibis.literal(True))


@block("agent_chat_days")
def agent_chat_days(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per chat-day at both levels (the shop pools chat-days for first_response_s and
    avg_reception_s)."""
    if level is Level.SHOP:
        return ctx.block("agent_chat_days", Level.AGENT)
    rules = ctx.rules
    m = ctx.messages.mutate(day=ctx.messages.sent_day)
    is_buyer = m.sender == "buyer"
    valid_agent = (m.sender == "agent") & ~m.is_auto
    days = m.group_by(list(CHAT_DAY)).aggregate(
        first_us=m.sent_us.min(),
        last_us=m.sent_us.max(),
        first_buyer_us=m.sent_us.min(where=is_buyer),
        buyer_messages=is_buyer.cast("int64").sum(),
        valid_agent_messages=valid_agent.cast("int64").sum(),
    )
    v = ctx.block("valid_replies", Level.AGENT)
    replies = v.group_by(list(CHAT_DAY)).aggregate(
        first_reply_us=v.sent_us.min(), replies=v.count()
    )
    r = ctx.block("rounds", Level.AGENT)
    open_or = ~r.answered
    late = (
        r.counted & (open_or | (r.duration_s > rules.reply_within_s))
        if rules.reply_within_s is not None
        else r.counted & ibis.literal(False)  # no reply_within_s: nothing is late
    )
    per_round = r.group_by(list(CHAT_DAY)).aggregate(
        counted_rounds=r.counted.cast("int64").sum(),
        slow_rounds=(r.counted & (open_or | (r.duration_s > rules.slow_response_s)))
        .cast("int64")
        .sum(),
        late_rounds=late.cast("int64").sum(),
    )
    t = _left_join(days, replies, CHAT_DAY)
    t = _left_join(t, per_round, CHAT_DAY)
    t = _left_join(t, _transferred_chat_days(ctx), CHAT_DAY)
    t = t.mutate(
        replies=t.replies.fill_null(0),
        counted_rounds=t.counted_rounds.fill_null(0),
        slow_rounds=t.slow_rounds.fill_null(0),
        late_rounds=t.late_rounds.fill_null(0),
        transferred_out=t.transferred_out.fill_null(False),
    )
    consulting = t.buyer_messages > 0
    received = consulting & (t.valid_agent_messages > 0)
    return t.select(
        *CHAT_DAY,
        "first_us",
        "last_us",
        "first_buyer_us",
        "first_reply_us",
        "buyer_messages",
        "valid_agent_messages",
        "replies",
        "counted_rounds",
        "slow_rounds",
        "late_rounds",
        consulting=consulting,
        received=received,
        has_reply=t.replies > 0,
        # with reply_within_s: every counted round answered within it
        in_time=t.late_rounds == 0,
        replied=consulting & (t.replies > 0) & (t.late_rounds == 0),
        slow=t.slow_rounds > 0,
        transferred_out="transferred_out",
        # the first valid reply of a chat-day always follows its first buyer message
        first_response_s=_seconds(t.first_reply_us - t.first_buyer_us),
        reception_s=ibis.ifelse(received, _seconds(t.last_us - t.first_us), ibis.null("float64")),
    )


@block("chat_days")
def chat_days(ctx: MetricContext, level: Level) -> ir.Table:
    """Per agent: one row per chat-day. Per shop: one row per buyer-day pooling all the buyer's
    chats of that day (any chat qualifies; replied needs, with reply_within_s, every counted
    round of every chat in time)."""
    c = ctx.block("agent_chat_days", Level.AGENT)
    if level is Level.AGENT:
        return c
    return c.group_by(list(BUYER_DAY)).aggregate(
        chats=c.count(),
        first_us=c.first_us.min(),
        last_us=c.last_us.max(),
        first_buyer_us=c.first_buyer_us.min(),
        first_reply_us=c.first_reply_us.min(),
        buyer_messages=c.buyer_messages.sum(),
        valid_agent_messages=c.valid_agent_messages.sum(),
        replies=c.replies.sum(),
        counted_rounds=c.counted_rounds.sum(),
        slow_rounds=c.slow_rounds.sum(),
        late_rounds=c.late_rounds.sum(),
        consulting=c.consulting.any(),
        received=c.received.any(),
        has_reply=c.has_reply.any(),
        in_time=c.in_time.all(),
        replied=c.consulting.any() & c.has_reply.any() & c.in_time.all(),
        slow=c.slow.any(),
        transferred_out=c.transferred_out.any(),
    )
