"""Files already in the canonical columns (spec/data.md), by English name or Chinese label."""

from __future__ import annotations

from jinpai.canonical.schema import SHOP_ID, TABLES
from jinpai.ingest.adapters.base import Plan, normalise_header
from jinpai.ingest.personal import is_personal

NAME = "canonical"

# Chinese labels besides the schema's ``zh`` (a label shared by two columns is left out)
_ALIASES = {"店铺": SHOP_ID, "店铺编号": SHOP_ID, "shop": SHOP_ID}


def header_index(table: str) -> dict[str, str]:
    """Accepted header spelling (normalised) -> canonical column of ``table``."""
    schema = TABLES[table]
    out = {normalise_header(k): v for k, v in _ALIASES.items()}
    out[SHOP_ID] = SHOP_ID
    zh_count: dict[str, int] = {}
    for c in schema.columns:
        if c.zh:
            zh_count[c.zh] = zh_count.get(c.zh, 0) + 1
    for c in schema.columns:
        if c.zh and zh_count[c.zh] == 1:
            out[normalise_header(c.zh)] = c.name
    for c in schema.columns:  # English names win over any label
        out[normalise_header(c.name)] = c.name
    return out


def plan(table: str, headers: list[str]) -> Plan:
    index = header_index(table)
    sources: dict[str, str] = {}
    personal: set[int] = set()
    for i, h in enumerate(headers):
        column = index.get(normalise_header(h))
        if column is not None and column not in sources:
            sources[column] = f"r{i}"
        elif column is None and is_personal(h):
            personal.add(i)
    return Plan(NAME, table, sources, headers, personal)
