"""The long-lived objects one running app shares between its requests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinpai.services.accounts import Accounts, Principal
from jinpai.services.import_jobs import ImportJobs
from jinpai.services.warehouse_reads import Warehouse
from jinpai.settings import Settings, WebSettings


@dataclass
class AppState:
    settings: Settings
    web: WebSettings
    warehouse: Warehouse
    accounts: Accounts
    # the server's reading of who sent a request (session cookie or bearer token); the
    # surfaces ask it, so neither knows how a request is authenticated
    identify: Callable[[Any], Principal | None]
    # uploads import in the background, one at a time (services/import_jobs.py)
    jobs: ImportJobs = field(default_factory=ImportJobs)

    @property
    def store(self) -> Any:
        """The application store's engine (None when the accounts keep no store)."""
        return getattr(self.accounts, "engine", None)
