"""An import killed with SIGKILL inside its transaction leaves the warehouse as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from jinpai.services import imports
from jinpai.settings import get_settings
from jinpai.warehouse.load_files import PAUSE_ENV
from tests.ingest.files import MESSAGES_HEADER, ORDERS_HEADER, write_csv

REPO = Path(__file__).resolve().parents[2]


def big_messages(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write(",".join(MESSAGES_HEADER) + "\n")
        for i in range(rows):
            sender = "buyer" if i % 2 else "agent"
            f.write(f"b{i % 997},shop:a{i % 13},{sender},{1710460000 + i},0,msg {i}\n")
    return path


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("messages", "orders", "imports", "quarantine")
        }
    finally:
        con.close()


def test_kill_9_inside_the_transaction_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    first = tmp_path / "first"
    first.mkdir()
    write_csv(
        first / "messages.csv",
        MESSAGES_HEADER,
        [["b", "a", "buyer", "2024-03-15 08:00:00", "", "x"]],
    )
    write_csv(
        first / "orders.csv", ORDERS_HEADER, [["o1", "b", "2024-03-15 09:00:00", "", "1", ""]]
    )
    imports.import_path(first, get_settings(), db=db)
    before = counts(db)
    size_before = db.stat().st_size

    big = tmp_path / "big"
    big.mkdir()
    big_messages(big / "messages.csv", 300_000)
    write_csv(big / "orders.csv", ORDERS_HEADER, [["o2", "b", "2024-03-15 09:00:00", "", "1", ""]])
    env = {**os.environ, PAUSE_ENV: "60"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jinpai.cli",
            "import",
            str(big),
            "--db",
            str(db),
            "--format",
            "json",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        line = ""
        while "paused inside the import transaction" not in line:
            assert time.monotonic() < deadline, "the import never reached its pause"
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "the import ended before its pause"
        # it has written (DuckDB writes big inserts to the file before the commit)
        wal = db.with_name(db.name + ".wal")
        assert db.stat().st_size > size_before or wal.exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert counts(db) == before
    # and the warehouse still takes the same import afterwards
    result = imports.import_path(big, get_settings(), db=db).to_json()["tables"]
    assert result["messages"]["stored"] == 300_000
    assert counts(db)["messages"] == before["messages"] + 300_000
