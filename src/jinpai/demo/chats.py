"""Conversations -> message rows, vectorised over a whole batch (one day of the shop).

A conversation is a buyer talking to one agent (or two, when transferred) in turns: a turn is
1-3 buyer messages, then (unless unanswered) 1-2 agent messages after a reply delay that depends
on the agent's experience, the hour and the day's load. The conversation ends at its first
unanswered turn. Every quantity is drawn for all turns (or messages) of the batch at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jinpai.demo import texts
from jinpai.demo.shop import SERVICE_END_H, SERVICE_START_H
from jinpai.demo.texts import CAT

# conversation kinds
INQUIRY, PREPAY, CONSULT, REVISIT = 0, 1, 2, 3
CASE_KINDS = ("refund", "return", "exchange", "complaint")
CASE_BASE = 4  # CASE_BASE + index in CASE_KINDS

_WIDTH = 12  # options per (kind, phase), cycled: a uniform pick over a fixed-width row


def _row(*names: str) -> list[int]:
    ids = [CAT[n] for n in names]
    return [ids[i % len(ids)] for i in range(_WIDTH)]


def _kind_table() -> np.ndarray:
    """[kind, phase] -> category options. Phases: 0 open, 1 middle, 2 close (buys), 3 close."""
    # non-buying closes: mostly price, then logistics, product, service (loss reasons)
    hesitate = ["hesitate_price"] * 5 + ["hesitate_logistics"] * 2
    hesitate += ["hesitate_product"] * 3 + ["hesitate_service"] * 2
    inquiry = [
        _row("open", "open", "size", "stock", "quality", "price"),
        _row("size", "price", "shipping", "discount", "quality", "material", "stock", "size"),
        _row("buy"),
        _row(*hesitate),
    ]
    simple = {
        PREPAY: ("prepay", "shipping"),
        CONSULT: ("consult", "consult"),
        REVISIT: ("revisit", "revisit"),
    }
    rows = [inquiry]
    for kind in (PREPAY, CONSULT, REVISIT):
        first, middle = simple[kind]
        rows.append([_row(first), _row(middle, first), _row("thanks"), _row("thanks")])
    for case in CASE_KINDS:
        rows.append([_row(case), _row(case), _row("thanks"), _row("thanks")])
    return np.array(rows, dtype=np.int64)


KIND_TABLE = _kind_table()
# mean turns per kind through a geometric law: p and cap
TURN_P = np.array([0.17, 0.6, 0.45, 0.6, 0.3, 0.3, 0.3, 0.25])
TURN_CAP = np.array([16, 4, 5, 3, 8, 8, 8, 8])
AUTO_P = np.array([0.85, 0.5, 0.7, 0.0, 0.6, 0.6, 0.6, 0.6])
NIGHT_UNANSWERED_P = 0.75


@dataclass
class Convs:
    """A batch of conversations; arrays of equal length."""

    t0: np.ndarray  # int64 seconds, first buyer message
    buyer: np.ndarray  # int64
    kind: np.ndarray  # int64
    agent: np.ndarray  # int64 roster index
    agent2: np.ndarray  # int64 transfer target, -1 when none
    intent: np.ndarray  # bool: an inquiry that means to buy
    load: np.ndarray  # float: slows replies (campaign day, peak hours)

    @property
    def size(self) -> int:
        return int(self.t0.size)


@dataclass
class ConvOutcome:
    last_reply_agent: np.ndarray  # agent of the last valid agent message, -1 if none
    last_reply_t: np.ndarray  # its time, -1 if none
    end_t: np.ndarray  # time of the last message
    closed_answered: np.ndarray  # bool: the last turn was answered


def _segment_last(groups: np.ndarray) -> np.ndarray:
    """Positions of the last element of each run of a non-decreasing group array."""
    return np.flatnonzero(np.r_[groups[1:] != groups[:-1], True]) if groups.size else groups


def build(
    rng: np.random.Generator,
    c: Convs,
    reply_median_s: np.ndarray,
    away_p: np.ndarray,
    unanswered_p: np.ndarray,
) -> tuple[dict[str, np.ndarray], ConvOutcome]:
    """Message columns (sent_at, buyer, agent, is_buyer, is_auto, content) and per-conv outcome."""
    n_conv = c.size
    transferred = c.agent2 >= 0
    n_turns = np.minimum(rng.geometric(TURN_P[c.kind]), TURN_CAP[c.kind])
    n_turns = np.where(transferred, np.maximum(n_turns, 2), n_turns)
    hour = (c.t0 % 86400) // 3600
    night = (hour < SERVICE_START_H) | (hour >= SERVICE_END_H)

    # --- turns ---
    tc = np.repeat(np.arange(n_conv), n_turns)
    first = np.cumsum(n_turns) - n_turns
    j = np.arange(tc.size) - first[tc]
    last = j == n_turns[tc] - 1
    phase = np.where(j == 0, 0, np.where(last, np.where(c.intent[tc], 2, 3), 1))
    cat = KIND_TABLE[c.kind[tc], phase, rng.integers(0, _WIDTH, tc.size)]
    agent = np.where(transferred[tc] & (j >= 1), c.agent2[tc], c.agent[tc])
    p_unanswered = np.where((j == 0) & night[tc], NIGHT_UNANSWERED_P, unanswered_p[agent])
    answered = rng.random(tc.size) >= p_unanswered
    waiting = transferred[tc] & (j == 0)  # moved to another agent while waiting
    answered &= ~waiting
    # the conversation ends at its first unanswered turn
    stop_j = np.where(~answered & ~waiting, j, np.iinfo(np.int64).max)
    first_stop = np.minimum.reduceat(stop_j, first) if n_conv else stop_j
    keep = j <= first_stop[tc]
    tc, j, cat, agent, answered, waiting = (a[keep] for a in (tc, j, cat, agent, answered, waiting))
    n_t = tc.size

    nb = rng.choice(np.array([1, 2, 3]), n_t, p=[0.5, 0.3, 0.2])
    na = np.where(answered, rng.choice(np.array([1, 2]), n_t, p=[0.72, 0.28]), 0)
    delay = reply_median_s[agent] * c.load[tc] * rng.lognormal(0.0, 0.75, n_t)
    delay *= np.where(night[tc] & (j == 0), 6.0, 1.0)
    delay += np.where(rng.random(n_t) < away_p[agent], rng.uniform(600, 1800, n_t), 0.0)
    delay = np.maximum(delay, 4).astype(np.int64)
    think = (5 + rng.lognormal(np.log(45), 0.9, n_t)).astype(np.int64)
    think = np.where(waiting, rng.integers(60, 300, n_t), think)

    # --- messages ---
    counts = nb + na
    mt = np.repeat(np.arange(n_t), counts)
    mstart = np.cumsum(counts) - counts
    pos = np.arange(mt.size) - mstart[mt]
    is_buyer = pos < nb[mt]
    first_reply = pos == nb[mt]
    gap = np.where(
        pos == 0,
        0,
        np.where(
            is_buyer,
            4 + rng.exponential(12.0, mt.size).astype(np.int64),
            np.where(first_reply, delay[mt], 4 + rng.exponential(10.0, mt.size).astype(np.int64)),
        ),
    )
    cs = np.cumsum(gap)
    offset = cs - cs[mstart[mt]]
    span = offset[mstart + counts - 1] + think
    span_cs = np.cumsum(span)
    tstart = span_cs - span
    # turn start relative to its conversation: exclusive cumsum restarted at each conversation
    conv_first_turn = np.flatnonzero(np.r_[True, tc[1:] != tc[:-1]]) if n_t else tc
    base = np.repeat(tstart[conv_first_turn], np.diff(np.r_[conv_first_turn, n_t]))
    sent_at = c.t0[tc[mt]] + (tstart - base)[mt] + offset

    content = np.where(
        is_buyer,
        texts.pick_category(rng, cat[mt], "b"),
        np.where(
            first_reply,
            texts.pick_category(rng, cat[mt], "a"),
            # a second line: another answer of the topic, or a generic follow-up
            np.where(
                rng.random(mt.size) < 0.5,
                texts.pick_category(rng, cat[mt], "a"),
                texts.pick(rng, "followup", mt.size),
            ),
        ),
    )
    mconv = tc[mt]
    cols = {
        "sent_at": sent_at,
        "buyer": c.buyer[mconv],
        "agent": agent[mt],
        "is_buyer": is_buyer,
        "is_auto": np.zeros(mt.size, dtype=bool),
        "content": content,
    }

    # auto greeting 1-3 s after the first buyer message; replies come >= 4 s after it
    auto = rng.random(n_conv) < AUTO_P[c.kind]
    ac = np.flatnonzero(auto)
    auto_content = np.where(
        night[ac], texts.pick(rng, "auto_night", ac.size), texts.pick(rng, "auto", ac.size)
    )
    autos = {
        "sent_at": c.t0[ac] + rng.integers(1, 4, ac.size),
        "buyer": c.buyer[ac],
        "agent": c.agent[ac],
        "is_buyer": np.zeros(ac.size, dtype=bool),
        "is_auto": np.ones(ac.size, dtype=bool),
        "content": auto_content,
    }
    messages = {k: np.concatenate([cols[k], autos[k]]) for k in cols}

    # --- outcome per conversation ---
    out_agent = np.full(n_conv, -1, dtype=np.int64)
    out_t = np.full(n_conv, -1, dtype=np.int64)
    rep = np.flatnonzero(~is_buyer)
    lr = rep[_segment_last(mconv[rep])]
    out_agent[mconv[lr]] = cols["agent"][lr]
    out_t[mconv[lr]] = sent_at[lr]
    end_t = np.zeros(n_conv, dtype=np.int64)
    lm = _segment_last(mconv)
    end_t[mconv[lm]] = sent_at[lm]
    closed = np.zeros(n_conv, dtype=bool)
    lt = _segment_last(tc)
    closed[tc[lt]] = answered[lt]
    return messages, ConvOutcome(out_agent, out_t, end_t, closed)
