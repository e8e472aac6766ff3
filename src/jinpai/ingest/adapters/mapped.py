"""Any table file through a column mapping: ``--map sent_at=created_at,buyer_id=user`` or a file.

A mapping file (YAML) may also name the table, a strptime time format, a timezone, and an
``amount_from`` spec that fills ``orders.amount`` with the sum of a value column of another file
per order (payments with several rows per order: vouchers, split payments)::

    table: orders
    timezone: America/Sao_Paulo
    columns:                  # canonical column: column of the file
      order_id: order_id
      buyer_id: customer_id
      created_at: order_purchase_timestamp
      paid_at: order_approved_at
      status: order_status
    amount_from:
      file: payments_for_head_orders.csv   # relative to the mapping file
      key: order_id                        # the order id column of that file
      value: payment_value                 # summed per order

Canonical columns the mapping does not name are still found under their own names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from jinpai.canonical.schema import SHOP_ID, TABLES
from jinpai.ingest.adapters import canonical
from jinpai.ingest.adapters.base import AdapterError, Plan, normalise_header
from jinpai.ingest.personal import is_personal
from jinpai.ingest.readers import read_table_file

NAME = "mapped"


@dataclass
class AmountFrom:
    file: Path
    key: str
    value: str


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> file header
    table: str | None = None
    time_format: str | None = None
    timezone: str | None = None
    amount_from: AmountFrom | None = None


def parse_map_option(text: str) -> dict[str, str]:
    """``sent_at=created_at,buyer_id=user`` -> {"sent_at": "created_at", "buyer_id": "user"}."""
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        target, sep, source = part.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise AdapterError(f"--map expects canonical=column pairs, got {part.strip()!r}")
        out[target.strip()] = source.strip()
    return out


def load_mapping_file(path: Path) -> Mapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise AdapterError(f"cannot read the mapping file {path}: {e}") from e
    if not isinstance(data, dict):
        raise AdapterError(f"{path}: a mapping file is a YAML object")
    columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items()}
    amount = data.get("amount_from")
    amount_from = None
    if amount:
        try:
            file = Path(str(amount["file"]))
            amount_from = AmountFrom(
                file if file.is_absolute() else path.parent / file,
                str(amount["key"]),
                str(amount["value"]),
            )
        except (KeyError, TypeError) as e:
            raise AdapterError(f"{path}: amount_from needs file, key and value") from e
    return Mapping(
        columns,
        data.get("table"),
        data.get("time_format"),
        data.get("timezone"),
        amount_from,
    )


def _find(headers: list[str], name: str, file: str) -> int:
    wanted = normalise_header(name)
    for i, h in enumerate(headers):
        if normalise_header(h) == wanted:
            return i
    raise AdapterError(f"{file}: the mapping names column {name!r}, which the file does not have")


def _amounts(spec: AmountFrom) -> pa.Table:
    """Per key, the sum of the value column (text, or a note when some value is no number)."""
    raw = read_table_file(spec.file)
    key = f"r{_find(raw.headers, spec.key, spec.file.name)}"
    value = f"r{_find(raw.headers, spec.value, spec.file.name)}"
    batches = [b.select([key, value]).rename_columns(["k", "v"]) for b in raw.batches]
    table = pa.concat_tables(batches) if batches else pa.table({"k": [], "v": []})
    con = duckdb.connect()
    try:
        con.register("payments", table)
        return con.sql(
            "WITH p AS (SELECT trim(k) AS k, TRY_CAST(regexp_replace(v, '[¥￥,，\\s]', '', 'g') "
            "AS DECIMAL(18, 2)) AS amount, v FROM payments WHERE trim(k) <> '') "
            "SELECT k, CASE WHEN count(*) FILTER (amount IS NULL) > 0 "
            "THEN 'a payment value of this order is not a number' "
            "ELSE CAST(sum(amount) AS VARCHAR) END AS amount FROM p GROUP BY k"
        ).to_arrow_table()
    finally:
        con.close()


def plan(table: str, headers: list[str], mapping: Mapping, file: str) -> Plan:
    schema = TABLES[table]
    base = canonical.plan(table, headers)
    sources = dict(base.sources)
    for target, source in mapping.columns.items():
        if target != SHOP_ID and target not in schema.column_names:
            raise AdapterError(f"--map: {target!r} is not a column of table {table}")
        sources[target] = f"r{_find(headers, source, file)}"
    used = set(sources.values())
    personal = {i for i, h in enumerate(headers) if f"r{i}" not in used and is_personal(h)}
    result = Plan(NAME, table, sources, headers, personal)
    if mapping.amount_from is not None:
        if table != "orders":
            raise AdapterError("amount_from only applies to orders")
        sums = _amounts(mapping.amount_from)
        key_cell = sources.get("order_id")
        if key_cell is None:
            raise AdapterError(f"{file}: amount_from needs the order_id column")

        def derive(batch: pa.Table) -> dict[str, pa.Array]:
            keys = pc.utf8_trim_whitespace(batch[key_cell])
            at = pc.index_in(keys, value_set=sums["k"])
            return {"d_amount": pc.take(sums["amount"], at)}

        result.derive = derive
        result.sources["amount"] = "d_amount"
    return result
