"""Shared test fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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


# Golden cases are a few rows run through ~80 small jobs each: generating and compiling Java per
# query costs more than it saves (measured: a case took 3x longer with code generation).
# The session keeps about 1.1 GB live between cases once a few dozen have run (measured after a
# full collection), and the plans of a shift_only case once ran the engine's 2 GB heap out in CI.
TEST_CONF = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.shuffle.partitions": "2",
    "spark.driver.memory": "3g",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """A local[2] session set up like the engine's (UTC, ANSI off, 4 shuffle partitions, no UI);
    started once, as it costs seconds."""
    pytest.importorskip("pyspark", reason="the Spark engine needs the extra: .[spark]")
    from jinpai.engine.spark_backend import spark_session

    session = spark_session(app_name="jinpai-tests", conf=TEST_CONF)
    yield session
    session.stop()
