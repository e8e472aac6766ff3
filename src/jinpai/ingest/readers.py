"""Readers: a file -> its header and batches of text cells, each row with its number in the file.

Every cell is read as text (validation decides what it means), so an id such as ``007`` or a
13-digit order number keeps its digits. Batches carry ``_row``, the row number as the user sees
it: in CSV and Excel the header is row 1 and the first data row is row 2; Parquet rows count
from 1. Cells are named ``r0, r1, ...`` by position, so duplicate or odd headers are harmless.

CSV is streamed with pyarrow (a few MB at a time) after the encoding is detected on the first
megabyte: UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312) when the bytes
decode as such, else whatever charset-normalizer finds.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SAMPLE_BYTES = 1 << 20
CSV_BLOCK_BYTES = 4 << 20
BATCH_ROWS = 50_000
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq")

Progress = Callable[[int], None]  # called with bytes done since the last call (estimated for
# Excel and Parquet from the rows read)


class ReadError(ValueError):
    """A file that cannot be read at all (unknown format, undecodable, no header)."""


@dataclass
class Malformed:
    """A row the reader could not split into the header's cells."""

    row: int
    reason: str
    text: str


@dataclass
class RawFile:
    """The text cells of one file: header names and a stream of batches (``_row``, r0..rN)."""

    path: Path
    headers: list[str]
    batches: Iterator[pa.Table]
    size: int  # bytes, for progress bars
    encoding: str | None = None
    malformed: list[Malformed] = field(default_factory=list)


def cell_names(n: int) -> list[str]:
    return [f"r{i}" for i in range(n)]


def detect_encoding(sample: bytes) -> str:
    """Name of the encoding of a CSV sample (a Python codec name)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(sample) - 3 and len(sample) >= SAMPLE_BYTES:
            return "utf-8"  # cut in the middle of a character by the sample
    for enc in ("gb18030",):
        try:
            sample.decode(enc)
            return enc
        except UnicodeDecodeError as e:
            if e.start >= len(sample) - 3 and len(sample) >= SAMPLE_BYTES:
                return enc
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        raise ReadError("cannot tell the text encoding of this file")
    return best.encoding


def _csv_header(sample: bytes, encoding: str, delimiter: str) -> list[str]:
    text = sample.decode(encoding, errors="replace")
    for record in csv.reader(io.StringIO(text), delimiter=delimiter):
        if any(cell.strip() for cell in record):
            return [cell.strip().lstrip("\ufeff") for cell in record]
    raise ReadError("the file has no header row")


def _row_numbers(start: int, n: int, skipped: list[int]) -> np.ndarray:
    """Row numbers of the ``n`` records after ``start`` valid ones, stepping over skipped rows.

    The k-th skipped row (sorted, 0-based) sits after ``s_k - 2 - k`` valid rows.
    """
    idx = np.arange(start, start + n, dtype=np.int64)
    if not skipped:
        return idx + 2
    s = np.sort(np.asarray(skipped, dtype=np.int64))
    thresholds = s - 2 - np.arange(len(s), dtype=np.int64)
    return idx + 2 + np.searchsorted(thresholds, idx, side="right")


def read_csv(path: Path, progress: Progress | None = None) -> RawFile:
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ReadError("the file is empty")
    encoding = detect_encoding(sample)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    headers = _csv_header(sample, encoding, delimiter)
    names = cell_names(len(headers))
    malformed: list[Malformed] = []
    skipped: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        number = row.number if row.number is not None else -1
        skipped.append(number)
        malformed.append(
            Malformed(
                number,
                f"the row has {row.actual_columns} cells, the header {row.expected_columns}",
                row.text,
            )
        )
        return "skip"

    def batches() -> Iterator[pa.Table]:
        arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
        # the path, not a Python stream: pyarrow reads it natively (7x faster)
        reader = pacsv.open_csv(
            str(path),
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                block_size=CSV_BLOCK_BYTES,
                encoding=arrow_encoding,
                use_threads=False,  # keeps row numbers of malformed rows known
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        done = 0
        try:
            for batch in reader:
                rows = _row_numbers(done, batch.num_rows, skipped)
                done += batch.num_rows
                if progress:  # the cells' bytes: close to the file's bytes read
                    progress(sum(c.buffers()[2].size for c in batch.columns))
                table = pa.Table.from_batches([batch])
                yield table.add_column(0, "_row", pa.array(rows))
        except pa.ArrowInvalid as e:
            raise ReadError(f"cannot read the file as CSV ({encoding}): {e}") from e

    return RawFile(path, headers, batches(), path.stat().st_size, encoding, malformed)


def _cell_text(value: object) -> str | None:
    """Excel cell -> text as a person would type it (dates ISO, 12.0 -> 12)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()  # type: ignore[call-arg]
    return str(value)


def read_xlsx(path: Path, progress: Progress | None = None) -> RawFile:
    import openpyxl  # only Excel imports pay for it

    try:
        # formulas as written: exports keep ids as ="123..." (unwrapped by validation), often
        # without a cached value that data_only would need
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise ReadError(f"cannot open the Excel file: {e}") from e
    ws = wb.active
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None or not any(v is not None for v in header_row):
        wb.close()
        raise ReadError("the sheet has no header row")
    headers = [(_cell_text(v) or "").strip() for v in header_row]
    while headers and not headers[-1]:
        headers.pop()
    names = cell_names(len(headers))
    size, total_rows = path.stat().st_size, max(ws.max_row or 1, 1)

    def tick(rows: int) -> None:
        if progress:
            progress(size * rows // total_rows)

    def batches() -> Iterator[pa.Table]:
        cols: list[list[str | None]] = [[] for _ in names]
        numbers: list[int] = []
        try:
            for number, values in enumerate(rows, start=2):
                if not any(v is not None and v != "" for v in values):
                    continue
                for i in range(len(names)):
                    cols[i].append(_cell_text(values[i]) if i < len(values) else None)
                numbers.append(number)
                if len(numbers) >= BATCH_ROWS:
                    yield _table(numbers, cols, names)
                    tick(len(numbers))
                    cols = [[] for _ in names]
                    numbers = []
            if numbers:
                yield _table(numbers, cols, names)
                tick(len(numbers))
        finally:
            wb.close()

    return RawFile(path, headers, batches(), size)


def _table(numbers: list[int], cols: list[list[str | None]], names: list[str]) -> pa.Table:
    data = {"_row": pa.array(numbers, pa.int64())}
    data.update({n: pa.array(c, pa.string()) for n, c in zip(names, cols, strict=True)})
    return pa.table(data)


def _as_text(array: pa.ChunkedArray | pa.Array) -> pa.Array:
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return array.cast(pa.string())
    if pa.types.is_dictionary(t):
        return _as_text(array.cast(t.value_type))
    if pa.types.is_timestamp(t) and t.tz is not None:
        return array.cast(pa.timestamp("us", "UTC")).cast(pa.string())
    try:
        return array.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise ReadError(f"cannot read a column of type {t} as text") from e


def read_parquet(path: Path, progress: Progress | None = None) -> RawFile:
    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises ArrowInvalid/OSError for damaged files
        raise ReadError(f"cannot open the Parquet file: {e}") from e
    headers = list(pf.schema_arrow.names)
    names = cell_names(len(headers))
    size, total_rows = path.stat().st_size, max(pf.metadata.num_rows, 1)

    def batches() -> Iterator[pa.Table]:
        done = 0
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            data = {"_row": pa.array(np.arange(done + 1, done + 1 + batch.num_rows))}
            for name, col in zip(names, batch.columns, strict=True):
                data[name] = _as_text(col)
            done += batch.num_rows
            if progress:
                progress(size * batch.num_rows // total_rows)
            yield pa.table(data)

    return RawFile(path, headers, batches(), size)


def read_text_lines(path: Path) -> tuple[str, list[str]]:
    """A text file's lines (encoding detected), for line-format adapters such as chat_text."""
    data = path.read_bytes()
    encoding = detect_encoding(data[:SAMPLE_BYTES])
    return encoding, data.decode(encoding, errors="replace").splitlines()


def read_table_file(path: Path, progress: Progress | None = None) -> RawFile:
    """Open a CSV, Excel or Parquet file by its suffix."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return read_csv(path, progress)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, progress)
    if suffix in (".parquet", ".pq"):
        return read_parquet(path, progress)
    raise ReadError(f"unknown file type {suffix!r} (use .csv, .xlsx, .parquet or .txt)")
