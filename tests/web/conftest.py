"""A small warehouse (two shops, through the real importer) and a SQLite store with one user of
each kind, shared by the tests of one module (some import rows, and modules may run in any order
or in parallel); each test gets its own client (its own cookies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jinpai.server.app import create_app
from jinpai.services import imports
from jinpai.settings import Settings, WebSettings, get_settings
from jinpai.store import passwords
from tests.surface_data import write_shop_folder

PASSWORDS = {
    "owner": "owner-pass-123",
    "sup": "super-pass-123",
    "sup2": "other-pass-123",
    "a1": "agent-pass-a1",
    "a2": "agent-pass-a2",
}
MONTH = "2024-03"


@pytest.fixture(autouse=True, scope="module")
def _cheap_password_hashing() -> Iterator[None]:
    # production argon2 costs ~0.6 s a hash; the sign-in tests check the rules, not the cost
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.use_hasher(previous)


@dataclass
class Site:
    app: FastAPI
    settings: Settings
    web: WebSettings
    root: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    root = tmp_path_factory.mktemp("web")
    folder = write_shop_folder(root / "shop")
    warehouse = root / "warehouse.duckdb"
    for shop in ("s1", "s2"):
        imports.import_path(folder, get_settings(), db=warehouse, shop=shop)
    settings = Settings(
        home=root / "home", warehouse=warehouse, database_url=f"sqlite:///{root / 'store.sqlite'}"
    )
    web = WebSettings(secret_key="test-secret", max_upload_mb=1, login_failures=5)
    app = create_app(settings, web=web)
    accounts = app.state.jinpai.accounts
    accounts.add_user("owner", PASSWORDS["owner"], "owner", ["s1"])
    accounts.add_user("sup", PASSWORDS["sup"], "supervisor", ["s1"])
    accounts.add_user("sup2", PASSWORDS["sup2"], "supervisor", ["s2"])
    accounts.add_user("a1", PASSWORDS["a1"], "agent", ["s1"], "a1")
    accounts.add_user("a2", PASSWORDS["a2"], "agent", ["s1"], "a2")
    return Site(app, settings, web, root)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str | None = None) -> TestClient:
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": password or PASSWORDS[username],
            "csrf_token": token,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def page_csrf(client: TestClient, path: str = "/login") -> str:
    return csrf_of(client.get(path).text)


@pytest.fixture
def anon(site: Site) -> TestClient:
    return TestClient(site.app, base_url="http://testserver")


@pytest.fixture
def sup(site: Site) -> TestClient:
    return login(TestClient(site.app), "sup")


@pytest.fixture
def agent1(site: Site) -> TestClient:
    return login(TestClient(site.app), "a1")
