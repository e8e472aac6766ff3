"""bind_duckdb's shop-local times: the offset it takes per (zone, quarter hour) gives exactly what
the time zone library gives row by row, across DST jumps, half-hour and 45-minute zones, days
before 1970, and a transition inside a quarter hour (converted row by row); and the one offset it
adds to every row when all instants share it."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from jinpai.engine.duckdb_backend import bind_duckdb

ZONES = {
    "ny": "America/New_York",
    "lh": "Australia/Lord_Howe",  # DST of 30 minutes, jumps at xx:30 UTC
    "mon": "Africa/Monrovia",  # 1972-01-07: -00:44:30 to +00:00, at 00:44:30 UTC
    "ktm": "Asia/Kathmandu",  # +05:45 since 1986 (+05:30 before)
    "cht": "Pacific/Chatham",  # +12:45, DST +13:45
}
SHOPS = [*ZONES, "sh"]  # "sh" takes the default zone
EDGES = [
    ("ny", datetime(2024, 3, 10, 7)),  # spring forward
    ("ny", datetime(2024, 11, 3, 6)),  # fall back
    ("lh", datetime(2024, 4, 6, 15)),
    ("lh", datetime(2024, 10, 5, 15, 30)),
    ("mon", datetime(1972, 1, 7, 0, 44, 30)),
    ("ktm", datetime(1985, 12, 31, 18, 30)),
    ("cht", datetime(2024, 4, 6, 14)),
    ("sh", datetime(1970, 1, 1)),
    ("sh", datetime(2024, 3, 15, 16)),  # local midnight
]
MICRO = timedelta(microseconds=1)


def _bound(
    rows: list[tuple[str, datetime]], zones: dict[str, str] = ZONES
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE messages (shop_id VARCHAR, buyer_id VARCHAR, agent_id VARCHAR,"
        " sender VARCHAR, sent_at TIMESTAMP, is_auto BOOLEAN, content VARCHAR,"
        " message_id VARCHAR, seq BIGINT)"
    )
    con.executemany(
        "INSERT INTO messages VALUES (?, 'b', 'a', 'buyer', ?, false, NULL, NULL, ?)",
        [(shop, at, i) for i, (shop, at) in enumerate(rows)],
    )
    bind_duckdb(con, zones, "Asia/Shanghai")
    return con


def _joins_offsets(con: duckdb.DuckDBPyConnection) -> bool:
    view = "SELECT sql FROM duckdb_views() WHERE view_name = 'jp_messages'"
    return "jp_tz_offsets" in con.execute(view).fetchone()[0]


def _mismatches(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Rows whose bound local time or day differs from the library's own conversion."""
    zone = "coalesce(z.tz, 'Asia/Shanghai')"
    library = f"timezone({zone}, timezone('UTC', m.sent_at))"
    return con.execute(
        f"""SELECT m.shop_id, m.sent_at, b.sent_lus, b.sent_day
        FROM messages AS m JOIN jp_messages AS b USING (seq)
        LEFT JOIN jp_shop_tz AS z ON z.shop_id = m.shop_id
        WHERE b.sent_lus IS DISTINCT FROM epoch_us({library})
           OR b.sent_day IS DISTINCT FROM datediff('day', DATE '1970-01-01', CAST({library} AS DATE))
           OR b.sent_us IS DISTINCT FROM epoch_us(m.sent_at)"""
    ).fetchall()


def test_local_times_at_every_transition_edge() -> None:
    rows = [(shop, at + d * MICRO) for shop, at in EDGES for d in (-1, 0, 1)]
    con = _bound([*rows, ("ny", None)])
    assert _mismatches(con) == []
    # the Monrovia quarter hour holds its transition: no offset, converted row by row
    held = con.execute("SELECT tz, bucket FROM jp_tz_offsets WHERE offset_us IS NULL").fetchall()
    assert held == [("Africa/Monrovia", datetime(1972, 1, 7, 0, 30))]
    nulls = con.execute("SELECT sent_lus, sent_day FROM jp_messages WHERE sent_at IS NULL")
    assert nulls.fetchall() == [(None, None)]
    assert _joins_offsets(con)


instants = st.lists(
    st.tuples(
        st.sampled_from(SHOPS),
        st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(instants)
def test_local_times_equal_the_libraries_on_random_instants(
    rows: list[tuple[str, datetime]],
) -> None:
    assert _mismatches(_bound(rows)) == []


# Singapore and Shanghai have both been on +08:00 without DST since 1992
ALIKE = {"sg": "Asia/Singapore"}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["sg", "sh"]),
            st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(2100, 1, 1)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_one_offset_for_all_instants_is_added_without_a_join(
    rows: list[tuple[str, datetime]],
) -> None:
    con = _bound([*rows, ("sg", None)], ALIKE)
    assert not _joins_offsets(con)
    assert _mismatches(con) == []


def test_a_second_offset_brings_the_join_back() -> None:
    # Shanghai kept DST from 1986 to 1991: a summer instant of 1990 is +09:00
    con = _bound([("sh", datetime(2024, 3, 15, 16)), ("sh", datetime(1990, 7, 1))], ALIKE)
    assert _joins_offsets(con)
    assert _mismatches(con) == []
