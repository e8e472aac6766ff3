"""A large import stays in bounded memory: the file's cells live in DuckDB, which spills beyond
the memory_limit setting, and each batch read from the file is freed once staged, not held until
the import's commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from jinpai.ingest.readers import CSV_BLOCK_BYTES
from jinpai.services import imports
from jinpai.settings import get_settings
from jinpai.warehouse import connect
from tests.ingest.files import MESSAGES_HEADER

ROWS = 400_000


def write_messages(path: Path) -> None:
    lines = [",".join(MESSAGES_HEADER)]
    for i in range(ROWS):
        sender = "buyer" if i % 2 == 0 else "agent"
        at = f"2024-03-{1 + i % 28:02d} {8 + i % 12:02d}:{i % 60:02d}:{(i // 60) % 60:02d}"
        lines.append(f"tb_{i % 5000},shop:agent{i % 25},{sender},{at},0,message {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def messages_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "messages.csv"
    write_messages(path)
    return path


class ArrowHeld:
    """Import progress that notes the Arrow memory still held when a file is done, inside the
    import's transaction (before its commit)."""

    def __init__(self) -> None:
        self.held: list[int] = []

    def start(self, label: str, total: int) -> Callable[[int], None]:
        self.before = pa.total_allocated_bytes()
        return lambda done: None

    def finish(self) -> None:
        self.held.append(pa.total_allocated_bytes() - self.before)


def test_batches_are_freed_as_they_are_staged(tmp_path: Path, messages_file: Path) -> None:
    blocks = messages_file.stat().st_size / CSV_BLOCK_BYTES
    assert blocks > 5  # the file is read in several batches
    progress = ArrowHeld()
    result = imports.import_path(
        messages_file, get_settings(), db=tmp_path / "wh.duckdb", progress=progress
    )
    assert result.tables["messages"].stored == ROWS
    # at most about a batch is left over, not the whole file's cells
    assert progress.held[0] < 2 * CSV_BLOCK_BYTES, f"{progress.held[0]:,} bytes held"


def test_the_warehouse_takes_the_memory_limit(tmp_path: Path, limit: Callable[[str], None]) -> None:
    limit("300MB")
    con = connect(tmp_path / "wh.duckdb", memory_limit=get_settings().memory_limit)
    value = con.execute("SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'")
    assert value.fetchone()[0] in ("286.1 MiB", "300.0 MB")
    con.close()


def test_a_tightly_capped_import_stores_the_same_rows(
    tmp_path: Path, messages_file: Path, limit: Callable[[str], None]
) -> None:
    stored = {}
    # DuckDB's own default, then a cap under which most staged cells spill (about 85 of 100 MB)
    for cap in ("", "48MB"):
        limit(cap)
        db = tmp_path / f"wh{cap}.duckdb"
        imports.import_path(messages_file, get_settings(), db=db)
        with duckdb.connect(str(db), read_only=True) as con:
            stored[cap] = con.execute(
                "SELECT count(*), sum(hash(row_key, seq, sent_at, content)) FROM messages"
            ).fetchall()
    assert stored[""][0][0] == ROWS
    assert stored["48MB"] == stored[""]
