"""What an adapter tells the pipeline: where each canonical column comes from in a file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from jinpai.canonical.schema import TABLES, TableSchema

# extra per-batch columns an adapter computes (named ``d_<canonical>``)
Derive = Callable[[pa.Table], dict[str, pa.Array]]


class AdapterError(ValueError):
    """The file does not fit the adapter (a missing required column, a bad mapping)."""


class MissingColumnError(AdapterError):
    def __init__(self, file: str, table: str, columns: list[str]) -> None:
        self.file, self.table, self.columns = file, table, columns
        names = ", ".join(columns)
        super().__init__(f"{file}: required column {names} of table {table} is missing")


@dataclass
class Plan:
    """How one file becomes rows of one canonical table."""

    adapter: str
    table: str
    # canonical column (or shop_id) -> staged text column: a cell ``r<i>`` or derived ``d_<name>``
    sources: dict[str, str]
    headers: list[str]
    personal: set[int] = field(default_factory=set)  # cells of personal data (never read)
    derive: Derive | None = None
    # Taobao: an order closed after payment, without a refund column, is fully refunded
    closed_after_payment_refunded: bool = False
    # cells read although no canonical column comes from them directly (the chat export's
    # line, from which its columns are derived): kept with a quarantined row
    context: set[int] = field(default_factory=set)

    @property
    def schema(self) -> TableSchema:
        return TABLES[self.table]

    def read_cells(self) -> set[int]:
        """Positions of the cells the import reads: the only ones staged, so a column of personal
        data or other free text (买家留言, 商家备注, ...) is never stored, not even in quarantine."""
        cells = {int(s[1:]) for s in self.sources.values() if s.startswith("r")}
        return (cells | self.context) - self.personal

    def check_required(self, file: str) -> None:
        missing = [c.name for c in self.schema.columns if c.required and c.name not in self.sources]
        if missing:
            raise MissingColumnError(file, self.table, missing)


def normalise_header(header: str) -> str:
    return header.strip().lstrip("\ufeff").lower().replace(" ", "_")
