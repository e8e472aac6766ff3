"""Readers: a file -> its header and batches of text cells, each row with its number in the file.

Every cell is read as text (validation decides what it means), so an id such as ``007`` or a
13-digit order number keeps its digits. Batches carry ``_row``, the row number as the user sees
it: in CSV and Excel the header is row 1 and the first data row is row 2; Parquet rows count
from 1. Cells are named ``r0, r1, ...`` by position, so duplicate or odd headers are harmless.

CSV is streamed with pyarrow (a few MB at a time) after the encoding is detected on the first
megabyte: UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312) when the bytes
decode as such, else whatever charset-normalizer finds. A file mixing UTF-8 and GBK lines is
refused, naming its first line in the other encoding (GB18030 would read UTF-8 Chinese as
mojibake without a word; no per-line guess can be sure of a short line).

Every reader keeps within :class:`Limits` (the settings ``import_max_*`` and ``xlsx_max_*``): an
Excel file's declared unpacked size and compression ratio are checked before it is opened (a
zip bomb of 0.7 MB once unpacked to 245 MB of sheet XML), and a file past its columns, rows or
cells is refused whole, with a one-line error naming it in Chinese and English.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jinpai.settings import Settings

SAMPLE_BYTES = 1 << 20
CSV_BLOCK_BYTES = 4 << 20
BATCH_ROWS = 50_000
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq")
EXCEL_MAX_ROWS = 1_048_576  # what Excel itself can hold
MALFORMED_TEXT_CHARS = 2000  # a malformed row's text kept for the quarantine

Progress = Callable[[int], None]  # called with bytes done since the last call (estimated for
# Excel and Parquet from the rows read)


class ReadError(ValueError):
    """A file that cannot be read at all (unknown format, undecodable, no header)."""


class TooLargeError(ReadError):
    """A file past one of the :class:`Limits`: refused whole, nothing of it stored."""

    def __init__(self, file: str, zh: str, en: str) -> None:
        super().__init__(f"{file}: {zh} / {en}")


@dataclass(frozen=True)
class Limits:
    """How much one imported file may hold (the settings of the same names, less ``import_``)."""

    max_columns: int
    max_rows: int
    max_cells: int
    max_quarantined: int
    xlsx_max_unpacked_mb: int
    xlsx_max_ratio: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        def value(name: str) -> int:
            return int(getattr(settings, name if name.startswith("xlsx") else f"import_{name}"))

        return cls(**{f.name: value(f.name) for f in fields(cls)})


DEFAULT_LIMITS = Limits.of(Settings.model_construct())  # the settings' defaults


def _check_size(path: Path, limits: Limits, rows: int, columns: int) -> None:
    """Refuse a file past its rows or cells (``rows`` read so far)."""
    if rows > limits.max_rows:
        raise TooLargeError(
            path.name,
            f"行数超过上限 {limits.max_rows:,}，未导入任何行，请拆分文件",
            f"more than {limits.max_rows:,} rows; nothing was imported: split the file",
        )
    if rows * max(columns, 1) > limits.max_cells:
        raise TooLargeError(
            path.name,
            f"单元格数超过上限 {limits.max_cells:,}，未导入任何行，请拆分文件",
            f"more than {limits.max_cells:,} cells; nothing was imported: split the file",
        )


def too_many_bad(file: str, limits: Limits) -> TooLargeError:
    """The refusal of a file with more bad rows than the quarantine takes: such a file is
    another format or mapping than assumed, not a few typos (a zip bomb once left 4,999,999)."""
    n = limits.max_quarantined
    return TooLargeError(
        file,
        f"超过 {n:,} 行无法读取，未导入任何行，请检查文件格式或列映射",
        f"more than {n:,} rows cannot be read; nothing was imported: check the file's format "
        "or the column mapping",
    )


def _check_columns(path: Path, limits: Limits, columns: int) -> None:
    if columns > limits.max_columns:
        raise TooLargeError(
            path.name,
            f"列数超过上限 {limits.max_columns:,}，未导入任何行",
            f"more than {limits.max_columns:,} columns; nothing was imported",
        )


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
    try:
        for record in csv.reader(io.StringIO(text), delimiter=delimiter):
            if any(cell.strip() for cell in record):
                return [cell.strip().lstrip("\ufeff") for cell in record]
    except csv.Error as e:  # a header cell over the csv module's field limit
        raise ReadError(f"cannot read the header row: {e}") from e
    raise ReadError("the file has no header row")


# a CJK character (U+4000-U+9FFF) written in UTF-8: three bytes, E4-E9 then two continuations
_UTF8_CJK = re.compile(rb"[\xe4-\xe9][\x80-\xbf][\x80-\xbf]")


def _misfit_line(path: Path, encoding: str) -> int | None:
    """The first line (from 1) not written in the file's detected encoding, None if all are.

    A UTF-8 file: a line that is not UTF-8. A GB18030 file: a line of Chinese that is valid
    UTF-8, which GB18030 would read as mojibake. (A GBK line is valid UTF-8 holding a CJK
    character only by a chain of unlikely bytes: a short one never is.) One pass over the file,
    a block at a time.
    """
    if encoding not in ("utf-8", "utf-8-sig", "gb18030"):
        return None
    utf8 = encoding != "gb18030"
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, rest = 0, b""
    with path.open("rb") as f:
        while block := f.read(CSV_BLOCK_BYTES):
            if utf8:
                found = _not_utf8(decoder, block)
            else:
                block, rest = _whole_lines(rest + block)
                found = _utf8_chinese(block)
            if found is not None:
                return lines + block[:found].count(b"\n") + 1
            lines += block.count(b"\n")
        if not utf8 and rest and (found := _utf8_chinese(rest)) is not None:
            return lines + 1
    return None


def _whole_lines(data: bytes) -> tuple[bytes, bytes]:
    """``data`` up to its last line break, and what follows (a line longer than a block is
    checked in pieces)."""
    cut = data.rfind(b"\n") + 1
    return (data[:cut], data[cut:]) if cut and len(data) - cut < CSV_BLOCK_BYTES else (data, b"")


def _not_utf8(decoder: codecs.IncrementalDecoder, block: bytes) -> int | None:
    """Offset in ``block`` of the first byte that is not UTF-8 (bytes of a character cut by
    the block wait in the decoder)."""
    pending = len(decoder.getstate()[0])
    try:
        decoder.decode(block)
    except UnicodeDecodeError as e:
        return max(e.start - pending, 0)
    return None


def _utf8_chinese(block: bytes) -> int | None:
    """Offset of the first line in ``block`` that is UTF-8 Chinese."""
    checked = -1
    for match in _UTF8_CJK.finditer(block):
        start = block.rfind(b"\n", 0, match.start()) + 1
        if start <= checked:
            continue  # that line was tried
        end = block.find(b"\n", match.end())
        end = len(block) if end < 0 else end
        checked = end
        try:
            block[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return start
    return None


def _check_encoding(path: Path, encoding: str) -> None:
    line = _misfit_line(path, encoding)
    if line is None:
        return
    found = "GBK/GB18030" if encoding.startswith("utf-8") else "UTF-8"
    detected = "UTF-8" if encoding.startswith("utf-8") else "GBK/GB18030"
    raise ReadError(
        f"{path.name}: 文件混用了两种编码（{detected} 与 {found}），第 {line} 行起不一致，未导入任何行，"
        f"请统一另存为 UTF-8 / the file mixes two encodings ({detected} and {found} from line "
        f"{line}); nothing was imported: save it all as UTF-8"
    )


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


def read_csv(
    path: Path, progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS
) -> RawFile:
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ReadError("the file is empty")
    try:
        encoding = detect_encoding(sample)
    except ReadError:
        _check_encoding(path, "gb18030")  # UTF-8 and GBK lines decode as neither
        raise
    _check_encoding(path, encoding)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    headers = _csv_header(sample, encoding, delimiter)
    _check_columns(path, limits, len(headers))
    names = cell_names(len(headers))
    malformed: list[Malformed] = []
    skipped: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        number = row.number if row.number is not None else -1
        skipped.append(number)
        if len(malformed) >= limits.max_quarantined:
            raise too_many_bad(path.name, limits)  # pyarrow passes it on as it is
        malformed.append(
            Malformed(
                number,
                f"the row has {row.actual_columns} cells, the header {row.expected_columns}",
                row.text[:MALFORMED_TEXT_CHARS],
            )
        )
        return "skip"

    def batches() -> Iterator[pa.Table]:
        try:
            yield from read(open_reader())
        except pa.ArrowInvalid as e:
            raise ReadError(f"cannot read the file as CSV ({encoding}): {e}") from e

    def open_reader() -> pacsv.CSVStreamingReader:
        arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
        # the path, not a Python stream: pyarrow reads it natively (7x faster)
        return pacsv.open_csv(
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

    def read(reader: pacsv.CSVStreamingReader) -> Iterator[pa.Table]:
        done = 0
        for batch in reader:
            rows = _row_numbers(done, batch.num_rows, skipped)
            done += batch.num_rows
            _check_size(path, limits, done + len(malformed), len(headers))
            if progress:  # the cells' bytes: close to the file's bytes read
                progress(sum(c.buffers()[2].size for c in batch.columns))
            table = pa.Table.from_batches([batch])
            yield table.add_column(0, "_row", pa.array(rows))

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


def check_xlsx_archive(path: Path, limits: Limits) -> None:
    """Refuse an Excel file whose parts unpack beyond the limits, before anything is parsed.

    The sizes are the ones the archive declares: Python's zipfile never inflates a part past
    its declared size (a part that lies fails its CRC), so they bound what parsing can read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ReadError(f"cannot open the Excel file: {e}") from e
    unpacked = sum(p.file_size for p in parts)
    if unpacked > limits.xlsx_max_unpacked_mb << 20:
        raise TooLargeError(
            path.name,
            f"Excel 文件解压后 {unpacked >> 20:,} MB，超过上限 {limits.xlsx_max_unpacked_mb:,} MB，"
            "未导入任何行，请另存为 CSV",
            f"the Excel file unpacks to {unpacked >> 20:,} MB, over the limit of "
            f"{limits.xlsx_max_unpacked_mb:,} MB; nothing was imported: save it as CSV",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        # small parts (styles, a short sheet) compress well for honest reasons
        if part.file_size > 1 << 20 and ratio > limits.xlsx_max_ratio:
            raise TooLargeError(
                path.name,
                f"Excel 文件的 {part.filename} 压缩比 {ratio:,.0f}:1，超过上限 "
                f"{limits.xlsx_max_ratio}:1（疑似压缩炸弹），未导入任何行",
                f"{part.filename} of the Excel file is compressed {ratio:,.0f}:1, over the "
                f"limit of {limits.xlsx_max_ratio}:1 (a zip bomb?); nothing was imported",
            )


def _size_from_head(self: Any) -> None:
    """``ReadOnlyWorksheet._get_size`` that reads the sheet's dimension from its head only.

    The dimension element comes before sheetData (ECMA-376, CT_Worksheet); openpyxl looks for
    it among "end" events, which parse the whole of sheetData when it is absent: every sheet
    without one was parsed twice, once just to learn it has no size.
    """
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    with self._get_source() as source:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start" and element.tag == DATA_TAG:
                return
            if event == "end" and element.tag == DIMENSION_TAG:
                found = SheetDimension.from_tree(element).boundaries
                self._min_column, self._min_row, self._max_column, self._max_row = found
                return


def _open_workbook(path: Path) -> Any:
    import openpyxl  # only Excel imports pay for it
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    ReadOnlyWorksheet._get_size = _size_from_head  # type: ignore[method-assign]
    try:
        # formulas as written: exports keep ids as ="123..." (unwrapped by validation), often
        # without a cached value that data_only would need
        return openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise ReadError(f"cannot open the Excel file: {e}") from e


def read_xlsx(
    path: Path, progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS
) -> RawFile:
    check_xlsx_archive(path, limits)
    wb = _open_workbook(path)
    ws = wb.active
    header_row = next(ws.iter_rows(max_row=1, values_only=True), None)
    if header_row is None or not any(v is not None for v in header_row):
        wb.close()
        raise ReadError("the sheet has no header row")
    headers = [(_cell_text(v) or "").strip() for v in header_row]
    while headers and not headers[-1]:
        headers.pop()
    _check_columns(path, limits, len(headers))
    names = cell_names(len(headers))
    size, total_rows = path.stat().st_size, max(ws.max_row or 1, 1)
    # the header's width, not the sheet's declared one: a dimension of A1:XFD1048576 would pad
    # every row to 16,384 cells
    rows = ws.iter_rows(min_row=2, max_col=max(len(names), 1), values_only=True)
    capped = replace(limits, max_rows=min(limits.max_rows, EXCEL_MAX_ROWS))
    last_row = 1 + min(capped.max_rows, capped.max_cells // max(len(names), 1))

    def tick(rows: int) -> None:
        if progress:
            progress(size * rows // total_rows)

    def batches() -> Iterator[pa.Table]:
        cols: list[list[str | None]] = [[] for _ in names]
        numbers: list[int] = []
        try:
            for number, values in enumerate(rows, start=2):
                # empty rows count too: a sheet may jump to row 10^9 (openpyxl fills the gap)
                if number > last_row:
                    _check_size(path, capped, number - 1, len(names))
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


def read_parquet(
    path: Path, progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS
) -> RawFile:
    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises ArrowInvalid/OSError for damaged files
        raise ReadError(f"cannot open the Parquet file: {e}") from e
    headers = list(pf.schema_arrow.names)
    _check_columns(path, limits, len(headers))
    _check_size(path, limits, pf.metadata.num_rows, len(headers))  # known before reading
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


def read_table_file(
    path: Path, progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS
) -> RawFile:
    """Open a CSV, Excel or Parquet file by its suffix."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return read_csv(path, progress, limits)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, progress, limits)
    if suffix in (".parquet", ".pq"):
        return read_parquet(path, progress, limits)
    raise ReadError(f"unknown file type {suffix!r} (use .csv, .xlsx, .parquet or .txt)")
