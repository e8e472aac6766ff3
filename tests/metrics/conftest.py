"""Fixtures of the metric tests: one local SparkSession for the whole run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


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
