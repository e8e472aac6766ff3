"""The trust issue: the people of a shop reach that shop and nothing else.

Two shops, ``demo`` and ``shop2``, each with its own owner, supervisor and agent, on one app and
one warehouse built once for the module through the real importer and store.

- Finding 1: an upload to shop S stores rows of S only, whatever column (or column mapping)
  names a row's shop, through the API and the web page alike.
- Finding 2: an owner owns the shops named for them only, and changes a user only when owning
  every shop that user belongs to.
- Finding 4: every route of the app, tried as every identity with the other shop's ids, never
  answers with the other shop's data nor changes it.

(Finding 3, a partial file wiping columns, is guarded in tests/warehouse/test_trust_imports.py.)
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from jinpai.cli import app as cli_app
from jinpai.server.app import create_app
from jinpai.services import imports
from jinpai.settings import Settings, WebSettings, get_settings
from jinpai.store import passwords
from jinpai.store.db import make_engine
from jinpai.store.models import Base
from tests.surface_data import AGENTS, MESSAGES, ORDERS
from tests.web.conftest import login, page_csrf

OTHER = {"demo": "shop2", "shop2": "demo"}
# the agent each shop's agent user is; demo's is a Taobao sub-account (店铺名:客服名)
AGENT = {"demo": "浪莎旗舰店:小美", "shop2": "a1"}
PASSWORD = "trust-pass-123"
# username -> (role, shop)
PEOPLE = {
    "boss": ("owner", "demo"),
    "lead": ("supervisor", "demo"),
    "xiaomei": ("agent", "demo"),
    "owner2": ("owner", "shop2"),
    "sup2": ("supervisor", "shop2"),
    "agent2": ("agent", "shop2"),
}
DEMO_AGENTS = """agent_id,name,role,level,base_salary,commission_rate,hired_on
浪莎旗舰店:小美,小美,presale,mid,4000,0.01,2023-01-01
浪莎旗舰店:小丽,小丽,presale,junior,3500,0.01,2024-01-01
"""
# one bad row (a negative amount): each shop's quarantine holds a row of this very file
BAD_ORDERS = ORDERS + "o9,b9,2024-03-15 13:00:00,,-5,1,LS-1,袜子\n"


@dataclass
class Trust:
    app: FastAPI
    settings: Settings
    root: Path

    @property
    def warehouse(self) -> Path:
        return Path(self.settings.warehouse)


def shop_folder(folder: Path, shop: str) -> Path:
    folder.mkdir(parents=True)
    messages = MESSAGES
    agents = AGENTS
    if shop == "demo":
        messages = messages.replace(",a1,", ",浪莎旗舰店:小美,").replace(
            ",a2,", ",浪莎旗舰店:小丽,"
        )
        agents = DEMO_AGENTS
    (folder / "messages.csv").write_text(messages, encoding="utf-8")
    (folder / "orders.csv").write_text(BAD_ORDERS, encoding="utf-8")
    (folder / "agents.csv").write_text(agents, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def cheap_passwords() -> Iterator[None]:
    # the production argon2 cost is ~0.6 s a hash; these tests check who may do what
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    passwords.use_hasher(previous)


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory, cheap_passwords: None) -> Trust:
    root = tmp_path_factory.mktemp("trust")
    warehouse = root / "warehouse.duckdb"
    for shop in OTHER:
        imports.import_path(shop_folder(root / shop, shop), get_settings(), db=warehouse, shop=shop)
    settings = Settings(
        home=root / "home", warehouse=warehouse, database_url=f"sqlite:///{root / 'store.sqlite'}"
    )
    web = WebSettings(secret_key="trust-secret", max_upload_mb=1, login_failures=50)
    app = create_app(settings, web=web)
    accounts = app.state.jinpai.accounts
    for username, (role, shop) in PEOPLE.items():
        agent = AGENT[shop] if role == "agent" else None
        accounts.add_user(username, PASSWORD, role, [shop], agent)
    return Trust(app, settings, root)


def signed_in(trust: Trust, username: str) -> TestClient:
    return login(TestClient(trust.app), username, PASSWORD)


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": page_csrf(client, "/login")}


def upload(client: TestClient, url: str, name: str, body: str, **data: str) -> Any:  # the response
    files = {"file": (name, io.BytesIO(body.encode()), "text/csv")}
    return client.post(url, files=files, data=data, headers=csrf(client))


def warehouse_rows(trust: Trust, shop: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of the shop: the canonical tables and the quarantine."""
    con = duckdb.connect(str(trust.warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall() if r[0] != "imports"]
        return {
            t: sorted(
                con.execute(f'SELECT * FROM "{t}" WHERE shop_id = ?', [shop]).fetchall(), key=repr
            )
            for t in tables
        }
    finally:
        con.close()


def agent_pay(trust: Trust, shop: str, agent_id: str) -> tuple[Any, Any]:
    con = duckdb.connect(str(trust.warehouse), read_only=True)
    try:
        row = con.execute(
            "SELECT base_salary, commission_rate FROM agents WHERE shop_id = ? AND agent_id = ?",
            [shop, agent_id],
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return row


# --- finding 1: an upload stores rows of its own shop only -------------------------------------


def test_the_reported_upload_of_a_supervisor_of_shop2_into_demo_is_refused(trust: Trust) -> None:
    """Finding 1 of the trust issue, exactly as reported: a 店铺 column naming demo."""
    before = agent_pay(trust, "demo", AGENT["demo"])
    body = f"店铺,agent_id,base_salary,commission_rate\ndemo,{AGENT['demo']},99999,0.5\n"
    r = upload(signed_in(trust, "sup2"), "/api/v1/shops/shop2/imports", "agents.csv", body)
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert "demo" in detail and "其他店铺" in detail and "other shops" in detail
    assert agent_pay(trust, "demo", AGENT["demo"]) == before


@pytest.mark.parametrize("column", ["shop_id", "shop", "店铺", "店铺编号", "Shop ID", " SHOP_ID "])
def test_an_upload_naming_another_shop_in_any_shop_column_stores_nothing(
    trust: Trust, column: str
) -> None:
    """Finding 1 of the trust issue: every spelling the importer takes for the shop is checked,
    and the file is refused whole (its own shop's row is not stored either)."""
    before = warehouse_rows(trust, "demo"), warehouse_rows(trust, "shop2")
    body = f"{column},agent_id,base_salary\nshop2,a1,1\ndemo,{AGENT['demo']},99999\n"
    r = upload(signed_in(trust, "sup2"), "/api/v1/shops/shop2/imports", "agents.csv", body)
    assert r.status_code == 400, r.text
    assert "demo" in r.json()["detail"]
    assert (warehouse_rows(trust, "demo"), warehouse_rows(trust, "shop2")) == before


def test_a_column_mapping_cannot_smuggle_a_shop_column_in(trust: Trust) -> None:
    """Finding 1 of the trust issue: ``--map shop_id=门店`` names the shop like any column."""
    before = warehouse_rows(trust, "demo")
    body = f"门店,工号,底薪\ndemo,{AGENT['demo']},99999\n"
    r = upload(
        signed_in(trust, "sup2"),
        "/api/v1/shops/shop2/imports",
        "staff.csv",
        body,
        table="agents",
        columns_map="shop_id=门店,agent_id=工号,base_salary=底薪",
    )
    assert r.status_code == 400, r.text
    assert warehouse_rows(trust, "demo") == before


def test_the_web_upload_page_refuses_a_file_of_another_shop(trust: Trust) -> None:
    """Finding 1 of the trust issue, through /shops/S/import (the page's own route)."""
    before = warehouse_rows(trust, "demo")
    body = f"店铺编号,agent_id,base_salary\ndemo,{AGENT['demo']},99999\n"
    r = upload(signed_in(trust, "sup2"), "/shops/shop2/import", "agents.csv", body)
    assert r.status_code == 400
    assert "demo" in r.text and "其他店铺" in r.text
    assert warehouse_rows(trust, "demo") == before


def test_a_shop_column_naming_the_uploaders_own_shop_is_imported(trust: Trust) -> None:
    """Finding 1 of the trust issue: the check refuses other shops, not the shop column."""
    body = "店铺,agent_id,name\nshop2,a9,新人\n"
    r = upload(signed_in(trust, "sup2"), "/api/v1/shops/shop2/imports", "agents.csv", body)
    assert r.status_code == 201, r.text
    assert r.json()["tables"]["agents"]["stored"] == 1


def test_an_upload_of_the_very_file_another_shop_imported_keeps_that_shops_quarantine(
    trust: Trust,
) -> None:
    """Finding 1 of the trust issue: re-importing a file replaces the quarantine of its earlier
    import, but only for the shop it is imported for; demo imported these bytes too."""
    before = warehouse_rows(trust, "demo")["quarantine"]
    assert before, "demo's import of the same file quarantined its bad row"
    r = upload(signed_in(trust, "sup2"), "/api/v1/shops/shop2/imports", "orders.csv", BAD_ORDERS)
    assert r.status_code == 201, r.text
    assert r.json()["tables"]["orders"]["quarantined"] == 1
    assert warehouse_rows(trust, "demo")["quarantine"] == before


# --- finding 2: an owner owns the shops named for them only ------------------------------------


@pytest.fixture
def store_env(trust: Trust, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings name the module's store and warehouse."""
    monkeypatch.setenv("JINPAI_DATABASE_URL", trust.settings.database_url or "")
    monkeypatch.setenv("JINPAI_WAREHOUSE", str(trust.warehouse))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def cli_add_user(username: str, *options: str) -> str:
    r = CliRunner().invoke(
        cli_app, ["user", "add", username, *options, "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert r.exit_code == 0, r.output
    return r.output


def can_sign_in(trust: Trust, username: str) -> bool:
    client = TestClient(trust.app)
    data = {"username": username, "password": PASSWORD, "csrf_token": page_csrf(client)}
    return client.post("/login", data=data, follow_redirects=False).status_code == 303


def patch_user(client: TestClient, shop: str, username: str, **body: object) -> int:
    url = f"/api/v1/shops/{shop}/users/{quote(username, safe='')}"
    return client.patch(url, json=body, headers=csrf(client)).status_code


def test_an_owner_added_for_shop2_cannot_manage_the_users_of_demo(
    trust: Trust, store_env: None
) -> None:
    """Finding 2 of the trust issue, as reported: the CLI says "for shop2", and so it is."""
    assert "for shop2" in cli_add_user("owner3", "--role", "owner", "--shop", "shop2")
    owner3 = signed_in(trust, "owner3")
    assert owner3.get("/api/v1/me").json()["shops"] == ["shop2"]
    assert owner3.get("/api/v1/shops").json() == ["shop2"]
    assert owner3.get("/api/v1/shops/demo/users").status_code == 403
    assert patch_user(owner3, "demo", "boss", active=False) == 403
    assert patch_user(owner3, "demo", "lead", password="taken-over-123") == 403
    new_owner = {"username": "owner3_demo", "password": PASSWORD, "role": "owner"}
    r = owner3.post("/api/v1/shops/demo/users", json=new_owner, headers=csrf(owner3))
    assert r.status_code == 403
    for url, form in (
        ("/shops/demo/settings/users/boss", {"active": "false"}),
        ("/shops/demo/settings/users/lead", {"password": "taken-over-123"}),
        ("/shops/demo/settings/users", {**new_owner, "agent_id": ""}),
    ):
        assert owner3.post(url, data=form, headers=csrf(owner3)).status_code == 403, url
    assert owner3.get("/shops/demo/settings").status_code == 403
    assert can_sign_in(trust, "boss") and can_sign_in(trust, "lead")
    assert not can_sign_in(trust, "owner3_demo")
    # in shop2 owner3 is an owner like any other
    assert patch_user(owner3, "shop2", "sup2", password=PASSWORD) == 200


def test_a_user_of_several_shops_is_changed_only_by_an_owner_of_all_of_them(
    trust: Trust,
) -> None:
    """Finding 2 of the trust issue. The rule: an owner changes (password, sign-in) a user only
    when owning every shop that user belongs to, so an owner of shop2 cannot lock a user out
    of demo, nor take over demo through a user who also works in shop2."""
    accounts = trust.app.state.jinpai.accounts
    accounts.add_user("roamer", PASSWORD, "supervisor", ["demo", "shop2"])
    accounts.add_user("boss_both", PASSWORD, "owner", ["demo", "shop2"])
    owner2 = signed_in(trust, "owner2")
    listed = {u["username"] for u in owner2.get("/api/v1/shops/shop2/users").json()}
    assert {"roamer", "boss_both", "owner2"} <= listed  # they belong to shop2 too
    assert patch_user(owner2, "shop2", "roamer", password="taken-over-123") == 403
    assert patch_user(owner2, "shop2", "boss_both", active=False) == 403
    r = owner2.post(
        "/shops/shop2/settings/users/roamer", data={"active": "false"}, headers=csrf(owner2)
    )
    assert r.status_code == 403
    page = owner2.get("/shops/shop2/settings").text
    assert 'action="/shops/shop2/settings/users/roamer"' not in page
    assert 'action="/shops/shop2/settings/users/sup2"' in page
    assert can_sign_in(trust, "roamer") and can_sign_in(trust, "boss_both")
    both = signed_in(trust, "boss_both")
    assert patch_user(both, "shop2", "roamer", password=PASSWORD) == 200


def test_an_owner_named_for_no_shop_owns_every_shop_and_only_such_an_owner_changes_them(
    trust: Trust, store_env: None
) -> None:
    """Finding 2 of the trust issue: the installation's owner (added from the command line
    without --shop, "for every shop") belongs to every shop, so no owner of some shops changes
    them, not even one owning every shop there is today."""
    assert "every shop" in cli_add_user("root", "--role", "owner")
    root = signed_in(trust, "root")
    assert {"demo", "shop2"} <= set(root.get("/api/v1/shops").json())
    accounts = trust.app.state.jinpai.accounts
    accounts.add_user("owner_all", PASSWORD, "owner", ["demo", "shop2"])
    owner_all = signed_in(trust, "owner_all")
    assert patch_user(owner_all, "demo", "root", active=False) == 403
    assert patch_user(root, "demo", "owner_all", password=PASSWORD) == 200
    assert can_sign_in(trust, "root")


def test_a_shops_user_list_holds_the_users_of_that_shop_only(trust: Trust) -> None:
    """Finding 2 of the trust issue: the list showed every owner of every shop."""
    for username in ("lead", "boss"):
        client = signed_in(trust, username)
        listed = {u["username"] for u in client.get("/api/v1/shops/demo/users").json()}
        assert {"boss", "lead", "xiaomei"} <= listed
        assert not listed & {"owner2", "sup2", "agent2"}


# --- finding 4: every route, as every identity, with the other shop's ids ----------------------

OWNER = {"demo": "boss", "shop2": "owner2"}
STOLEN = "taken-over-123"


def attack_file(shop: str) -> dict[str, Any]:
    """An agents file raising the pay of ``shop``'s agent, naming the shop in its own column."""
    body = f"店铺,agent_id,base_salary,commission_rate\n{shop},{AGENT[shop]},99999,0.5\n"
    return {"files": {"file": ("agents.csv", io.BytesIO(body.encode()), "text/csv")}}


# A valid request of every route that takes one, so that a refusal is the shop check's, never a
# 422 of a malformed body (a 422 fails the matrix). A new route that takes a body needs a line.
WRITES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/me/password"): lambda s: {
        "json": {"current_password": "not-the-password", "new_password": STOLEN}
    },
    ("POST", "/api/v1/tokens"): lambda s: {"json": {"name": "matrix"}},
    # the token of fill's token_id is the other shop's owner's: nobody else may end it
    ("DELETE", "/api/v1/tokens/{token_id}"): lambda s: {},
    ("POST", "/account/tokens/{token_id}/revoke"): lambda s: {"data": {}},
    ("POST", "/api/v1/shops/{shop}/users"): lambda s: {
        "json": {"username": f"intruder_{s}", "password": STOLEN, "role": "owner"}
    },
    ("PATCH", "/api/v1/shops/{shop}/users/{username}"): lambda s: {
        "json": {"password": STOLEN, "active": False}
    },
    ("POST", "/api/v1/shops/{shop}/imports"): attack_file,
    ("PUT", "/api/v1/shops/{shop}/settings/rules"): lambda s: {
        "json": {"profile": "raw", "fast_response_s": 1}
    },
    ("PUT", "/api/v1/shops/{shop}/settings/grading"): lambda s: {
        "json": {"valid_from": "2024-03", "rule": "points"}
    },
    ("PUT", "/api/v1/shops/{shop}/settings/pay"): lambda s: {
        "json": {"valid_from": "2024-03", "monthly_award": 999999}
    },
    ("PUT", "/api/v1/shops/{shop}/settings/terms"): lambda s: {
        "json": {"valid_from": "2024-03", "agent_id": AGENT[s], "base_salary": 999999}
    },
    ("POST", "/account/password"): lambda s: {
        "data": {
            "current_password": "not-the-password",
            "new_password": STOLEN,
            "confirm_password": STOLEN,
        }
    },
    ("POST", "/shops/{shop}/import"): attack_file,
    ("POST", "/shops/{shop}/settings/plan"): lambda s: {
        "data": {"role": "presale", "month": "2024-03", "w_sales": "100"}
    },
    ("POST", "/shops/{shop}/settings/users"): lambda s: {
        "data": {"username": f"intruder_{s}", "password": STOLEN, "role": "owner"}
    },
    ("POST", "/shops/{shop}/settings/users/{username}"): lambda s: {
        "data": {"password": STOLEN, "active": "false"}
    },
    ("POST", "/shops/{shop}/settings/rules"): lambda s: {"data": {"profile": "raw"}},
    ("POST", "/shops/{shop}/settings/grading"): lambda s: {
        "data": {"month": "2024-03", "rule": "points"}
    },
    ("POST", "/shops/{shop}/settings/pay"): lambda s: {
        "data": {"month": "2024-03", "monthly_award": "999999"}
    },
    ("POST", "/shops/{shop}/settings/terms"): lambda s: {
        "data": {"month": "2024-03", "agent_id": AGENT[s], "base_salary": "999999"}
    },
}
# routes the matrix leaves out, and why
SKIPPED = {
    ("POST", "/login"): "signs in (every client of the matrix signs in through it)",
    ("POST", "/logout"): "ends the session the matrix goes on with (test_security checks it)",
}
UPLOADS = {("POST", "/api/v1/shops/{shop}/imports"), ("POST", "/shops/{shop}/import")}


def app_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route of the app, read from ``app.routes`` (FastAPI keeps the
    included routers there; iter_route_contexts walks into them)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():  # a mount (static files) has none
            if method != "HEAD":
                found.add((method, str(route.path)))
    return sorted(found)


# the id of an API token of a shop's owner, by shop (the matrix test makes them)
TOKEN_OF: dict[str, int] = {}


def fill(path: str, shop: str) -> str:
    """The path with ``shop``'s ids: its agent, its owner, a metric, a sheet."""
    values = {
        "shop": shop,
        "agent_id": AGENT[shop],
        "username": OWNER[shop],
        "metric": "sales",
        "kind": "pay",
        "token_id": str(TOKEN_OF.get(shop, 1)),
        "job_id": "0" * 32,  # an import job: the shop is checked before the job is looked up
    }
    names = set(re.findall(r"{(\w+)", path))
    assert names <= set(values), f"{path}: the matrix has no value for {names - set(values)}"
    return re.sub(r"{(\w+)[^}]*}", lambda m: quote(values[m[1]], safe=""), path)


def refused(r: Any) -> bool:
    if r.status_code in (401, 403, 404):
        return True
    return r.status_code == 303 and r.headers["location"].startswith("/login")


def shows(r: Any, shop: str) -> bool:
    """Whether a response names ``shop`` (as a JSON string or in a link to its pages)."""
    text = r.text + r.headers.get("location", "")
    return f'"{shop}"' in text or f"/shops/{shop}/" in text


def store_rows(trust: Trust) -> dict[str, list[str]]:
    """The store's rows, but sign-in records, sessions and API tokens (which the matrix makes
    for the signed-in user, in no shop) and the time of a user's last sign-in."""
    engine = make_engine(trust.settings.database_url or "")
    kept = ("login_attempts", "web_sessions", "api_tokens")
    try:
        with engine.connect() as connection:
            return {
                table.name: sorted(
                    repr({k: v for k, v in row._mapping.items() if k != "last_login_at"})
                    for row in connection.execute(select(table))
                )
                for table in Base.metadata.sorted_tables
                if table.name not in kept
            }
    finally:
        engine.dispose()


def test_nobody_reaches_a_shop_they_do_not_belong_to_on_any_route(trust: Trust) -> None:
    """Finding 4 of the trust issue (and the guard of findings 1 and 2 on every route): each of
    the six people and an anonymous visitor tries every route of the app with the other shop's
    ids (anonymous: both shops'), and every upload route of their own shop with a file naming
    the other shop. Nobody gets a 2xx of a shop route, no page or JSON of a route without a
    shop names the other shop, and nothing of either shop changes."""
    routes = [r for r in app_routes(trust.app) if r not in SKIPPED]
    assert set(UPLOADS) <= set(routes)
    clients: dict[str | None, TestClient] = {None: TestClient(trust.app)}
    clients.update({name: signed_in(trust, name) for name in PEOPLE})
    headers = {name: csrf(client) for name, client in clients.items()}
    accounts = trust.app.state.jinpai.accounts
    owners = {p.username: p for p in accounts.users()}
    tokens = {shop: accounts.issue_token(owners[OWNER[shop]].user_id, "kept") for shop in OWNER}
    TOKEN_OF.update({shop: made.info.id for shop, made in tokens.items()})
    before = warehouse_rows(trust, "demo"), warehouse_rows(trust, "shop2"), store_rows(trust)
    failures: list[str] = []
    for name, client in clients.items():
        others = [OTHER[PEOPLE[name][1]]] if name else list(OTHER)
        for method, path in routes:
            if method != "GET" and (method, path) not in WRITES:
                failures.append(f"{method} {path}: give the matrix a valid request (WRITES)")
                continue
            in_shop = "{shop}" in path
            for shop in others if in_shop else others[:1]:
                body = WRITES[(method, path)](shop) if method != "GET" else {}
                url = fill(path, shop)
                r = client.request(
                    method, url, headers=headers[name], follow_redirects=False, **body
                )
                reached = not refused(r) if in_shop else any(shows(r, s) for s in others)
                if reached or r.status_code == 422:
                    failures.append(f"{name or 'anonymous'}: {method} {url} -> {r.status_code}")
        if name is None:
            continue
        own = PEOPLE[name][1]
        for method, path in sorted(UPLOADS):  # into their own shop, rows of the other
            url = fill(path, own)
            r = client.request(method, url, headers=headers[name], **attack_file(OTHER[own]))
            if r.status_code not in (400, 403):
                failures.append(f"{name}: {method} {url} naming {OTHER[own]} -> {r.status_code}")
    assert not failures, "\n".join(failures)
    after = warehouse_rows(trust, "demo"), warehouse_rows(trust, "shop2"), store_rows(trust)
    assert after == before
    for made in tokens.values():  # nobody ended another's token
        bearer = {"Authorization": f"Bearer {made.token}"}
        assert TestClient(trust.app).get("/api/v1/me", headers=bearer).status_code == 200
