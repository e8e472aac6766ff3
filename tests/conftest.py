"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def olist_dir() -> Path:
    path = SHARED_DATA / "olist"
    if not path.exists():
        pytest.fail(f"the shared sample data is missing: {path}")
    return path
