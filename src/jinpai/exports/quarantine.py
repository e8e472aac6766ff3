"""The quarantine as a file a supervisor opens: CSV (UTF-8 with BOM, so Excel reads it) or xlsx.

Its cells come from imported files, so no text of them may run as a formula there.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinpai.exports.csvfile import text_cell
from jinpai.warehouse.reads import QUARANTINE_FIELDS


def write_quarantine(rows: Sequence[Mapping[str, Any]], out: Path | str) -> Path:
    """Write quarantined rows to ``out`` (.csv or .xlsx); ValueError for another suffix."""
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        import xlsxwriter

        with xlsxwriter.Workbook(str(out), {"strings_to_formulas": False}) as wb:
            ws = wb.add_worksheet("quarantine")
            bold = wb.add_format({"bold": True})
            ws.write_row(0, 0, QUARANTINE_FIELDS, bold)
            for i, r in enumerate(rows, start=1):
                ws.write_row(i, 0, [r[f] for f in QUARANTINE_FIELDS])
            ws.freeze_panes(1, 0)
        return out
    if out.suffix.lower() != ".csv":
        raise ValueError("export the quarantine as .csv or .xlsx")
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=QUARANTINE_FIELDS)
        writer.writeheader()
        writer.writerows(
            {f: text_cell(v) if isinstance(v, str) else v for f, v in r.items()} for r in rows
        )
    return out
