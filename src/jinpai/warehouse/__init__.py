"""Where the canonical tables live: a DuckDB file (one installation, many shops).

Others call:

- :func:`connect` - open (and create) the warehouse file, tables ensured;
- :func:`open_memory_warehouse_from_folder` - an in-memory DuckDB loaded from a data folder
  through the same importers (``jinpai report --data FOLDER``);
- :func:`load_files` - import files in one transaction (used by :mod:`jinpai.services`).

The stored layout is described in :mod:`jinpai.warehouse.tables`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from jinpai.warehouse.load_file import ForeignShopError, Options
from jinpai.warehouse.load_files import LoadResult, load_files
from jinpai.warehouse.tables import ensure_schema, stored_columns

__all__ = [
    "RETRY_EVERY_S",
    "FolderError",
    "ForeignShopError",
    "LoadResult",
    "Options",
    "WarehouseLocked",
    "connect",
    "ensure_schema",
    "exclusively",
    "load_files",
    "locked_by_another",
    "open_memory_warehouse_from_folder",
    "open_waiting",
    "stored_columns",
]


class FolderError(ValueError):
    """A data folder that cannot be reported on (missing, or without messages/orders)."""


class WarehouseLocked(Exception):
    """Another process holds the warehouse file (DuckDB allows one writing process, and no
    reader beside it): still so after waiting."""


RETRY_EVERY_S = 0.2


def locked_by_another(exc: BaseException) -> bool:
    """Whether DuckDB refused the file because another process has it open (its file lock)."""
    return isinstance(exc, duckdb.IOException) and "Could not set lock on file" in str(exc)


def open_waiting(
    path: Path,
    *,
    read_only: bool = False,
    wait_s: float = 0.0,
    on_wait: Callable[[], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried while another process holds the file, for ``wait_s`` seconds
    at most (``on_wait`` is called once, when the waiting begins); then :class:`WarehouseLocked`.
    DuckDB has no lock timeout of its own: it refuses at once."""
    deadline = time.monotonic() + wait_s
    waiting = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not locked_by_another(exc):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"the warehouse {path} is in use by another process"
                ) from None
        if not waiting and on_wait is not None:
            on_wait()
        waiting = True
        time.sleep(RETRY_EVERY_S)


@contextlib.contextmanager
def exclusively(path: Path, *, wait_s: float) -> Iterator[None]:
    """Hold the file's lock as DuckDB's writer does (a POSIX lock on the whole file), waiting
    up to ``wait_s`` seconds for other processes to let go (then :class:`WarehouseLocked`).

    Replacing the file under another process's open connection would send that process's
    commit to the old, unlinked file: lost. Holding the lock, no other process has the file
    open; it finds the new file when it opens it after us. (Locks are per process: the
    caller keeps its own threads off the file.)
    """
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): DuckDB's own lock there is not fcntl's
        yield
        return
    with path.open("r+b") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise WarehouseLocked(
                        f"the warehouse {path} is in use by another process"
                    ) from None
                time.sleep(RETRY_EVERY_S)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    wait_s: float = 0.0,
    on_wait: Callable[[], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, creating the tables; ``memory_limit`` (DuckDB's form, '1500MB')
    caps an import, which spills to the warehouse's spill folder beyond it. While another
    process holds the file, retry for ``wait_s`` seconds (see :func:`open_waiting`)."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}")
        return open_waiting(path, read_only=True, wait_s=wait_s, on_wait=on_wait)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    con = open_waiting(path, wait_s=wait_s, on_wait=on_wait)
    if new:
        # the shop's orders and messages: readable by the owner only (DuckDB takes no mode and
        # refuses an empty file made beforehand, so the new, still empty file is narrowed)
        path.chmod(0o600)
    if memory_limit:
        # an import stages a whole file in temp tables: beyond the cap they spill to the
        # warehouse's spill folder (``<warehouse>.tmp``), so memory does not grow with the file
        from jinpai.canonical.validation import set_memory_limit

        set_memory_limit(con, memory_limit)
    ensure_schema(con)
    return con


def open_memory_warehouse_from_folder(
    folder: Path | str,
    *,
    timezone: str,
    buyer_secret: str | None = None,
    shop: str = "default",
    require_reporting_tables: bool = True,
) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding a canonical data folder, imported like ``jinpai import``.

    Every canonical table exists (empty when the folder has no file for it). Bad rows are in the
    ``quarantine`` table as usual. Raises :class:`FolderError` when the folder lacks messages or
    orders (with ``require_reporting_tables``) or a file cannot be read at all.
    """
    from jinpai.ingest.sources import folder_files

    folder = Path(folder)
    if not folder.is_dir():
        raise FolderError(f"no data folder at {folder}")
    files, _ = folder_files(folder)
    tables = {t for _, t in files}
    if require_reporting_tables:
        missing = [t for t in ("messages", "orders") if t not in tables]
        if missing:
            raise FolderError(f"{folder}: no file for table {', '.join(missing)}")
    options = Options(
        shop=shop,
        timezone=timezone,
        buyer_secret=buyer_secret,
    )
    con = duckdb.connect(":memory:")
    result = load_files(con, [(p, t) for p, t in files], options)
    if result.errors:
        con.close()
        raise FolderError("; ".join(e.message for e in result.errors))
    return con
