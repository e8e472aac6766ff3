"""The trust issue, at the importer: an import for one shop stores that shop's rows only
(finding 1), and a file that leaves a column out leaves the stored values of it alone
(finding 3). Real imports into real DuckDB files."""

from __future__ import annotations

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
