"""Adapters: one per source format, each turning a file's cells into canonical columns.

- ``canonical``: files already in the canonical columns (English names or Chinese labels);
- ``taobao_orders``: the Taobao/Tmall order export (detected by its Chinese headers);
- ``chat_text``: the chat-record text export (``.txt``);
- ``mapped``: any file through a column mapping (``--map`` or a mapping file).
"""

from jinpai.ingest.adapters.base import AdapterError, MissingColumnError, Plan

__all__ = ["AdapterError", "MissingColumnError", "Plan"]
