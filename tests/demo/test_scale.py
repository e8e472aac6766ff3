"""Scaling: the requested message count is met within 10%, streamed to disk."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from jinpai.demo import generate_shop


def test_half_a_million_messages(tmp_path: Path) -> None:
    s = generate_shop(tmp_path / "big", seed=5, messages=500_000)
    assert abs(s.messages - 500_000) <= 50_000
    meta = pq.ParquetFile(s.out / "messages.parquet").metadata
    assert meta.num_rows == s.messages
    assert meta.num_row_groups >= 31  # written day by day, never held whole
    orders = pq.ParquetFile(s.out / "orders.parquet").metadata.num_rows
    assert 10 < s.messages / orders < 40
