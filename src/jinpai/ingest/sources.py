"""Which adapter reads a file, and which table it fills."""

from __future__ import annotations

from pathlib import Path

from jinpai.canonical.schema import TABLES
from jinpai.ingest.adapters import canonical, chat_text, mapped, taobao_orders
from jinpai.ingest.adapters.base import AdapterError, Plan
from jinpai.ingest.readers import (
    DEFAULT_LIMITS,
    SUFFIXES,
    Limits,
    Progress,
    RawFile,
    read_table_file,
)


class UnknownTableError(AdapterError):
    pass


def _guess_table(headers: list[str]) -> str | None:
    """The table whose required columns the headers all name (the best-covered one)."""
    best: tuple[int, str] | None = None
    for name in TABLES:
        found = canonical.plan(name, headers).sources
        schema = TABLES[name]
        if all(c.name in found for c in schema.columns if c.required):
            score = sum(1 for c in schema.columns if c.name in found)
            if best is None or score > best[0]:
                best = (score, name)
    return best[1] if best else None


def table_of_file(path: Path) -> str | None:
    """A data folder names each file after its table: ``messages.csv``, ``orders.xlsx``."""
    stem = path.stem.lower()
    return stem if stem in TABLES else None


def open_source(
    path: Path,
    *,
    table: str | None = None,
    mapping: mapped.Mapping | None = None,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[RawFile, Plan]:
    """Read a file's cells and plan its canonical columns (adapter chosen by content)."""
    if table is not None and table not in TABLES:
        raise UnknownTableError(f"unknown table {table!r} (tables: {', '.join(TABLES)})")
    if mapping is not None and mapping.table and table is None:
        table = mapping.table
        if table not in TABLES:
            raise UnknownTableError(f"unknown table {table!r} in the mapping")
    table = table or table_of_file(path)
    if path.suffix.lower() == ".txt" and table in (None, "messages") and mapping is None:
        if chat_text.looks_like_chat(path):
            return chat_text.read(path)
        raise AdapterError(f"{path.name}: not a chat-record export (see docs/importing.md)")
    if path.suffix.lower() not in SUFFIXES:
        raise AdapterError(f"{path.name}: unknown file type (use .csv, .xlsx, .parquet or .txt)")
    raw = read_table_file(path, progress, limits)
    if mapping is not None:
        if table is None:
            raise UnknownTableError(f"{path.name}: say which table the mapping fills (--table)")
        return raw, mapped.plan(table, raw.headers, mapping, path.name)
    if taobao_orders.matches(raw.headers) and table in (None, "orders"):
        return raw, taobao_orders.plan(raw.headers)
    table = table or _guess_table(raw.headers)
    if table is None:
        raise UnknownTableError(
            f"{path.name}: cannot tell which table this file fills; name it after its table "
            f"({', '.join(TABLES)}) or pass --table"
        )
    return raw, canonical.plan(table, raw.headers)


def folder_files(folder: Path) -> tuple[list[tuple[Path, str]], list[Path]]:
    """The table files of a data folder, and the other files in it (skipped).

    Raises when two files name the same table (``orders.csv`` and ``orders.xlsx``).
    """
    found: dict[str, Path] = {}
    skipped: list[Path] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        table = table_of_file(path)
        if table is None or path.suffix.lower() not in SUFFIXES or path.name.startswith("."):
            skipped.append(path)
            continue
        if table in found:
            raise AdapterError(f"two files for table {table}: {found[table].name} and {path.name}")
        found[table] = path
    order = list(TABLES)
    return sorted(((p, t) for t, p in found.items()), key=lambda x: order.index(x[1])), skipped
