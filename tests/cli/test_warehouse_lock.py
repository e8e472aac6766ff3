"""``jinpai import`` while another process (``jinpai serve``) has the warehouse open: it waits
for the file with one line on stderr, then imports, or gives up with one line, never a
traceback (finding 9 of the trust issue). Two real processes: the CLI and a lock holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from jinpai.cli import app
from jinpai.cli.imports import BUSY_EXIT_CODE, WAITING
from tests.lock_holder import held
from tests.surface_data import write_shop_folder

SRC = Path(__file__).resolve().parents[2] / "src"


def jinpai_import(folder: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "jinpai.cli", "import", str(folder), "--db", str(db), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def new_warehouse(tmp_path: Path) -> tuple[Path, Path]:
    folder = write_shop_folder(tmp_path / "shop")
    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()
    return folder, db


def test_an_import_from_the_cli_waits_for_the_server_and_then_imports_finding_9_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    folder, db = new_warehouse(tmp_path)
    with held(db) as holder:
        cli = jinpai_import(folder, db, "--wait", "60")
        assert cli.stderr is not None
        first = cli.stderr.readline()  # the CLI starts, finds the file held, and says it waits
        assert first == WAITING + "\n"
        time.sleep(1)
        assert cli.poll() is None  # still waiting, not failed
        holder.release()
        out, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, err
    assert "Traceback" not in err and "Could not set lock" not in err and "waiting" not in err
    assert "imported into" in out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM orders").fetchall() == [(2,)]


def test_an_import_from_the_cli_gives_up_with_one_line_after_its_wait_finding_9_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    folder, db = new_warehouse(tmp_path)
    with held(db):
        cli = jinpai_import(folder, db, "--wait", "1")
        _, err = cli.communicate(timeout=60)
    assert cli.returncode == BUSY_EXIT_CODE, err
    assert "Traceback" not in err and "Could not set lock" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 2, err  # the waiting line, then the error
    assert lines[1].startswith("error: 仓库仍被另一个进程占用")
    assert "the warehouse is still in use by another process (jinpai serve?) after 1 s" in lines[1]


def test_a_report_on_a_warehouse_another_process_writes_is_one_line_finding_9_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    folder, db = new_warehouse(tmp_path)
    assert jinpai_import(folder, db).wait(timeout=60) == 0
    with held(db):
        result = CliRunner().invoke(app, ["report", "--db", str(db), "--month", "2024-03"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "in use by another process" in result.output
