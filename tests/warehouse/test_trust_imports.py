"""The trust issue, at the importer: an import for one shop stores that shop's rows only
(finding 1), and a file that leaves a column out leaves the stored values of it alone
(finding 3). Real imports into real DuckDB files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from jinpai.services import imports
from jinpai.services.errors import ImportInputError
from jinpai.settings import get_settings


def stored_agents(db: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT shop_id, agent_id, name, base_salary FROM agents ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def test_an_import_for_one_shop_refuses_a_folder_whose_file_names_another_shop(
    tmp_path: Path,
) -> None:
    """Finding 1 of the trust issue: the shop of a row is the importer's own reading of it, and
    a folder imports whole or not at all, so the good file beside the bad one is not stored."""
    db = tmp_path / "wh.duckdb"
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "agents.csv").write_text("agent_id,name\na1,小美\n", encoding="utf-8")
    (folder / "ratings.csv").write_text(
        "店铺编号,agent_id,rated_on,kind,score\ndemo,a1,2024-03-01,exam,90\n", encoding="utf-8"
    )
    with pytest.raises(ImportInputError, match="demo"):
        imports.import_path(folder, get_settings(), db=db, shop="shop2", own_shop_only=True)
    assert stored_agents(db) == []
    # the same folder from the command line (no own_shop_only) writes where each row says
    imports.import_path(folder, get_settings(), db=db, shop="shop2")
    assert stored_agents(db) == [("shop2", "a1", "小美", None)]


AGENT_COLUMNS = 'name, role, level, base_salary, commission_rate, hired_on, left_on, "group"'


def agent_row(db: Path, agent_id: str) -> tuple[object, ...]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            f"SELECT {AGENT_COLUMNS} FROM agents WHERE shop_id = 'demo' AND agent_id = ?",
            [agent_id],
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return row


def import_text(tmp_path: Path, db: Path, name: str, text: str) -> dict[str, int]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = imports.import_path(path, get_settings(), db=db, shop="demo").to_json()["tables"]
    return next(iter(result.values()))


def test_a_file_without_some_columns_leaves_their_stored_values_as_they_are(
    tmp_path: Path,
) -> None:
    """Finding 3 of the trust issue: importing ``agent_id`` alone for a known agent set name,
    role, level, base_salary, commission_rate and hired_on to NULL."""
    db = tmp_path / "wh.duckdb"
    full = (
        "agent_id,name,role,level,base_salary,commission_rate,hired_on,left_on,group\n"
        "a1,小美,presale,mid,4000,0.015,2023-01-01,,A组\n"
    )
    import_text(tmp_path, db, "agents.csv", full)
    stored = agent_row(db, "a1")
    assert stored[0] == "小美" and stored[3] is not None
    assert import_text(tmp_path, db, "agents.csv", "agent_id\na1\n")["updated"] == 0
    assert agent_row(db, "a1") == stored
    # a column that is there sets what it says, and nothing else
    counts = import_text(tmp_path, db, "agents.csv", "客服,底薪\na1,4500\n")
    assert counts["updated"] == 1
    assert agent_row(db, "a1") == (*stored[:3], 4500, *stored[4:])


def test_an_empty_cell_of_a_column_the_file_has_still_clears_the_stored_value(
    tmp_path: Path,
) -> None:
    """Finding 3 of the trust issue, the other half (unchanged on purpose): a column the file
    has is the file's word on every row, an empty cell included (an export that empties a
    field means it), so only a column left out of the file keeps the stored values."""
    db = tmp_path / "wh.duckdb"
    import_text(tmp_path, db, "agents.csv", "agent_id,name,level\na1,小美,mid\n")
    import_text(tmp_path, db, "agents.csv", "agent_id,name\na1,\n")
    assert agent_row(db, "a1")[:3] == (None, None, "mid")


def test_a_later_order_export_without_items_or_refunds_keeps_them_through_the_cli(
    tmp_path: Path,
) -> None:
    """Finding 3 of the trust issue, for columns with a default: an order export that leaves
    out items, refund_amount and status updates paid_at but does not reset the others to
    their defaults (1 piece, nothing refunded)."""
    from typer.testing import CliRunner

    from jinpai.cli import app

    db = tmp_path / "wh.duckdb"
    first = tmp_path / "first" / "orders.csv"
    later = tmp_path / "later" / "orders.csv"
    for path, text in (
        (
            first,
            "order_id,buyer_id,created_at,paid_at,amount,items,refund_amount,status\n"
            "o1,b1,2024-03-15 10:00:00,,300,3,50,交易关闭\n",
        ),
        (
            later,
            "order_id,buyer_id,created_at,paid_at,amount\n"
            "o1,b1,2024-03-15 10:00:00,2024-03-15 10:05:00,300\n",
        ),
    ):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        r = CliRunner().invoke(app, ["import", str(path), "--db", str(db), "--format", "json"])
        assert r.exit_code == 0, r.output
    assert json.loads(r.output)["tables"]["orders"]["updated"] == 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT paid_at IS NOT NULL, items, refund_amount, status, status_raw FROM orders"
        ).fetchone()
    finally:
        con.close()
    assert row == (True, 3, 50, "closed", "交易关闭")
