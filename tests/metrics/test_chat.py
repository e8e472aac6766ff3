"""Chat metrics (metrics.md, Chat metrics) on hand-worked fixtures, each figure worked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinpai.metrics.base import Level
from tests.metrics.chat_helpers import CHAT_IDS, agent, block_rows, messages_case, report_of
from tests.metrics.golden import Case, all_cases, mismatches

B, A = "buyer", "agent"
D = "2024-03-15"


def msg(buyer: str, agent_id: str, sender: str, clock: str, auto: bool = False, day: str = D):
    return [buyer, agent_id, sender, f"{day} {clock}", auto]


WORKED = [
    msg("b1", "a1", B, "08:59:50"),
    msg("b1", "a1", A, "09:00:00", auto=True),
    msg("b1", "a1", B, "09:00:20"),
    msg("b1", "a1", A, "09:01:10"),
    msg("b1", "a1", B, "09:30:00"),
    msg("b1", "a1", A, "09:45:00"),
    msg("b1", "a1", B, "22:59:00"),
]


def test_worked_example() -> None:
    report = report_of(messages_case(WORKED))
    for figures in (report["shop"], agent(report, "a1")):
        assert figures["rounds"] == 3
        assert figures["avg_response_s"] == pytest.approx((80 + 600 + 600) / 3)
        assert figures["first_response_s"] == 80
        assert figures["fast_response_rate"] == pytest.approx(1 / 3)
        assert figures["slow_buyers"] == 1
        assert figures["replied_buyers"] == 1
        assert figures["answer_ratio"] == 0.5
        assert figures["consulting_buyers"] == 1
        assert figures["received_buyers"] == 1
        assert figures["unreplied_buyers"] == 0
        # answered counted rounds 80 and 900 (uncapped)
        assert figures["median_response_s"] == 490
        assert figures["p90_response_s"] == pytest.approx(80 + 0.9 * 820)


def test_worked_example_at_07_59_50() -> None:
    rows = [msg("b1", "a1", B, "07:59:50"), *WORKED[1:]]
    case = messages_case(rows)
    first = min(block_rows(case, "rounds"), key=lambda r: r["begin_us"])
    # two buyer messages before the reply: the round begins at the first of them
    assert (first["duration_us"], first["first_round"], first["counted"]) == (3680e6, True, False)
    assert first["outreach"] == 0
    shop = report_of(case)["shop"]
    assert shop["rounds"] == 2
    assert shop["avg_response_s"] == 600
    assert shop["first_response_s"] == 3680
    assert shop["answer_ratio"] == 0.5
    assert shop["fast_response_rate"] == 0


@pytest.mark.parametrize(
    ("clock", "counted"),
    [("07:59:59", False), ("08:00:00", True), ("22:59:59", True), ("23:00:00", False)],
)
def test_service_hour_borders(clock: str, counted: bool) -> None:
    case = messages_case([msg("b1", "a1", B, clock), msg("b1", "a1", A, clock[:6] + "59")])
    (row,) = block_rows(case, "rounds")
    assert row["counted"] is counted
    shop = report_of(case)["shop"]
    assert shop["rounds"] == int(counted)
    # first_response_s is all hours
    assert shop["first_response_s"] == 59 - int(clock[6:])


def test_jd_profile_has_no_cap_and_starts_at_nine() -> None:
    rows = [
        msg("b1", "a1", B, "08:59:59"),  # before 09:00: not counted
        msg("b1", "a1", A, "09:00:09"),
        msg("b2", "a1", B, "09:00:00"),
        msg("b2", "a1", A, "09:15:00"),  # 900 s, not capped
        msg("b3", "a1", B, "10:00:00"),
        msg("b3", "a1", A, "10:00:30"),  # 30 s: within the 30 s fast threshold
        msg("b4", "a1", B, "11:00:00"),  # unanswered: left out of the mean without a cap
    ]
    shop = report_of(messages_case(rows, profile="jd"))["shop"]
    assert shop["rounds"] == 3
    assert shop["avg_response_s"] == (900 + 30) / 2
    assert shop["fast_response_rate"] == pytest.approx(1 / 3)
    assert shop["slow_buyers"] == 2  # b2 (900 s) and b4 (unanswered)
    capped = {
        r["buyer_id"]: r["capped_us"]
        for r in block_rows(messages_case(rows, profile="jd"), "rounds")
    }
    assert capped["b4"] is None and capped["b2"] == 900e6


def test_raw_profile_counts_all_hours() -> None:
    rows = [
        msg("b1", "a1", B, "00:00:00"),
        msg("b1", "a1", A, "00:00:10"),
        msg("b2", "a1", B, "23:59:00"),
        msg("b2", "a1", A, "23:59:59"),
    ]
    shop = report_of(messages_case(rows, profile="raw"))["shop"]
    assert shop["rounds"] == 2
    assert shop["avg_response_s"] == (10 + 59) / 2
    assert report_of(messages_case(rows))["shop"]["rounds"] == 0


def test_midnight_ends_the_round_and_next_day_message_is_outreach() -> None:
    rows = [
        msg("b1", "a1", B, "23:59:50"),
        msg("b1", "a1", A, "00:00:10", day="2024-03-16"),
    ]
    case = messages_case(rows, period=(D, "2024-03-16"), profile="raw", agent_days=True)
    assert block_rows(case, "valid_replies") == []
    (row,) = block_rows(case, "rounds")
    assert row["answered"] is False and row["counted"] is True
    report = report_of(case)
    day15, day16 = report["days"]
    assert (day15["consulting_buyers"], day15["replied_buyers"], day15["rounds"]) == (1, 0, 1)
    assert day15["avg_response_s"] is None  # raw: no cap, an unanswered round is left out
    assert day15["answer_ratio"] == 0
    assert (day16["consulting_buyers"], day16["rounds"], day16["received_buyers"]) == (0, 0, 0)
    assert day16["answer_ratio"] is None  # no buyer message that day
    assert day16["reply_rate"] is None


def test_open_round_at_as_of_is_dropped_but_earlier_days_stay_unanswered() -> None:
    rows = [
        msg("b1", "a1", B, "22:00:00", day="2024-03-14"),  # unanswered on 03-14: counts 600
        msg("b1", "a1", B, "11:00:00"),
        msg("b1", "a1", A, "11:00:30"),
        msg("b2", "a1", B, "11:59:00"),  # still open at as_of 12:00 on the as_of day: dropped
        msg("b2", "a1", A, "12:01:00"),  # after as_of: does not exist
    ]
    case = messages_case(rows, period=("2024-03-14", D), as_of=f"{D} 12:00:00")
    assert [r["buyer_id"] for r in block_rows(case, "rounds")] == ["b1", "b1"]
    shop = report_of(case)["shop"]
    assert shop["rounds"] == 2
    assert shop["avg_response_s"] == (600 + 30) / 2
    assert shop["consulting_buyers"] == 3  # (b1, 14), (b1, 15), (b2, 15)
    assert shop["replied_buyers"] == 1
    assert shop["unreplied_buyers"] == 2
    assert shop["slow_buyers"] == 1  # b2's dropped round is not slow (it does not exist yet)


def test_outreach_before_any_buyer_message_is_not_a_reply() -> None:
    rows = [
        msg("b1", "a1", A, "10:00:00"),  # outreach (回访)
        msg("b1", "a1", B, "10:05:00"),
        msg("b1", "a1", A, "10:06:00"),
        msg("b2", "a1", A, "11:00:00"),  # outreach only: not consulting, not received
    ]
    case = messages_case(rows)
    replies = block_rows(case, "valid_replies")
    assert [(r["buyer_id"], r["sent_us"] % 86_400_000_000 // 1_000_000) for r in replies] == [
        ("b1", (10 - 8) * 3600 + 360)
    ]
    shop = report_of(case)["shop"]
    assert shop["first_response_s"] == 60
    assert shop["consulting_buyers"] == 1
    assert shop["received_buyers"] == 1
    assert shop["answer_ratio"] == 3  # 3 valid agent messages / 1 buyer message
    assert shop["avg_reception_s"] == 360  # received chat-day b1: 10:00 -> 10:06


def test_equal_timestamps_are_ordered_by_sequence() -> None:
    buyer_first = [msg("b1", "a1", B, "10:00:00"), msg("b1", "a1", A, "10:00:00")]
    shop = report_of(messages_case(buyer_first))["shop"]
    assert (shop["rounds"], shop["avg_response_s"], shop["replied_buyers"]) == (1, 0, 1)
    agent_first = buyer_first[::-1]
    shop = report_of(messages_case(agent_first))["shop"]
    assert (shop["rounds"], shop["avg_response_s"], shop["replied_buyers"]) == (1, 600, 0)
    assert shop["received_buyers"] == 1  # in either order


def test_auto_replies_neither_answer_nor_receive_but_count_in_reception() -> None:
    rows = [
        msg("b1", "a1", B, "10:00:00"),
        msg("b1", "a1", A, "10:00:01", auto=True),
        msg("b2", "a1", B, "10:00:00"),
        msg("b2", "a1", A, "10:01:00"),
        msg("b2", "a1", A, "10:30:00", auto=True),
    ]
    report = report_of(messages_case(rows))
    shop = report["shop"]
    assert shop["rounds"] == 2
    assert shop["avg_response_s"] == (600 + 60) / 2
    assert shop["received_buyers"] == 1
    assert shop["replied_buyers"] == 1
    assert shop["avg_reception_s"] == 1800  # b2 only (received); its auto reply included
    assert shop["answer_ratio"] == 0.5  # auto replies are not valid agent messages


TRANSFER = [
    msg("b1", "a1", B, "10:00:00"),  # a1 never answers: transferred away while waiting
    msg("b1", "a2", B, "10:05:00"),
    msg("b1", "a2", A, "10:06:00"),
    msg("b2", "a1", B, "11:00:00"),
    msg("b2", "a1", A, "11:00:20"),  # answered before b2 writes to a2: not a transfer
    msg("b2", "a2", B, "11:10:00"),
    msg("b2", "a2", A, "11:10:30"),
]


def test_transfers_and_shop_pooling() -> None:
    report = report_of(messages_case(TRANSFER))
    a1, a2, shop = agent(report, "a1"), agent(report, "a2"), report["shop"]
    assert a1["transfers_out"] == 1 and a2["transfers_out"] == 0
    assert (a1["consulting_buyers"], a1["replied_buyers"], a1["slow_buyers"]) == (2, 1, 1)
    assert (a2["consulting_buyers"], a2["replied_buyers"]) == (2, 2)
    # shop: distinct buyer-days, any chat qualifies
    assert (shop["consulting_buyers"], shop["replied_buyers"], shop["slow_buyers"]) == (2, 2, 1)
    assert shop["transfers_out"] == 1
    # round figures pool the rounds of every chat: a1 600 (open), 20; a2 60, 30
    assert shop["rounds"] == 4
    assert shop["avg_response_s"] == (600 + 20 + 60 + 30) / 4
    # chat-day figures pool every chat-day: b1-a2 60, b2-a1 20, b2-a2 30 (b1-a1 has no reply)
    assert shop["first_response_s"] == pytest.approx((60 + 20 + 30) / 3)


def test_pdd_reply_within() -> None:
    rows = [
        msg("b1", "a1", B, "09:00:00"),
        msg("b1", "a1", A, "10:00:00"),  # exactly 3600 s: within
        msg("b2", "a1", B, "09:00:00"),
        msg("b2", "a1", A, "10:00:01"),  # 3601 s: not within
        msg("b3", "a1", B, "07:00:00"),  # not counted (before 08:00): does not matter
        msg("b3", "a1", A, "09:00:00"),
    ]
    shop = report_of(messages_case(rows, profile="pdd"))["shop"]
    assert (shop["consulting_buyers"], shop["replied_buyers"]) == (3, 2)
    assert shop["reply_rate"] == pytest.approx(2 / 3)
    assert report_of(messages_case(rows))["shop"]["replied_buyers"] == 3


def test_pdd_shop_replied_needs_every_counted_round_of_all_chats() -> None:
    pdd = report_of(messages_case(TRANSFER, profile="pdd"))
    # b1's round with a1 was never answered: the shop's b1 buyer-day is not replied under pdd
    assert pdd["shop"]["replied_buyers"] == 1
    assert agent(pdd, "a2")["replied_buyers"] == 2
    assert agent(pdd, "a1")["replied_buyers"] == 1


def test_shift_only() -> None:
    rows = [
        msg("b1", "a1", B, "09:00:00"),  # shift starts: inside
        msg("b1", "a1", A, "09:00:10"),
        msg("b2", "a1", B, "11:59:59"),
        msg("b2", "a1", A, "12:00:20"),
        msg("b3", "a1", B, "12:00:00"),  # shift ends (half-open): outside
        msg("b3", "a1", A, "12:00:30"),
        msg("b4", "a2", B, "10:00:00"),  # a2 has no shift at all
        msg("b4", "a2", A, "10:00:40"),
    ]
    shifts = {
        "shifts": {
            "columns": ["agent_id", "starts_at", "ends_at"],
            "rows": [
                ["a1", f"{D} 09:00:00", f"{D} 12:00:00"],
                ["a2", f"{D} 13:00:00", f"{D} 14:00:00"],
            ],
        }
    }
    report = report_of(messages_case(rows, settings={"shift_only": True}, tables=shifts))
    assert report["shop"]["rounds"] == 2
    assert report["shop"]["avg_response_s"] == (10 + 21) / 2
    assert agent(report, "a2")["rounds"] == 0
    assert agent(report, "a2")["avg_response_s"] is None
    plain = report_of(messages_case(rows, tables=shifts))
    assert plain["shop"]["rounds"] == 4


def test_a_transfer_counts_though_the_round_is_still_open_at_as_of() -> None:
    """b1 writes to a1, then to a2, and nobody has answered a1's round by as_of: the round does
    not exist yet (it may still be answered), but the buyer has moved on, so a1 transferred
    b1 out (tests/cases/README.md, reading 12)."""
    rows = [msg("b1", "a1", B, "10:00:00"), msg("b1", "a2", B, "10:05:00")]
    report = report_of(messages_case(rows, as_of="2024-03-15 10:30:00"))
    a1 = agent(report, "a1")
    assert (a1["transfers_out"], a1["rounds"]) == (1, 0)
    # the next morning a1's round is an unanswered round; the transfer is the same
    later = agent(report_of(messages_case(rows)), "a1")
    assert (later["transfers_out"], later["rounds"]) == (1, 1)


def test_quantiles_interpolate_linearly() -> None:
    rows = []
    for i, wait in enumerate((10, 20, 30, 40)):
        rows += [msg(f"b{i}", "a1", B, "10:00:00"), msg(f"b{i}", "a1", A, f"10:00:{wait}")]
    shop = report_of(messages_case(rows))["shop"]
    assert shop["median_response_s"] == 25
    assert shop["p90_response_s"] == pytest.approx(37)


def test_empty_period() -> None:
    rows = [msg("b1", "a1", B, "10:00:00"), msg("b1", "a1", A, "10:00:10")]
    shop = report_of(messages_case(rows, period=("2024-03-20", "2024-03-20")))["shop"]
    assert shop["consulting_buyers"] == 0 and shop["rounds"] == 0 and shop["transfers_out"] == 0
    for name in ("avg_response_s", "first_response_s", "fast_response_rate", "reply_rate"):
        assert shop[name] is None
    assert shop["answer_ratio"] is None and shop["unreplied_buyers"] == 0


def test_shop_level_chat_days_are_buyer_days() -> None:
    rows = block_rows(messages_case(TRANSFER), "chat_days", Level.SHOP)
    assert sorted((r["buyer_id"], r["chats"], r["transferred_out"]) for r in rows) == [
        ("b1", 2, True),
        ("b2", 2, False),
    ]


def _chat_only(case: Case) -> Case:
    """The case with only the chat family's expected figures (other families are tested apart)."""
    expected = {}
    for scope, groups in case.data.get("expected", {}).items():
        if scope == "shop":
            expected[scope] = {k: v for k, v in groups.items() if k in CHAT_IDS}
        else:
            expected[scope] = {
                name: {k: v for k, v in figures.items() if k in CHAT_IDS}
                for name, figures in groups.items()
            }
    return Case(Path(case.path), {**case.data, "expected": expected})


def _has_figures(case: Case) -> bool:
    expected = case.data.get("expected", {})
    return any(
        figures
        for scope, groups in expected.items()
        for figures in ([groups] if scope == "shop" else groups.values())
    )


# every golden case with a chat figure (chat_*.yaml, profiles, shifts, several shops, ...)
CHAT_CASES = [c for c in map(_chat_only, all_cases()) if _has_figures(c)]


@pytest.mark.parametrize("case", CHAT_CASES, ids=[c.path.stem for c in CHAT_CASES])
def test_golden_chat_cases(case: Case) -> None:
    assert mismatches(case, report_of(case)) == []
