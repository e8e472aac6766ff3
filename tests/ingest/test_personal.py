"""Buyers' personal data on real files and real DuckDB warehouses (finding 6 of the trust issue):
phone numbers in every format people type are masked wherever text is stored, and a quarantined
row keeps only the canonical cells the importer read, never a free-text or personal column."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinpai.canonical.schema import TABLES
from jinpai.canonical.validation import PHONE_MASK, clean_cells, validation_sql
from jinpai.ingest.personal import MASK, mask_text
from jinpai.services import imports
from jinpai.settings import get_settings
from tests.ingest.files import (
    MESSAGES_HEADER,
    TAOBAO_HEADER,
    all_text,
    taobao_rows,
    write_csv,
)

# the formats of the security issue, each a phone that must not survive
PHONES = (
    "+8613900001111",
    "+86 139 0000 1111",
    "139-0000-2222",
    "139 0000 3333",
    "１３９００００４４４４",
    "0571-88886666",
    "(0571)88886666",
    "021 6666 8888",
)

_FILLER = "在吗您好我的电话是地址订单号价格时间请联系收货人，。：！"
_AREAS = ("010", "021", "0571", "0755", "0898")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _mobile_forms(m: str) -> list[str]:
    spaced = f"{m[:3]} {m[3:7]} {m[7:]}"
    return [
        m,
        f"+86{m}",
        f"+86 {spaced}",
        f"{m[:3]}-{m[3:7]}-{m[7:]}",
        spaced,
        m.translate(_FULL_WIDTH),
    ]


def _landline_forms(area: str, local: str) -> list[str]:
    return [
        f"{area}-{local}",
        f"({area}){local}",
        f"（{area}）{local}",
        f"{area} {local[:4]} {local[4:]}",
    ]


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True).flatmap(
    lambda m: st.sampled_from(_mobile_forms(m))
)
landlines = st.builds(
    _landline_forms, st.sampled_from(_AREAS), st.from_regex(r"[2-8][0-9]{7}", fullmatch=True)
).flatmap(st.sampled_from)
phones = st.one_of(mobiles, landlines)

order_ids = st.from_regex(r"[1-9][0-9]{15,18}", fullmatch=True)
prices = st.from_regex(r"¥?[1-9][0-9]{0,5}\.[0-9]{2}", fullmatch=True)
days = st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat)
clock = st.times().map(lambda t: time.strftime(t, "%H:%M:%S"))
numbers = st.one_of(order_ids, prices, days, clock, st.just("139.00"), st.just("13:59:00"))
filler = st.text(alphabet=_FILLER, min_size=1, max_size=5)

# a text: Chinese words around tokens, each (token, is a phone)
texts = st.lists(
    st.one_of(phones.map(lambda p: (p, True)), numbers.map(lambda n: (n, False))),
    min_size=1,
    max_size=6,
).flatmap(
    lambda tokens: st.tuples(
        st.just(tokens), st.lists(filler, min_size=len(tokens) + 1, max_size=len(tokens) + 1)
    )
)


def _compose(tokens: list[tuple[str, bool]], words: list[str], mask: str | None) -> str:
    """The text, with each phone replaced by ``mask`` unless ``mask`` is None."""
    parts = [words[0]]
    for (token, is_phone), word in zip(tokens, words[1:], strict=True):
        parts += [mask if is_phone and mask is not None else token, word]
    return "".join(parts)


def _stored(table: str, column: str, values: list[str]) -> list[str]:
    """What validation stores for ``column`` of ``table`` (the SQL every importer runs)."""
    cells = {"_row": pa.array(range(2, 2 + len(values)), pa.int64())}
    cells["c0"] = clean_cells(pa.array(values, pa.string()))
    con = duckdb.connect()
    try:
        con.register("cells", pa.table(cells))
        sql = validation_sql(TABLES[table], {column: "c0"}, "cells")
        params = {
            k: v for k, v in {"tz": "Asia/Shanghai", "shop": "default"}.items() if f"${k}" in sql
        }
        return [
            r[0]
            for r in con.execute(f"SELECT {column} FROM ({sql}) ORDER BY _row", params).fetchall()
        ]
    finally:
        con.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_no_phone_format_survives_in_stored_text_while_ids_prices_dates_and_times_do_per_finding_6_of_the_trust_issue(
    example: tuple[list[tuple[str, bool]], list[str]],
) -> None:
    tokens, words = example
    text = _compose(tokens, words, None)
    assert mask_text(text) == _compose(tokens, words, MASK)  # quarantine, pages
    expected = _compose(tokens, words, PHONE_MASK)
    assert _stored("messages", "content", [text]) == [expected]
    assert _stored("orders", "title", [text]) == [expected]


def test_phones_next_to_each_other_are_all_masked_per_finding_6_of_the_trust_issue() -> None:
    text = ",".join(PHONES) + " " + "/".join(PHONES)
    assert mask_text(text) == ",".join([MASK] * len(PHONES)) + " " + "/".join([MASK] * len(PHONES))
    assert _stored("messages", "content", [text])[0].count(PHONE_MASK) == 2 * len(PHONES)


def _messages_with_phones(path: Path) -> Path:
    rows = [
        [
            "tb_a",
            "shop:amy",
            "buyer",
            f"2024-03-15 09:00:0{i}",
            "",
            f"我的电话{p}，订单3500012345678901234",
        ]
        for i, p in enumerate(PHONES)
    ]
    return write_csv(path, MESSAGES_HEADER, rows)


def test_message_contents_and_order_titles_keep_no_phone_in_any_format_per_finding_6_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    rows = taobao_rows()
    for row, phone in zip(rows, PHONES, strict=False):
        row[12] = f"羊绒大衣 联系{phone}"  # 宝贝标题
    folder = tmp_path / "data"
    folder.mkdir()
    _messages_with_phones(folder / "messages.csv")
    write_csv(folder / "orders.csv", TAOBAO_HEADER, rows, encoding="gbk")
    db = tmp_path / "wh.duckdb"
    imports.import_path(folder, get_settings(), db=db)
    text = all_text(db)
    for phone in PHONES:
        assert phone not in text
    assert "3500012345678901234" in text  # order ids in messages stay


_FREE_TEXT = ("买家留言", "订单备注", "商家备注", "备注", "收货信息")
_FREE_VALUES = ("请发顺丰", "杭州市西湖区文三路100号", "张三", "13912345678")


def _taobao_with_free_text(path: Path) -> Path:
    header = [*TAOBAO_HEADER, "订单备注", "商家备注", "备注", "收货信息"]
    rows = taobao_rows()
    for row in rows:
        row[15] = "请发顺丰 张三 13912345678"  # 买家留言
        row += [
            "地址杭州市西湖区文三路100号",
            "张三要开发票",
            "备注 +86 139 1234 5678",
            "张三 139-1234-5678",
        ]
    rows[1][4] = "￥-88.00"  # a negative amount: quarantined
    return write_csv(path, header, rows, encoding="gbk")


def test_a_quarantined_row_keeps_only_the_canonical_cells_read_masked_per_finding_6_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    path = _taobao_with_free_text(tmp_path / "orders.csv")
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    [q] = imports.list_quarantine(db)
    raw = json.loads(q["raw"])
    assert set(raw) == {
        "订单编号",
        "买家会员名",
        "买家实际支付金额",
        "订单状态",
        "订单创建时间",
        "订单付款时间",
        "宝贝标题",
        "宝贝总数量",
        "商家编码",
    }
    assert raw["买家实际支付金额"] == "￥-88.00"
    text = all_text(db)
    for value in (*_FREE_VALUES, *_FREE_TEXT[1:], "王小明", "0571-88886666"):
        assert value not in text


def test_a_malformed_row_keeps_no_cell_of_personal_data_per_finding_6_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    path = _taobao_with_free_text(tmp_path / "orders.csv")
    lines = path.read_bytes().split(b"\r\n")
    lines[2] += b",extra,cells"  # a row with more cells than the header
    path.write_bytes(b"\r\n".join(lines))
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    reasons = [q["reason"] for q in imports.list_quarantine(db)]
    assert any("cells" in r for r in reasons)
    text = all_text(db)
    for value in (*_FREE_VALUES, "王小明", "0571-88886666", "lily@alipay.cn", "tom@alipay.cn"):
        assert value not in text


def test_a_message_row_in_quarantine_keeps_its_content_masked_per_finding_6_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    header = [*MESSAGES_HEADER, "收货地址", "买家留言"]
    rows = [
        [
            "tb_a",
            "shop:amy",
            "robot",
            "2024-03-15 09:00:00",
            "",
            "电话 (0571)88886666",
            "文三路100号",
            "张三",
        ]
    ]
    path = write_csv(tmp_path / "messages.csv", header, rows)
    db = tmp_path / "wh.duckdb"
    imports.import_path(path, get_settings(), db=db)
    [q] = imports.list_quarantine(db)
    raw = json.loads(q["raw"])
    assert raw == {
        "buyer_id": "tb_a",
        "agent_id": "shop:amy",
        "sender": "robot",
        "sent_at": "2024-03-15 09:00:00",
        "is_auto": None,
        "content": f"电话 {MASK}",
    }
