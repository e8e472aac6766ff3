"""Hostile files meet caps, not the server's disk, memory and minutes (findings 2 and 3 of the
trust issue): an xlsx zip bomb, an xlsx without a size parsed twice, too many rows, cells or bad
rows, a CSV of a million columns, a CSV mixing UTF-8 and GBK lines."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from jinpai.cli import app as cli_app
from jinpai.services import imports
from jinpai.settings import Settings
from tests.ingest.files import ORDERS_HEADER, write_csv

SHEET = "xl/worksheets/sheet1.xml"
# the parts of the smallest workbook openpyxl opens; the sheet comes apart
XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
    'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedo'
    'cument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" Conten'
    'tType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/rel'
    'ationships"><sheets><sheet name="orders" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.open'
    'xmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.open'
    'xmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>",
}


def cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def write_xlsx(path: Path, rows: int, row_xml: str, repeat_mb: int = 0) -> Path:
    """An xlsx of the orders header and ``rows`` copies of ``row_xml`` (no dimension element,
    like the bomb), then ``repeat_mb`` MB more of them, streamed into the zip."""
    header = "<row>" + "".join(cell(h) for h in ORDERS_HEADER) + "</row>"
    block = (row_xml * max((1 << 20) // len(row_xml), 1)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData>' + header.encode()
            )
            sheet.write(row_xml.encode() * rows)
            for _ in range(repeat_mb):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


BAD_ROW = "<row>" + cell("o") + cell("b") + cell("not a time") + "</row>"


def good_row(i: int) -> str:
    return "<row>" + "".join(cell(v) for v in (f"o{i}", "b1", "2024-03-15 09:00:00")) + "</row>"


def run(path: Path, settings: Settings, db: Path) -> imports.ImportResult:
    return imports.import_path(path, settings, db=db, shop="s1", table="orders")


def stored(db: Path) -> tuple[int, int]:
    """(orders, quarantined rows) in the warehouse."""
    with duckdb.connect(str(db), read_only=True) as con:
        orders = con.execute("SELECT count(*) FROM orders").fetchall()[0][0]
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
    return int(orders), int(quarantined)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_an_xlsx_zip_bomb_is_refused_before_it_is_parsed_finding_2_of_the_trust_issue(
    tmp_path: Path, settings: Settings
) -> None:
    # 120 MB of sheet XML in a few hundred KB: every row bad, as in the reported bomb
    bomb = write_xlsx(tmp_path / "orders.xlsx", 0, BAD_ROW, repeat_mb=120)
    assert bomb.stat().st_size < 2 << 20
    started = time.monotonic()
    result = run(bomb, settings, tmp_path / "w.duckdb")
    assert time.monotonic() - started < 10  # today: minutes, gigabytes and 1.3 M quarantined rows
    assert result.tables == {}
    (error,) = result.errors
    assert error.startswith("orders.xlsx: ")
    assert "压缩炸弹" in error and "zip bomb" in error and "\n" not in error
    assert stored(tmp_path / "w.duckdb") == (0, 0)


def test_an_xlsx_unpacking_beyond_the_cap_is_refused_finding_2_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home", xlsx_max_unpacked_mb=20, xlsx_max_ratio=10_000)
    bomb = write_xlsx(tmp_path / "orders.xlsx", 0, BAD_ROW, repeat_mb=40)
    (error,) = run(bomb, settings, tmp_path / "w.duckdb").errors
    assert "orders.xlsx" in error and "解压" in error and "over the limit of 20 MB" in error


def test_an_xlsx_without_a_size_is_parsed_once_finding_2_of_the_trust_issue(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(good_row(i) for i in range(20_000))
    path = write_xlsx(tmp_path / "orders.xlsx", 1, rows)
    read = {SHEET: 0}
    open_part = zipfile.ZipFile.open

    def counting_open(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        part = open_part(self, name, *args, **kwargs)
        if getattr(name, "filename", name) == SHEET and "w" not in args:
            read_part = part.read

            def counted(n: int = -1) -> bytes:
                data = read_part(n)
                read[SHEET] += len(data)
                return data

            part.read = counted  # type: ignore[method-assign]
        return part

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    result = run(path, settings, tmp_path / "w.duckdb")
    assert result.tables["orders"].read == 20_000
    size = zipfile.ZipFile(path).getinfo(SHEET).file_size
    assert read[SHEET] < 1.2 * size, (read[SHEET], size)  # today: twice the sheet


def test_a_file_past_the_row_or_cell_cap_is_refused_whole_finding_2_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    path = write_xlsx(tmp_path / "orders.xlsx", 1, "".join(good_row(i) for i in range(1500)))
    db = tmp_path / "w.duckdb"
    (error,) = run(path, Settings(home=tmp_path, import_max_rows=1000), db).errors
    assert error.startswith("orders.xlsx: 行数超过上限 1,000") and "more than 1,000 rows" in error
    (error,) = run(path, Settings(home=tmp_path, import_max_cells=2000), db).errors
    assert "单元格" in error and "more than 2,000 cells" in error
    csv = write_csv(
        tmp_path / "orders.csv", ORDERS_HEADER, [[f"o{i}"] + [""] * 5 for i in range(1500)]
    )
    (error,) = run(csv, Settings(home=tmp_path, import_max_rows=1000), db).errors
    assert error.startswith("orders.csv: ") and "more than 1,000 rows" in error
    assert stored(db) == (0, 0)


def test_more_bad_rows_than_the_quarantine_takes_refuse_the_file_finding_2_of_the_trust_issue(
    tmp_path: Path,
) -> None:
    good = [[f"o{i}", "b1", "2024-03-15 09:00:00", "", "10", ""] for i in range(20)]
    bad = [[f"x{i}", "b1", "not a time", "", "10", ""] for i in range(50)]
    path = write_csv(tmp_path / "orders.csv", ORDERS_HEADER, good + bad)
    db = tmp_path / "w.duckdb"
    result = run(path, Settings(home=tmp_path, import_max_quarantined=49), db)
    (error,) = result.errors
    assert error.startswith("orders.csv: 超过 49 行无法读取")
    assert "more than 49 rows cannot be read; nothing was imported" in error
    assert stored(db) == (0, 0)  # not even the good rows: the file is not what it seems
    dups = write_csv(tmp_path / "orders-again.csv", ORDERS_HEADER, good * 4)
    (error,) = run(dups, Settings(home=tmp_path, import_max_quarantined=59), db).errors
    assert "more than 59 rows" in error
    assert run(path, Settings(home=tmp_path, import_max_quarantined=50), db).errors == []
    assert stored(db) == (20, 50)


def test_a_csv_of_a_million_columns_is_a_clear_error_finding_3_of_the_trust_issue(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "orders.csv"
    header = "order_id,buyer_id,created_at," + ",".join(f"c{i}" for i in range(1_000_000))
    path.write_text(header + "\no1,b1,2024-03-15 09:00:00\n", encoding="utf-8")
    (error,) = run(path, settings, tmp_path / "w.duckdb").errors
    assert error.startswith("orders.csv: 列数超过上限 1,000") and "more than 1,000 columns" in error
    cli = CliRunner().invoke(
        cli_app, ["import", str(path), "--db", str(tmp_path / "w.duckdb"), "--table", "orders"]
    )
    assert cli.exception is None or isinstance(cli.exception, SystemExit), cli.exception
    assert "Traceback" not in cli.output and "more than 1,000 columns" in cli.output


def test_a_csv_mixing_utf8_and_gbk_lines_is_refused_naming_the_first_bad_line_finding_3_of_the_trust_issue(
    tmp_path: Path, settings: Settings
) -> None:
    db = tmp_path / "w.duckdb"
    lines = ["order_id,buyer_id,created_at,status", "o1,买家甲,2024-03-15 09:00:00,交易成功"]
    gbk_first = io.BytesIO()
    gbk_first.write("\n".join(lines).encode("gbk") + b"\n")
    gbk_first.write("o2,买家乙,2024-03-15 09:00:00,交易成功\n".encode())  # line 3 in UTF-8
    path = tmp_path / "orders.csv"
    path.write_bytes(gbk_first.getvalue())
    (error,) = run(path, settings, db).errors
    assert error.startswith("orders.csv: 文件混用了两种编码") and "UTF-8 from line 3" in error
    # UTF-8 over the first megabyte (where the encoding is detected), then one GBK line
    rows = [f"o{i},买家,2024-03-15 09:00:00,交易成功" for i in range(30_000)]
    body = (
        "\n".join([lines[0], *rows]).encode()
        + b"\n"
        + "o-x,买家丙,2024-03-15,交易成功\n".encode("gbk")
    )
    assert len(body) > 1 << 20
    path.write_bytes(body)
    (error,) = run(path, settings, db).errors
    assert f"GBK/GB18030 from line {len(rows) + 2}" in error
    assert stored(db) == (0, 0)


def test_plain_gbk_and_utf8_files_still_import(tmp_path: Path, settings: Settings) -> None:
    rows = [["o1", "买家甲", "2024-03-15 09:00:00", "", "10", "交易成功"]]
    for encoding in ("gbk", "utf-8", "utf-8-sig"):
        path = write_csv(tmp_path / "orders.csv", ORDERS_HEADER, rows, encoding=encoding)
        assert run(path, settings, tmp_path / f"{encoding}.duckdb").errors == []


def test_an_xlsx_of_orders_still_imports(tmp_path: Path, settings: Settings) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(ORDERS_HEADER)
    ws.append(["o1", "b1", "2024-03-15 09:00:00", None, 10, "交易成功"])
    ws.append([])
    ws.append(["o2", "b1", "2024-03-15 09:00:00", None, 12, "交易成功"])
    wb.save(tmp_path / "orders.xlsx")
    result = run(tmp_path / "orders.xlsx", settings, tmp_path / "w.duckdb")
    assert result.errors == [] and result.tables["orders"].stored == 2
