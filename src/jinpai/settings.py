"""Installation-wide settings: paths, database URL, engine, default rule profile.

Read from environment variables prefixed ``JINPAI_`` (for example ``JINPAI_WAREHOUSE``) or a
``.env`` file. Per-shop settings such as the timezone live in the store, not here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINPAI_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".jinpai"), description="folder for the installation's files")
    warehouse: Path | None = Field(
        default=None,
        description="DuckDB file of the canonical tables (default: HOME/warehouse.duckdb)",
    )
    database_url: str | None = Field(
        default=None, description="application database (default: sqlite file HOME/jinpai.sqlite)"
    )
    engine: Literal["duckdb", "spark"] = "duckdb"
    memory_limit: str | None = Field(
        default="1500MB",
        pattern=r"^(\d+(\.\d+)?\s*[KMGT]i?B)?$",
        description="memory a DuckDB report or import may use before it spills to disk, like "
        "'1500MB' or '8GB' (empty: DuckDB's own default, 80% of RAM); more memory, faster large "
        "reports and imports",
    )
    profile: str = Field(default="taobao", description="default rule profile")
    timezone: str = Field(default="Asia/Shanghai", description="timezone of a shop without its own")
    pseudonymise_buyers: bool = False
    buyer_secret: str = Field(
        default="", description="per-installation secret for buyer pseudonyms"
    )

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse or self.home / "warehouse.duckdb"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'jinpai.sqlite'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
