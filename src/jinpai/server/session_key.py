"""The key that signs the app's session cookies."""

from __future__ import annotations

import secrets
from pathlib import Path

from jinpai.settings import Settings, WebSettings


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
