"""A million messages import in well under a minute, with a few bad rows among them."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from jinpai.services import imports
from jinpai.settings import get_settings
from tests.ingest.files import MESSAGES_HEADER

ROWS = 1_000_000


def write_million(path: Path) -> None:
    lines = [",".join(MESSAGES_HEADER)]
    append = lines.append
    for i in range(ROWS):
        sender = "buyer" if i % 2 == 0 else "agent"
        # every 100,000th row has a bad time: quarantined, the rest land
        at = (
            "not a time"
            if i % 100_000 == 99_999
            else f"2024-03-{1 + i % 28:02d} {8 + i % 12:02d}:{i % 60:02d}:{(i // 60) % 60:02d}"
        )
        append(f"tb_{i % 5000},shop:agent{i % 25},{sender},{at},0,message {i % 1000}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_one_million_messages(tmp_path: Path) -> None:
    path = tmp_path / "messages.csv"
    write_million(path)
    db = tmp_path / "wh.duckdb"
    started = time.perf_counter()
    result = imports.import_path(path, get_settings(), db=db)
    seconds = time.perf_counter() - started
    assert result.to_json()["tables"]["messages"] == {
        "read": ROWS,
        "stored": ROWS - 10,
        "updated": 0,
        "quarantined": 10,
    }
    assert seconds < 60, f"a million rows took {seconds:.1f}s"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT row_key) FROM messages").fetchall() == [
        (ROWS - 10, ROWS - 10)
    ]
    assert con.execute("SELECT min(source_row), max(source_row) FROM messages").fetchall() == [
        (2, ROWS)  # the last row (ROWS + 1) is one of the bad ones
    ]
    con.close()
