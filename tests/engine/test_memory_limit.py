"""A report's DuckDB memory cap (the memory_limit setting): a tightly capped report gives
exactly the figures of an uncapped one; a malformed cap is refused before any work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from jinpai.demo import generate_shop
from jinpai.engine import duckdb_backend
from jinpai.engine.duckdb_backend import bind_duckdb
from jinpai.services.reports import ReportOptions, build_report
from jinpai.services.sources import ReportSource
from jinpai.settings import Settings, get_settings


@pytest.mark.slow
def test_a_capped_report_gives_the_same_figures(
    tmp_path: Path, limit: Callable[[str], None]
) -> None:
    shop = tmp_path / "shop"
    generate_shop(shop, seed=3, days=7, messages=120_000)
    options = ReportOptions(start=date(2024, 3, 1), end=date(2024, 3, 7), by_agent_day=True)
    limit("")  # DuckDB's own default
    free = build_report(ReportSource(data=shop), options, get_settings())
    limit("64MB")  # little beyond what the week needs (50MB runs, 48MB runs out)
    capped = build_report(ReportSource(data=shop), options, get_settings())
    assert free["shop"]["rounds"] > 10_000
    assert capped == free


def test_the_cap_reaches_duckdb_and_spills_into_a_private_folder(tmp_path: Path) -> None:
    con = duckdb.connect()
    bind_duckdb(con, {}, "Asia/Shanghai", memory_limit="300MB")
    limit_bytes = con.execute("SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'")
    assert limit_bytes.fetchone()[0] in ("286.1 MiB", "300.0 MB")
    spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert Path(spill).is_dir()
    assert Path(spill).resolve() != (Path.cwd() / ".tmp").resolve()
    other = duckdb.connect()
    bind_duckdb(other, {}, "Asia/Shanghai", memory_limit="300MB")
    assert other.execute("SELECT current_setting('temp_directory')").fetchone()[0] != spill
    duckdb_backend.close(con)
    assert not Path(spill).exists()
    uncapped = duckdb.connect()
    bind_duckdb(uncapped, {}, "Asia/Shanghai")
    duckdb_backend.close(uncapped)  # its default folder is DuckDB's, left alone


@pytest.mark.parametrize("bad", ["lots", "300", "1.5 GiBs", "300MB; DROP TABLE x"])
def test_a_malformed_cap_is_refused(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="memory_limit"):
        bind_duckdb(duckdb.connect(), {}, "Asia/Shanghai", memory_limit=bad)
    monkeypatch.setenv("JINPAI_MEMORY_LIMIT", bad)
    with pytest.raises(ValidationError, match="memory_limit"):
        Settings()
