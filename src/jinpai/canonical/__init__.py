"""The canonical tables: schemas, keys and validation rules (spec/data.md)."""

from jinpai.canonical.schema import TABLES, Column, Kind, TableSchema

__all__ = ["TABLES", "Column", "Kind", "TableSchema"]
