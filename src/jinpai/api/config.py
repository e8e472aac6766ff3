"""Settings of the web app and API: where the data is, and how sessions and logins behave.

The installation's :class:`jinpai.settings.Settings` names the warehouse and the store; the few
web-only knobs come from ``JINPAI_WEB_*`` variables so the shared settings object stays small.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jinpai.settings import Settings, get_settings


class WebSettings(BaseSettings):
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


def secret_key(settings: Settings, web: WebSettings) -> str:
    """The signing key: configured, else one generated once and kept (mode 600) in HOME, so a
    restart does not log everybody out."""
    if web.secret_key:
        return web.secret_key
    path = Path(settings.home) / "web.key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key, encoding="ascii")
    return key


def resolve(settings: Settings | None, web: WebSettings | None) -> tuple[Settings, WebSettings]:
    return settings or get_settings(), web or WebSettings()
