"""Shared test fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session", autouse=True)
def own_installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never use the installation of the folder they run in: ``make demo`` leaves a
    warehouse and a store in ./.jinpai, and a user's JINPAI_ settings would change what the
    commands under test do. Each test session gets an empty home of its own."""
    from jinpai.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("JINPAI_") and not name.startswith("JINPAI_TEST_"):
                mp.delenv(name)
        mp.setenv("JINPAI_HOME", str(tmp_path_factory.mktemp("jinpai-home")))
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets the memory_limit setting (JINPAI_MEMORY_LIMIT) for the test."""
    from jinpai.settings import get_settings

    def set_limit(value: str) -> None:
        monkeypatch.setenv("JINPAI_MEMORY_LIMIT", value)
        get_settings.cache_clear()

    yield set_limit
    get_settings.cache_clear()
