"""The month looks like seed 000's shop: team, rhythms, response times, conversion, reminders."""

from __future__ import annotations

import pandas as pd

from tests.demo.conftest import START


def test_roster_of_seed_000(tables: dict[str, pd.DataFrame]) -> None:
    a = tables["agents"]
    assert len(a) == 10
    assert a.role.value_counts().to_dict() == {"presale": 8, "aftersale": 2}
    new = a.level == "junior"
    assert new.sum() == 4 and (~new).sum() == 6
    assert set(a.loc[~new, "level"]) <= {"senior", "gold", "mid"}
    assert (a.base_salary.map(float) == 1800).all()
    assert (a.commission_rate.map(float) == 0.01).all()
    hired = pd.to_datetime(a.hired_on)
    end = START + pd.Timedelta(days=31)
    assert ((hired > START) & (hired < end)).sum() == 1  # hired mid-month: prorated base


def test_evening_peak_and_quiet_night(tables: dict[str, pd.DataFrame]) -> None:
    hour = tables["messages"].sent_at.dt.hour.value_counts()
    assert hour.reindex([20, 21, 22]).mean() > 5 * hour.reindex([3, 4, 5], fill_value=0).mean()
    outside = ~tables["messages"].sent_at.dt.hour.between(8, 22)
    assert 0.01 < outside.mean() < 0.15  # a little traffic outside service hours


def test_campaign_day_is_the_busiest(tables: dict[str, pd.DataFrame]) -> None:
    per_day = tables["messages"].sent_at.dt.date.value_counts()
    assert per_day.idxmax() == pd.Timestamp("2024-03-08").date()
    assert per_day.max() > 2.5 * per_day.median()


def _reply_gaps(m: pd.DataFrame) -> pd.DataFrame:
    """For each valid agent message answering a buyer: seconds since the first buyer message
    not yet answered in the same chat-day."""
    m = m.sort_values(["buyer_id", "agent_id", "sent_at"], kind="stable").copy()
    m["day"] = m.sent_at.dt.normalize()
    m["valid"] = (m.sender == "agent") & ~m.is_auto
    chat = ["buyer_id", "agent_id", "day"]
    m["block"] = m.groupby(chat, sort=False).valid.cumsum() - m.valid
    first_buyer = m[m.sender == "buyer"].groupby([*chat, "block"]).sent_at.min()
    replies = m[m.valid].join(first_buyer.rename("asked"), on=[*chat, "block"])
    replies = replies.dropna(subset=["asked"])
    replies["gap"] = (replies.sent_at - replies.asked).dt.total_seconds()
    return replies


def test_new_agents_answer_slower(tables: dict[str, pd.DataFrame]) -> None:
    gaps = _reply_gaps(tables["messages"])
    level = tables["agents"].set_index("agent_id").level
    median = gaps.groupby("agent_id").gap.median()
    new = median[level.reindex(median.index) == "junior"]
    old = median[level.reindex(median.index) != "junior"]
    assert new.min() > old.max()
    assert (gaps.gap > 100).mean() > 0.05  # slow rounds exist
    assert (gaps.gap > 600).sum() > 0  # and a few beyond the 600 s cap


def test_auto_replies_transfers_and_unanswered(tables: dict[str, pd.DataFrame]) -> None:
    m = tables["messages"]
    auto = m[m.is_auto]
    assert len(auto) > 0 and (auto.sender == "agent").all()
    # transfers: on one day the buyer waits unanswered with one agent, then talks to another
    day = m.assign(day=m.sent_at.dt.date)
    human = day[(day.sender == "buyer") | ~day.is_auto]
    first = human.sort_values("sent_at", kind="stable").groupby(["buyer_id", "day"]).head(1)
    chats = human.groupby(["buyer_id", "day", "agent_id"]).agg(
        start=("sent_at", "min"), replied=("sender", lambda s: (s == "agent").any())
    )
    firsts = chats.join(first.set_index(["buyer_id", "day"]).agent_id.rename("first"))
    moved = firsts[firsts.index.get_level_values("agent_id") != firsts["first"]]
    abandoned = chats[~chats.replied].reset_index()[["buyer_id", "day", "agent_id"]]
    transfers = moved.reset_index().merge(
        abandoned.rename(columns={"agent_id": "first"}), on=["buyer_id", "day", "first"]
    )
    assert len(transfers) > 20
    last = m.sort_values("sent_at", kind="stable").groupby(["buyer_id", "agent_id"]).tail(1)
    assert (last.sender == "buyer").sum() > 50  # chats ending unanswered


def test_silent_orders_share(tables: dict[str, pd.DataFrame]) -> None:
    o = tables["orders"]
    o = o[(o.created_at >= START) & ~o.exclude].sort_values("created_at")
    m = tables["messages"][["buyer_id", "sent_at"]].sort_values("sent_at")
    j = pd.merge_asof(
        o, m.rename(columns={"sent_at": "last_chat"}), left_on="created_at",
        right_on="last_chat", by="buyer_id", allow_exact_matches=False,
    )  # fmt: skip
    lookback = j.created_at.dt.normalize() - pd.Timedelta(days=1)
    silent = j.last_chat.isna() | (j.last_chat < lookback)
    assert 0.45 <= silent.mean() <= 0.65


def test_after_sales_questions_and_history(tables: dict[str, pd.DataFrame]) -> None:
    m, o = tables["messages"], tables["orders"]
    asks = m[(m.sender == "buyer") & m.content.str.contains("发货")]
    assert asks.buyer_id.isin(o.buyer_id).mean() > 0.5
    before = o[o.created_at < START]
    assert len(before) > 0 and before.created_at.min() >= START - pd.Timedelta(days=180)
    month = o[(o.created_at >= START) & o.paid_at.notna()]
    assert month.buyer_id.isin(before.buyer_id).mean() > 0.1  # returning customers
    assert o.exclude.sum() > 0  # 补单
    refunded = month[month.refund_amount.map(float) > 0]
    full = refunded.refund_amount.map(float) >= refunded.amount.map(float)
    assert full.any() and (~full).any()


def test_reminders(tables: dict[str, pd.DataFrame]) -> None:
    r, o, a = tables["reminders"], tables["orders"], tables["agents"]
    assert r.order_id.isin(o.order_id).mean() > 0.95
    assert set(r.channel) == {"im", "sms", "phone"}
    assert set(r.script_id) == {"S1", "S2", "S3", "S4"}
    j = r.merge(o[["order_id", "created_at", "paid_at"]], on="order_id")
    assert (j.sent_at >= j.created_at).all()
    after = j.paid_at.notna() & (j.paid_at < j.sent_at)
    assert after.any()  # some sent after the payment
    j["ok"] = ~after & j.paid_at.notna() & (j.paid_at - j.sent_at <= pd.Timedelta(hours=72))
    rate = j.groupby("script_id").ok.mean()
    assert rate.max() - rate.min() > 0.15
    # presale agents never chase silent orders; aftersale agents do
    role = a.set_index("agent_id").role
    assert set(role[r.agent_id]) == {"presale", "aftersale"}


def test_cases(tables: dict[str, pd.DataFrame]) -> None:
    c = tables["cases"]
    assert set(c.kind) == {"refund", "return", "exchange", "complaint"}
    assert c.resolved_at.isna().any()  # open at the end of the month
    assert c.disputed.any()
    hours = (c.resolved_at - c.opened_at).dt.total_seconds() / 3600
    within = (hours.dropna() <= 48).mean()
    assert 0.4 < within < 0.95  # spread around the 48 h SLA
    assert (hours.dropna() > 0).all()


def test_shifts_and_ratings(tables: dict[str, pd.DataFrame]) -> None:
    s, r, a = tables["shifts"], tables["ratings"], tables["agents"]
    assert set(s.starts_at.dt.hour) == {8, 15}
    assert (s.ends_at > s.starts_at).all()
    assert set(s.agent_id) == set(a.agent_id)
    assert {"quality_check", "exam", "attendance", "csat"} <= set(r.kind)
    assert r.score.between(0, 100).all()
    new = set(a.loc[a.level == "junior", "agent_id"])
    assert set(r.loc[r.kind == "exam", "agent_id"]) <= new
    assert (r.loc[r.kind == "quality_check"].groupby("agent_id").size() >= 2).all()


def test_message_texts_are_chinese_templates(tables: dict[str, pd.DataFrame]) -> None:
    buyer = tables["messages"].query("sender == 'buyer'").content
    for word in ("尺码", "发货", "优惠", "质量", "贵"):
        assert buyer.str.contains(word).any(), word
