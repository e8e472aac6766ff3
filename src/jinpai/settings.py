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
    """The installation's settings (``JINPAI_*`` variables or a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="JINPAI_", env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path(".jinpai"), title="安装目录", description="folder for the installation's files"
    )
    warehouse: Path | None = Field(
        default=None,
        title="数据仓库文件",
        description="DuckDB file of the canonical tables (default: HOME/warehouse.duckdb)",
    )
    database_url: str | None = Field(
        default=None,
        title="应用数据库",
        description="application database (default: sqlite file HOME/jinpai.sqlite)",
    )
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        title="计算引擎",
        description="duckdb (embedded) or spark (PySpark over Parquet, for data beyond one machine)",
    )
    memory_limit: str | None = Field(
        default="1500MB",
        pattern=r"^(\d+(\.\d+)?\s*[KMGT]i?B)?$",
        title="内存上限",
        description="memory a DuckDB report or import may use before it spills to disk, like "
        "'1500MB' or '8GB' (empty: DuckDB's own default, 80% of RAM); more memory, faster large "
        "reports and imports",
    )
    profile: str = Field(
        default=DEFAULT_PROFILE,
        title="默认规则口径",
        description="rule profile of a shop that has chosen none: taobao, pdd, jd or raw",
    )
    timezone: str = Field(
        default=DEFAULT_TIMEZONE, title="默认时区", description="timezone of a shop without its own"
    )
    pseudonymise_buyers: bool = Field(
        default=False,
        title="买家化名",
        description="store buyer ids as keyed pseudonyms (needs buyer_secret)",
    )
    buyer_secret: str = Field(
        default="", title="化名密钥", description="per-installation secret for buyer pseudonyms"
    )
    import_max_columns: int = Field(
        default=1000,
        ge=1,
        title="导入列数上限",
        description="most columns an imported file may have; a file with more is refused whole",
    )
    import_max_rows: int = Field(
        default=10_000_000,
        ge=1,
        title="导入行数上限",
        description="most rows one imported file may have (an Excel sheet holds 1,048,576 at "
        "most); a file with more is refused whole: split it",
    )
    import_max_cells: int = Field(
        default=200_000_000,
        ge=1,
        title="导入单元格上限",
        description="most cells (rows x columns) one imported file may have; a file with more is "
        "refused whole: split it",
    )
    import_max_quarantined: int = Field(
        default=100_000,
        ge=1,
        title="隔离行上限",
        description="most rows of one file the quarantine takes; a file with more bad rows is "
        "refused whole (it is another format or mapping than assumed, not a few typos)",
    )
    xlsx_max_unpacked_mb: int = Field(
        default=500,
        ge=1,
        title="Excel 解压上限",
        description="most MB an Excel file may unpack to (an .xlsx is a zip of XML), checked "
        "before it is opened; a larger one is refused: save it as CSV",
    )
    xlsx_max_ratio: int = Field(
        default=100,
        ge=2,
        title="Excel 压缩比上限",
        description="highest compression ratio of a part of an Excel file over 1 MB unpacked "
        "(exports compress 5-30:1, a zip bomb 1000:1), checked before it is opened",
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
        title="会话签名密钥",
        description="key that signs session cookies (default: a random key kept in HOME/web.key)",
    )
    https_only: bool = Field(
        default=False, title="仅 HTTPS 会话", description="send the session cookie over HTTPS only"
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, title="会话时长", description="hours a sign-in lasts idle"
    )
    login_failures: int = Field(
        default=5,
        ge=1,
        title="登录失败上限",
        description="failed sign-ins of one username per window; past it, that username's "
        "sign-ins are spaced by a growing delay (never a lockout)",
    )
    login_address_failures: int = Field(
        default=20,
        ge=1,
        title="单地址登录失败上限",
        description="failed sign-ins from one address per window (any usernames); past it, "
        "that address is refused until the window passes, even with the right password",
    )
    login_max_delay_s: int = Field(
        default=60,
        ge=1,
        le=3600,
        title="登录退避上限",
        description="longest delay, seconds, between checked sign-ins of a username past its "
        "failure limit (1 s, then doubling per failure)",
    )
    trusted_proxies: str = Field(
        default="",
        title="可信反向代理",
        description="comma-separated addresses of the reverse proxies whose X-Forwarded-For "
        "is believed (empty: none; the client is the socket's address)",
    )
    token_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        title="API 令牌有效期",
        description="days an API token lasts (POST /api/v1/tokens may ask for fewer)",
    )
    login_window_s: int = Field(
        default=15 * 60,
        ge=1,
        title="登录失败计数窗口",
        description="seconds over which failed sign-ins are counted",
    )
    max_upload_mb: int = Field(
        default=200, ge=1, title="上传文件上限", description="largest file an upload takes, MB"
    )
    default_lang: str = Field(
        default="zh",
        pattern="^(zh|en)$",
        title="默认语言",
        description="language of the pages before a person picks one: zh or en",
    )
    report_cache_size: int = Field(
        default=32, ge=1, title="报表缓存", description="reports the app keeps computed"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
