"""Another process holding a warehouse file open for writing, as ``jinpai import`` does while
``jinpai serve`` runs (DuckDB allows one process to write a file, and no reader beside it)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()  # until the test releases it
if len(sys.argv) > 2:  # what the holder's import writes before it commits
    con.execute(sys.argv[2])
con.close()
"""


class LockHolder:
    def __init__(self, path: Path, write_at_release: str | None = None) -> None:
        extra = [write_at_release] if write_at_release else []
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path), *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stdout.readline() == "holding\n"
        self._lock, self._released = threading.Lock(), False

    def release(self) -> None:
        """Close the holder's connection (once, from whichever thread asks first)."""
        with self._lock:
            if self._released:
                return
            self._released = True
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.close()
            self.process.wait(timeout=30)
            assert self.process.stdout is not None
            self.process.stdout.close()


@contextlib.contextmanager
def held(path: Path, write_at_release: str | None = None) -> Iterator[LockHolder]:
    """The file held by another process until ``release()`` or the end of the block, which
    runs ``write_at_release`` (SQL) before it lets go, as an import commits."""
    holder = LockHolder(path, write_at_release)
    try:
        yield holder
    finally:
        holder.release()
