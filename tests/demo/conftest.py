"""Fixtures of the demo-shop tests: one default month generated once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jinpai.canonical.schema import TABLES
from jinpai.demo import GenerationSummary, generate_shop

START = pd.Timestamp("2024-03-01")


@pytest.fixture(scope="session")
def demo_month(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate_shop(tmp_path_factory.mktemp("demo") / "shop")


@pytest.fixture(scope="session")
def tables(demo_month: GenerationSummary) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(demo_month.out / f"{name}.parquet") for name in TABLES}


def folder_hashes(folder: Path) -> dict[str, str]:
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}
