"""Writing canonical tables: Arrow types from schema.py, streaming sinks, time-ordered buffers.

Times are int64 seconds of shop-local wall time (no zone arithmetic: the demo shop lives in
Asia/Shanghai and writes naive local times, as its exports would).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jinpai.canonical.schema import SHOP_ID, Kind, TableSchema
from jinpai.demo.shop import SHOP_ID as DEMO_SHOP

Format = Literal["parquet", "csv"]
MONEY = pa.decimal128(14, 2)
EPOCH = date(1970, 1, 1)

_ARROW = {
    Kind.TEXT: pa.string(),
    Kind.CHOICE: pa.string(),
    Kind.TIMESTAMP: pa.timestamp("ms"),
    Kind.DATE: pa.date32(),
    Kind.BOOL: pa.bool_(),
    Kind.DECIMAL: MONEY,
    Kind.INTEGER: pa.int64(),
    Kind.SCORE: pa.float64(),
}


def arrow_schema(table: TableSchema) -> pa.Schema:
    fields = [
        pa.field(
            c.name,
            pa.decimal128(18, getattr(c, "scale", 2)) if c.kind is Kind.DECIMAL else _ARROW[c.kind],
            c.nullable,
        )
        for c in table.columns
    ]
    return pa.schema([*fields, pa.field(SHOP_ID, pa.string(), False)])


def timestamps(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Naive timestamps from int64 seconds; ``null`` marks missing values."""
    return pa.array(np.asarray(seconds, dtype=np.int64) * 1000, pa.timestamp("ms"), mask=null)


def money(cents: np.ndarray, typ: pa.DataType = MONEY) -> pa.Array:
    """Exact decimals from non-negative int64 unscaled values (cents for MONEY): Arrow stores the
    unscaled 128-bit integer, so no float rounding and no Python Decimal objects."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.zeros(2 * cents.size, dtype=np.int64)
    words[0::2] = cents  # little-endian low word; high word 0 as values are >= 0
    return pa.Array.from_buffers(typ, cents.size, [None, pa.py_buffer(words.tobytes())])


def dates(values: list[date | None]) -> pa.Array:
    """date32 from Python dates without a detour through pandas (pyarrow would import it)."""
    days = np.array([(v - EPOCH).days if v else 0 for v in values], dtype=np.int32)
    return pa.array(days, pa.date32(), mask=np.array([v is None for v in values]))


def nicks(ids: np.ndarray, prefix: bytes = b"tb_", digits: int = 10) -> pa.Array:
    """Buyer nicks like ``tb_4829301746``: a bijective scramble of the integer id, vectorised."""
    v = (np.asarray(ids, dtype=np.uint64) * np.uint64(7_919_199_937)) % np.uint64(10**digits)
    powers = np.uint64(10) ** np.arange(digits - 1, -1, -1, dtype=np.uint64)
    d = ((v[:, None] // powers) % np.uint64(10)).astype(np.uint8) + ord("0")
    pre = np.frombuffer(prefix, dtype=np.uint8)
    raw = np.concatenate([np.broadcast_to(pre, (v.size, pre.size)), d], axis=1)
    fixed = np.ascontiguousarray(raw).view(f"S{raw.shape[1]}").ravel()
    return pa.array(fixed, pa.binary()).cast(pa.string())


def take(values: list[str] | pa.Array, idx: np.ndarray) -> pa.Array:
    """Strings by index from a small bank (agents, templates): Arrow's take, no Python loop."""
    bank = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    return bank.take(pa.array(np.asarray(idx, dtype=np.int64)))


class TableSink:
    """Appends batches of one canonical table to ``folder/<name>.<fmt>`` as they come."""

    def __init__(self, folder: Path, table: TableSchema, fmt: Format) -> None:
        self.path = folder / f"{table.name}.{fmt}"
        self.schema = arrow_schema(table)
        self.fmt = fmt
        self.rows = 0
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None

    def write(self, columns: dict[str, pa.Array | np.ndarray | list]) -> None:
        n = len(next(iter(columns.values())))
        arrays = []
        for f in self.schema:
            if f.name == SHOP_ID:
                arrays.append(pa.repeat(DEMO_SHOP, n))
            else:
                arrays.append(_as_arrow(columns[f.name], f.type) if f.name in columns else None)
        if any(a is None for a in arrays):
            missing = [f.name for f, a in zip(self.schema, arrays, strict=True) if a is None]
            raise KeyError(f"{self.path.name}: missing columns {missing}")
        batch = pa.table(arrays, schema=self.schema)
        if self.fmt == "csv":
            batch = _csv_ready(batch)
        if self._writer is None:
            self._open(batch.schema)
        assert self._writer is not None
        self._writer.write_table(batch)
        self.rows += n

    def _open(self, schema: pa.Schema) -> None:
        if self.fmt == "parquet":
            self._writer = pq.ParquetWriter(self.path, schema, compression="snappy")
        else:
            self._writer = pacsv.CSVWriter(self.path, schema)

    def close(self) -> None:
        if self._writer is None:  # an empty table still gets its file with the header
            empty = self.schema.empty_table()
            self._open(_csv_ready(empty).schema if self.fmt == "csv" else self.schema)
            assert self._writer is not None
            self._writer.write_table(_csv_ready(empty) if self.fmt == "csv" else empty)
        self._writer.close()


def _as_arrow(values: pa.Array | np.ndarray | list, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    return pa.array(values, typ)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ``2024-03-15 08:46:47`` (no fraction, no offset) for CSV."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            col = table.column(i).cast(pa.timestamp("s")).cast(pa.string())
            table = table.set_column(i, pa.field(f.name, pa.string(), f.nullable), col)
    return table


class Pending:
    """Rows (numpy columns) waiting for their day: popped in time order once the day is done."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.parts: list[dict[str, np.ndarray]] = []

    def push(self, cols: dict[str, np.ndarray]) -> None:
        if len(cols[self.key]):
            self.parts.append(cols)

    def pop_before(self, t: int) -> dict[str, np.ndarray] | None:
        """Rows with key < t sorted by key (stable: generation order breaks ties)."""
        if not self.parts:
            return None
        names = list(self.parts[0])
        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in names}
        due = cols[self.key] < t
        rest = {k: v[~due] for k, v in cols.items()}
        self.parts = [rest] if len(rest[self.key]) else []
        if not due.any():
            return None
        order = np.argsort(cols[self.key][due], kind="stable")
        return {k: v[due][order] for k, v in cols.items()}
