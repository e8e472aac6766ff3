"""Importing files into a warehouse connection: one transaction for all of them.

A crash, kill or Ctrl-C before the commit leaves the warehouse as it was (DuckDB only makes a
transaction's writes durable at commit).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from jinpai.ingest.adapters.base import AdapterError
from jinpai.ingest.adapters.mapped import Mapping
from jinpai.ingest.readers import ReadError
from jinpai.ingest.sources import open_source
from jinpai.warehouse.load_file import FileOutcome, Options, Rejected, import_file, next_import_id
from jinpai.warehouse.tables import ensure_schema

# test hook: seconds to sleep inside the transaction, after writing, before the commit
PAUSE_ENV = "JINPAI_IMPORT_PAUSE_S"


class ImportProgress(Protocol):
    def start(self, label: str, total: int) -> Callable[[int], None]: ...

    def finish(self) -> None: ...


@dataclass
class FileError:
    file: str
    message: str


@dataclass
class LoadResult:
    files: list[FileOutcome] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    rejected: dict[int, list[Rejected]] = field(default_factory=dict)  # by import id


def load_files(
    con: duckdb.DuckDBPyConnection,
    files: list[tuple[Path, str | None]],
    options: Options,
    *,
    mapping: Mapping | None = None,
    progress: ImportProgress | None = None,
) -> LoadResult:
    """Import ``(path, table or None)`` files in one transaction; a file that cannot be read at
    all (unreadable, missing a required column, unknown table) is reported and skipped."""
    ensure_schema(con)
    result = LoadResult()
    con.execute("BEGIN TRANSACTION")
    try:
        import_id = next_import_id(con)
        for path, table in files:
            tick = progress.start(path.name, path.stat().st_size) if progress else None
            try:
                raw, plan = open_source(
                    path, table=table, mapping=mapping, progress=tick, limits=options.limits
                )
                outcome, rejected = import_file(con, raw, plan, options, import_id)
            except (AdapterError, ReadError, OSError) as e:
                message = str(e)
                if not message.startswith(path.name):
                    message = f"{path.name}: {message}"
                result.errors.append(FileError(str(path), message))
                continue
            finally:
                if progress:
                    progress.finish()
            result.files.append(outcome)
            result.rejected[import_id] = rejected
            import_id += 1
        pause = float(os.environ.get(PAUSE_ENV) or 0)
        if pause > 0:
            print("jinpai: paused inside the import transaction", file=sys.stderr, flush=True)
            time.sleep(pause)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result
