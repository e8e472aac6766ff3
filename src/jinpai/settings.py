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

DEFAULT_PROFILE = "taobao"
"""The rule profile of a shop that has chosen none (metrics.md, Settings)."""
DEFAULT_TIMEZONE = "Asia/Shanghai"
"""The timezone of a shop that has set none: times without an offset are read in it."""


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
    profile: str = Field(default=DEFAULT_PROFILE, description="default rule profile")
    timezone: str = Field(
        default=DEFAULT_TIMEZONE, description="timezone of a shop without its own"
    )
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


class WebSettings(BaseSettings):
    """The web app's and API's knobs (``JINPAI_WEB_*``): how sessions and logins behave."""

    model_config = SettingsConfigDict(env_prefix="JINPAI_WEB_", env_file=".env", extra="ignore")

    secret_key: str = Field(
        default="",
        description="key that signs session cookies (default: a random key kept in HOME/web.key)",
    )
    https_only: bool = Field(default=False, description="send the session cookie over HTTPS only")
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_failures: int = Field(default=5, ge=1, description="failures allowed per window")
    login_window_s: int = Field(default=15 * 60, ge=1)
    max_upload_mb: int = Field(default=200, ge=1)
    default_lang: str = Field(default="zh", pattern="^(zh|en)$")
    report_cache_size: int = Field(default=32, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
