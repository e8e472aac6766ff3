"""Building blocks of the chat family (metrics.md, Chat metrics): replies, rounds and chat-days.

A **chat** is the messages of one (shop, buyer, agent), a **chat-day** those of one shop-local day:
its key is ``(shop_id, agent_id, buyer_id, day)``, or in one integer ``chat_key``: the least seq of
its messages (seq is unique within a table). Within a chat-day events are ordered by
``(sent_us, seq)``. Auto replies (``is_auto``) are never valid agent messages: they neither reply,
nor end or begin a round; they only count in a chat-day's reception time.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from jinpai.metrics.base import Level
from jinpai.metrics.context import MetricContext, block
from jinpai.metrics.rules import MICROS_PER_DAY, MICROS_PER_SECOND

if TYPE_CHECKING:
    from ibis.expr.builders import LegacyWindowBuilder

CHAT_DAY = ("shop_id", "agent_id", "buyer_id", "day")
BUYER_DAY = ("shop_id", "buyer_id", "day")


def left_join(left: ir.Table, right: ir.Table, on: Sequence[str]) -> ir.Table:
    """``left`` with ``right``'s other columns (null where no match), by equal ``on`` columns.

    The right keys are renamed first so that no backend-specific suffixing is relied on."""
    renamed = right.rename({f"r_{k}": k for k in on})
    joined = left.left_join(renamed, [left[k] == renamed[f"r_{k}"] for k in on])
    return joined.drop(*(f"r_{k}" for k in on))


def _valid_messages(ctx: MetricContext) -> ir.Table:
    """Buyer messages and valid agent messages with their chat-day ``day`` and ``is_buyer``."""
    m = ctx.messages
    m = m.filter((m.sender == "buyer") | ((m.sender == "agent") & ~m.is_auto))
    return m.mutate(day=m.sent_day, is_buyer=m.sender == "buyer")


# (sent_us, seq) packed into one exact decimal that orders as the pair: seq < 2**63
_SEQ_SPAN = ibis.literal(Decimal(2**63), type="decimal(38, 0)")


def packed(us: ir.IntegerValue, seq: ir.IntegerValue) -> ir.DecimalValue:
    """An event's (sent_us, seq) as one exact number: min/max/argmax of it pick the earliest or
    the last event, ties of sent_us broken by seq."""
    return us.cast("decimal(38, 0)") * _SEQ_SPAN + seq.cast("decimal(38, 0)")


def _later(
    us: ir.IntegerValue, seq: ir.IntegerValue, than_us: ir.IntegerValue, than_seq: ir.IntegerValue
) -> ir.BooleanValue:
    """Whether event (us, seq) comes after event (than_us, than_seq) in chat-day order."""
    return (us > than_us) | ((us == than_us) & (seq > than_seq))


def _in_day(t: ir.Table) -> LegacyWindowBuilder:
    """The events of each chat-day of ``t`` (keyed by ``chat_key``) in order."""
    return ibis.window(group_by=t.chat_key, order_by=[t.sent_us, t.seq])


@block("message_chat_days")
def message_chat_days(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per chat-day over all its messages, auto replies included (level-free), with its
    ``chat_key``: the ordered pass sorts by that one integer instead of four text columns."""
    if level is Level.SHOP:
        return ctx.block("message_chat_days", Level.AGENT)
    m = ctx.messages.mutate(day=ctx.messages.sent_day)
    is_buyer = m.sender == "buyer"
    valid_agent = (m.sender == "agent") & ~m.is_auto
    return m.group_by(list(CHAT_DAY)).aggregate(
        chat_key=m.seq.min(),
        first_us=m.sent_us.min(),
        last_us=m.sent_us.max(),
        first_buyer_us=m.sent_us.min(where=is_buyer),
        buyer_messages=is_buyer.cast("int64").sum(),
        valid_agent_messages=valid_agent.cast("int64").sum(),
    )


@block("keyed_rounds")
def keyed_rounds(ctx: MetricContext, level: Level) -> ir.Table:
    """Every round of every chat-day by ``chat_key``, with its reply (level-free).

    In the order of a chat-day, a buyer message right after a valid agent message (or the
    chat-day's first) begins a round, and the first valid agent message after it is its reply:
    the one right after the round's last buyer message. Kept from the ordered pass are the
    begins and those replies, so the row after a begin is its reply, if the day has one.
    ``first_round`` marks the chat-day's first round, and ``outreach`` (on it) counts the valid
    agent messages before it: the only valid agent messages that are not replies."""
    if level is Level.SHOP:
        return ctx.block("keyed_rounds", Level.AGENT)
    d = ctx.block("message_chat_days", Level.AGENT).select(*CHAT_DAY, "chat_key")
    s = _valid_messages(ctx).join(d, list(CHAT_DAY))
    s = s.select("chat_key", "sent_us", "sent_lus", "seq", "is_buyer")
    in_day = _in_day(s)
    s = s.mutate(prev_buyer=s.is_buyer.lag().over(in_day), before=ibis.row_number().over(in_day))
    after_buyer = s.prev_buyer.fill_null(False)
    s = s.filter(s.is_buyer != after_buyer)  # round begins, and replies right after a buyer
    in_day = _in_day(s)
    answered = s.is_buyer.lead().over(in_day) == ibis.literal(False)
    first = ibis.row_number().over(in_day) == 0
    s = s.mutate(
        first_round=first,
        # every message before the first buyer message is a valid agent message
        outreach=ibis.ifelse(first, s.before, ibis.null("int64")),
        reply_us=ibis.ifelse(answered, s.sent_us.lead().over(in_day), ibis.null("int64")),
        reply_seq=ibis.ifelse(answered, s.seq.lead().over(in_day), ibis.null("int64")),
    )
    return s.filter(s.is_buyer).select(
        "chat_key",
        "first_round",
        "outreach",
        "reply_us",
        "reply_seq",
        begin_us="sent_us",
        begin_lus="sent_lus",
        begin_seq="seq",
    )


@block("valid_replies", stored=False)
def valid_replies(ctx: MetricContext, level: Level) -> ir.Table:
    """Valid agent messages after the first buyer message of their chat-day (level-free)."""
    c = ctx.block("agent_chat_days", Level.AGENT)
    c = c.filter(c.first_buyer_us.notnull()).select(
        *(c[k].name(f"c_{k}") for k in CHAT_DAY), c_us="first_buyer_us", c_seq="first_buyer_seq"
    )
    m = _valid_messages(ctx)
    m = m.filter(~m.is_buyer)
    after_first = _later(m.sent_us, m.seq, c.c_us, c.c_seq)
    s = m.join(c, [*(m[k] == c[f"c_{k}"] for k in CHAT_DAY), after_first])
    return s.select(*CHAT_DAY, "sent_us", "seq")


@block("all_rounds", stored=False)
def all_rounds(ctx: MetricContext, level: Level) -> ir.Table:
    """Every round of every chat-day with its chat-day, before rounds open at as_of are dropped
    (level-free)."""
    r = ctx.block("keyed_rounds", Level.AGENT)
    d = ctx.block("message_chat_days", Level.AGENT).select(*CHAT_DAY, d_key="chat_key")
    return r.join(d, r.chat_key == d.d_key).drop("d_key")


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


def _round_facts(ctx: MetricContext) -> ir.Table:
    """``all_rounds`` with their durations and flags; ``exists`` is false for a round still open
    at as_of on the as_of day: it may yet be answered, so it does not exist yet."""
    rules = ctx.rules
    r = ctx.block("all_rounds", Level.AGENT)
    answered = r.reply_us.notnull()
    duration_us = r.reply_us - r.begin_us
    time_of_day_us = r.begin_lus - r.day * MICROS_PER_DAY
    r = r.mutate(
        exists=answered | (r.day != ctx.as_of_day_of(r.shop_id)),
        answered=answered,
        duration_us=duration_us,
        # service hours are [start, end): 23:00:00 is outside
        counted=(time_of_day_us >= rules.service_start_s * MICROS_PER_SECOND)
        & (time_of_day_us < rules.service_end_s * MICROS_PER_SECOND),
    )
    if rules.shift_only:
        r = _in_shift(ctx, r)
        r = r.mutate(counted=r.counted & r.in_shift)
    cap = rules.round_cap_s
    if cap is None:
        capped = r.duration_us
    else:
        cap_us = round(cap * MICROS_PER_SECOND)
        capped = ibis.ifelse(r.answered, ibis.least(r.duration_us, cap_us), cap_us)
    return r.select(
        "shop_id",
        "agent_id",
        "buyer_id",
        "day",
        "chat_key",
        "begin_us",
        "begin_lus",
        "begin_seq",
        "reply_us",
        "reply_seq",
        "duration_us",
        "answered",
        "counted",
        capped_us=capped,
        # answered within fast_response_s ("within" includes the threshold)
        fast=r.answered & (r.duration_us <= rules.fast_response_s * MICROS_PER_SECOND),
        first_round="first_round",
        outreach="outreach",
        exists="exists",
    )


@block("rounds", stored=False)
def rounds(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per round (level-free: the shop pools the rounds of every chat)."""
    r = _round_facts(ctx)
    return r.filter(r.exists).drop("exists", "chat_key")


def _transferred_chat_days(ctx: MetricContext, days: ir.Table) -> ir.Table:
    """The ``chat_key`` of chat-days with a round still open when the buyer wrote to another agent.

    Rounds open at as_of count too: the buyer has already moved on, whatever happens next."""
    # only a buyer-day in which the buyer wrote to two agents or more can hold a transfer
    multi = (
        days.filter(days.buyer_messages > 0)
        .group_by(list(BUYER_DAY))
        .aggregate(chats=ibis._.count())
        .filter(ibis._.chats > 1)
        .select(*BUYER_DAY)
    )
    r = ctx.block("all_rounds", Level.AGENT)
    r = r.semi_join(multi, list(BUYER_DAY))
    m = ctx.messages
    m = m.mutate(day=m.sent_day).semi_join(multi, list(BUYER_DAY))
    b = m.filter(m.sender == "buyer").select(
        o_shop="shop_id",
        o_buyer="buyer_id",
        o_agent="agent_id",
        o_day="day",
        o_us="sent_us",
        o_seq="seq",
    )
    after_begin = _later(b.o_us, b.o_seq, r.begin_us, r.begin_seq)
    before_reply = r.reply_us.isnull() | _later(r.reply_us, r.reply_seq, b.o_us, b.o_seq)
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
    return moved.select("chat_key").distinct().mutate(transferred_out=ibis.literal(True))


@block("agent_chat_days")
def agent_chat_days(ctx: MetricContext, level: Level) -> ir.Table:
    """One row per chat-day at both levels (the shop pools chat-days for first_response_s and
    avg_reception_s)."""
    if level is Level.SHOP:
        return ctx.block("agent_chat_days", Level.AGENT)
    rules = ctx.rules
    days = ctx.block("message_chat_days", Level.AGENT)
    r = _round_facts(ctx)
    counted = r.exists & r.counted
    late = (
        counted & (~r.answered | (r.duration_us > rules.reply_within_s * MICROS_PER_SECOND))
        if rules.reply_within_s is not None
        else counted & ibis.literal(False)  # no reply_within_s: nothing is late
    )
    per_round = r.group_by("chat_key").aggregate(
        # the first round begins at the first buyer message, and only the last round can be
        # open, so the earliest reply is the chat-day's first valid reply
        first_buyer_lus=r.begin_lus.max(where=r.first_round),
        first_buyer_seq=r.begin_seq.max(where=r.first_round),
        first_reply_us=r.reply_us.min(),
        outreach=r.outreach.max(),
        counted_rounds=counted.cast("int64").sum(),
        slow_rounds=(
            counted & (~r.answered | (r.duration_us > rules.slow_response_s * MICROS_PER_SECOND))
        )
        .cast("int64")
        .sum(),
        late_rounds=late.cast("int64").sum(),
    )
    t = left_join(days, per_round, ["chat_key"])
    t = left_join(t, _transferred_chat_days(ctx, days), ["chat_key"])
    t = t.mutate(
        replies=ibis.ifelse(
            t.first_reply_us.isnull(), 0, t.valid_agent_messages - t.outreach.fill_null(0)
        ),
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
        "first_buyer_lus",
        "first_buyer_seq",
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
        first_response_us=t.first_reply_us - t.first_buyer_us,
        reception_us=ibis.ifelse(received, t.last_us - t.first_us, ibis.null("int64")),
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
