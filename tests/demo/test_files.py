"""The data folder: files, columns and types of schema.py, validity of every row, determinism."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jinpai.canonical.schema import SHOP_ID, TABLES, Kind
from jinpai.demo import GenerationSummary, generate_shop
from tests.demo.conftest import folder_hashes


def test_one_file_per_table_with_the_canonical_columns(
    demo_month: GenerationSummary, tables: dict[str, pd.DataFrame]
) -> None:
    assert sorted(p.name for p in demo_month.out.iterdir()) == sorted(
        f"{name}.parquet" for name in TABLES
    )
    for name, schema in TABLES.items():
        df = tables[name]
        assert list(df.columns) == [*schema.column_names, SHOP_ID], name
        assert (df[SHOP_ID] == "demo").all()
        assert len(df) > 0, name
        assert len(df) == demo_month.rows[name]


def test_types_and_required_values(tables: dict[str, pd.DataFrame]) -> None:
    for name, schema in TABLES.items():
        df = tables[name]
        for col in schema.columns:
            if not col.nullable:
                assert df[col.name].notna().all(), (name, col.name)
            if col.kind is Kind.TIMESTAMP:
                # naive shop-local wall time, no zone
                assert str(df[col.name].dtype).startswith("datetime64"), (name, col.name)
                assert df[col.name].dt.tz is None
            if col.kind is Kind.CHOICE:
                values = set(df[col.name].dropna())
                assert values <= set(col.choices.values()), (name, col.name, values)
            if col.kind is Kind.DECIMAL:
                amounts = df[col.name].dropna().map(float)
                assert (amounts >= 0).all(), (name, col.name)


def test_keys_are_unique(tables: dict[str, pd.DataFrame]) -> None:
    for name, schema in TABLES.items():
        if name == "messages":
            continue  # message_id below; the content key may repeat by design
        key = list(schema.key)
        assert not tables[name].duplicated(key).any(), name
    assert tables["messages"]["message_id"].is_unique


def test_orders_are_consistent(tables: dict[str, pd.DataFrame]) -> None:
    o = tables["orders"]
    paid = o[o.paid_at.notna()]
    assert (paid.paid_at >= paid.created_at).all()
    assert (o.refund_amount.map(float) <= o.amount.map(float)).all()
    assert o.loc[o.paid_at.isna(), "status"].isin(["created", "closed"]).all()
    assert o.buyer_id.str.match(r"^tb_\d{10}$").all()
    assert (o["items"] >= 1).all()
    # money keeps exactly two places
    assert o.amount.map(lambda d: d.as_tuple().exponent).eq(-2).all()


def test_ids_look_like_the_platform(tables: dict[str, pd.DataFrame]) -> None:
    m = tables["messages"]
    assert m.agent_id.str.match(r"^浪莎旗舰店:").all()
    assert m.buyer_id.str.startswith("tb_").all()
    assert set(m.agent_id) <= set(tables["agents"].agent_id)


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    a = generate_shop(tmp_path / "a", seed=3, days=5, messages=8_000)
    b = generate_shop(tmp_path / "b", seed=3, days=5, messages=8_000)
    c = generate_shop(tmp_path / "c", seed=4, days=5, messages=8_000)
    assert folder_hashes(a.out) == folder_hashes(b.out)
    assert folder_hashes(a.out)["messages.parquet"] != folder_hashes(c.out)["messages.parquet"]


def test_csv_format(tmp_path: Path) -> None:
    s = generate_shop(tmp_path / "csv", seed=1, days=3, messages=3_000, fmt="csv")
    assert sorted(p.suffix for p in s.out.iterdir()) == [".csv"] * len(TABLES)
    m = pd.read_csv(s.out / "messages.csv", dtype=str)
    assert list(m.columns) == [*TABLES["messages"].column_names, SHOP_ID]
    # shop-local wall time, ISO form, no fraction, no offset
    assert m.sent_at.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    o = pd.read_csv(s.out / "orders.csv", dtype=str)
    assert o.amount.str.fullmatch(r"\d+\.\d\d").all()
    assert o.paid_at.dropna().str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()


@pytest.mark.parametrize("bad", [{"days": 0}, {"messages": 0}, {"fmt": "xlsx"}])
def test_bad_arguments(tmp_path: Path, bad: dict) -> None:
    with pytest.raises(ValueError):
        generate_shop(tmp_path, **bad)
