"""The real Olist sample through a mapping file, amounts summed from the payments file."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from jinpai.services import imports
from jinpai.services.inputs import column_mapping
from jinpai.settings import get_settings

MAPPING = """\
table: orders
timezone: America/Sao_Paulo
columns:
  order_id: order_id
  buyer_id: customer_id
  created_at: order_purchase_timestamp
  paid_at: order_approved_at
  status: order_status
amount_from:
  file: {payments}
  key: order_id
  value: payment_value
"""


@pytest.fixture(scope="module")
def olist_db(olist_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("olist")
    mapping = tmp / "olist.yaml"
    mapping.write_text(MAPPING.format(payments=olist_dir / "payments_for_head_orders.csv"))
    db = tmp / "wh.duckdb"
    result = imports.import_path(
        olist_dir / "olist_orders_dataset.csv",
        get_settings(),
        db=db,
        mapping=column_mapping(None, mapping),
        shop="olist",
    )
    assert result.errors == []
    assert result.to_json() == {
        "tables": {"orders": {"read": 4071, "stored": 4071, "updated": 0, "quarantined": 0}}
    }
    return db


def test_counts_and_statuses(olist_db: Path, olist_dir: Path) -> None:
    with (olist_dir / "olist_orders_dataset.csv").open(newline="") as f:
        data_rows = sum(1 for _ in csv.reader(f)) - 1
    assert data_rows == 4071  # the file has no final newline: wc -l says 4070
    con = duckdb.connect(str(olist_db), read_only=True)
    by_raw = dict(con.execute("SELECT status_raw, count(*) FROM orders GROUP BY 1").fetchall())
    assert by_raw == {
        "delivered": 3965,
        "shipped": 43,
        "canceled": 20,
        "unavailable": 18,
        "processing": 15,
        "invoiced": 10,
    }
    by_status = dict(con.execute("SELECT status, count(*) FROM orders GROUP BY 1").fetchall())
    assert by_status == {"completed": 3965, "shipped": 43, "closed": 38, "paid": 25}
    assert con.execute("SELECT count(*) FROM orders WHERE paid_at IS NULL").fetchall() == [(8,)]
    assert con.execute("SELECT DISTINCT shop_id FROM orders").fetchall() == [("olist",)]
    con.close()


def test_times_are_brazil_local_stored_utc(olist_db: Path) -> None:
    con = duckdb.connect(str(olist_db), read_only=True)
    got = con.execute(
        "SELECT created_at, paid_at FROM orders WHERE order_id = 'e481f51cbdc54678b7cc49136f2d6af7'"
    ).fetchall()
    con.close()
    # 2017-10-02 10:56:33 in Sao Paulo (UTC-3 then) is 13:56:33 UTC
    assert got == [(datetime(2017, 10, 2, 13, 56, 33), datetime(2017, 10, 2, 14, 7, 15))]


def test_amounts_are_the_sum_of_payments(olist_db: Path, olist_dir: Path) -> None:
    payments: dict[str, list[Decimal]] = defaultdict(list)
    with (olist_dir / "payments_for_head_orders.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            payments[row["order_id"]].append(Decimal(row["payment_value"]))
    several = sorted(k for k, v in payments.items() if len(v) > 1)[:2]
    assert len(several) == 2
    con = duckdb.connect(str(olist_db), read_only=True)
    for order_id in several:
        [(amount,)] = con.execute(
            "SELECT amount FROM orders WHERE order_id = ?", [order_id]
        ).fetchall()
        assert amount == sum(payments[order_id])
    total = con.execute("SELECT sum(amount) FROM orders").fetchall()[0][0]
    con.close()
    assert total == sum(sum(v) for v in payments.values())
