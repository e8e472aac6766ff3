"""Exports -> canonical columns: readers (CSV in any Chinese encoding, Excel, Parquet), one
adapter per source format, and the personal-data rules. Loading into the warehouse (staging,
validation, upsert, quarantine) is :mod:`jinpai.warehouse`; the use case is
:func:`jinpai.services.import_path`."""
