"""Sign-in, sessions, CSRF, throttling, role checks, hostile input, and no clear passwords."""

from __future__ import annotations

import io
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from jinpai import warehouse
from jinpai.server.app import create_app
from jinpai.settings import Settings, WebSettings
from jinpai.store.db import session_scope
from jinpai.store.models import LoginAttempt
from tests.web.conftest import MONTH, PASSWORDS, Site, csrf_of, login, page_csrf


def test_anonymous_is_refused(anon: TestClient) -> None:
    assert anon.get("/api/v1/me").status_code == 401
    r = anon.get("/shops/s1/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_login_ok_sets_a_safe_cookie_and_logout_ends_it_everywhere(site) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(site.app)
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": "sup", "password": PASSWORDS["sup"], "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/v1/me").status_code == 200
    copied = TestClient(site.app, cookies=dict(client.cookies))  # e.g. taken off the machine
    assert copied.get("/api/v1/me").status_code == 200
    token = page_csrf(client, "/shops/s1/import")
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert client.get("/api/v1/me").status_code == 401
    # the session ended on the server: a copy of the cookie is no use either
    assert copied.get("/api/v1/me").status_code == 401


def test_login_never_redirects_off_site(site) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(site.app)
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={
            "username": "sup",
            "password": PASSWORDS["sup"],
            "csrf_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/shops/")


def test_wrong_password_then_throttled(site) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(site.app)
    token = csrf_of(client.get("/login").text)

    def attempt(password: str) -> int:
        data = {"username": "a2", "password": password, "csrf_token": token}
        return client.post("/login", data=data, follow_redirects=False).status_code

    assert [attempt("wrong-password") for _ in range(5)] == [401] * 5
    # past the username's limit an attempt waits a growing delay before it is checked at all
    assert attempt(PASSWORDS["a2"]) == 429
    assert client.get("/api/v1/me").status_code == 401


def test_post_without_csrf_token_is_refused(sup: TestClient, anon: TestClient) -> None:
    assert sup.post("/api/v1/tokens", json={}).status_code == 403
    assert (
        sup.post("/api/v1/tokens", json={}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    )
    r = anon.post("/login", data={"username": "sup", "password": PASSWORDS["sup"]})
    assert r.status_code == 403
    files = {"file": ("orders.csv", io.BytesIO(b"order_id\n"), "text/csv")}
    assert sup.post("/shops/s1/import", files=files).status_code == 403


def test_agent_sees_only_their_own_figures(agent1: TestClient) -> None:
    assert agent1.get("/api/v1/shops/s1/agents/a1", params={"month": MONTH}).status_code == 200
    for url in (
        "/api/v1/shops/s1/agents/a2",
        "/api/v1/shops/s1/figures/sales?agent=a2",
        "/api/v1/shops/s1/explain/sales?agent=a2",
        "/api/v1/shops/s1/figures/sales",  # the shop's figure is the team's
        "/api/v1/shops/s1/report",
        "/api/v1/shops/s1/management/pay.xlsx",
        "/api/v1/shops/s1/quarantine",
        "/shops/s1/agents/a2",
        "/shops/s1/agents",
        "/shops/s1/explain/sales?agent=a2",
        "/shops/s1/import",
        "/shops/s1/settings",
    ):
        assert agent1.get(url).status_code == 403, url
    ranking = agent1.get("/api/v1/shops/s1/agents").json()
    assert [a["agent_id"] for a in ranking["items"]] == ["a1"]
    daily = agent1.get("/api/v1/shops/s1/daily").json()
    assert [a["agent_id"] for a in daily["agents"]] == ["a1"] and daily["trends"] == {}
    pay = agent1.get("/api/v1/shops/s1/management/pay", params={"month": MONTH}).json()
    assert [a["agent_id"] for a in pay["agents"]] == ["a1"] and "totals" not in pay


def test_no_access_to_another_shop(sup: TestClient, agent1: TestClient) -> None:
    for client in (sup, agent1):
        for url in (
            "/api/v1/shops/s2/report",
            "/api/v1/shops/s2/agents",
            "/api/v1/shops/s2/agents/a1",
            "/api/v1/shops/s2/daily",
            "/api/v1/shops/s2/management/pay",
            "/shops/s2/dashboard",
            "/shops/s2/agents/a1",
            "/shops/s2/pay",
        ):
            assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/shops/s1/report?month=2024-13",
        "/api/v1/shops/s1/report?month=2024-03'%20OR%201=1--",
        "/api/v1/shops/s1/agents?sort=sales;DROP%20TABLE%20agents",
        "/api/v1/shops/s1/agents?per_page=100000",
        "/api/v1/shops/s1/explain/sales?limit=99999999",
        "/api/v1/shops/s1/report?from=2024-03-01&to=x",
        "/api/v1/shops/s1/figures/not_a_metric",
        "/api/v1/shops/" + "s" * 500 + "/report",
        "/api/v1/shops/s1/figures/sales?agent=" + "a" * 500,
    ],
)
def test_hostile_input_is_a_clean_422(sup: TestClient, url: str) -> None:
    assert sup.get(url).status_code == 422


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/shops/s1/report?from=2024-03-17&to=2024-03-01", 400),
        ("/api/v1/shops/s1/report?from=2020-01-01&to=2024-03-01", 400),
        ("/api/v1/shops/s1/report?month=2024-03&from=2024-03-01&to=2024-03-02", 400),
        ("/api/v1/shops/s1/report?profile=nope", 400),
        ("/api/v1/shops/s1/agents/a1'%20OR%20'1'='1", 404),
        ("/api/v1/shops/s1%27%3B%20DROP%20TABLE%20agents%3B--/report", 403),
        ("/shops/s1/agents?sort=x'--", 400),
        ("/shops/s1/explain/x'--", 404),
        ("/api/v1/shops/s1/daily?date=0001-01-01", 400),
        ("/api/v1/shops/s1/report?as_of=9999-12-31T00:00:00", 400),
        ("/shops/s1/dashboard?date=0001-01-02", 400),
    ],
)
def test_bad_parameters_are_4xx(sup: TestClient, url: str, status: int) -> None:
    assert sup.get(url).status_code == status


def test_bad_uploads_are_refused_cleanly(sup: TestClient) -> None:
    token = page_csrf(sup, "/shops/s1/import")
    headers = {"X-CSRF-Token": token}

    def upload(name: str, body: bytes, **data: str) -> int:
        files = {"file": (name, io.BytesIO(body), "application/octet-stream")}
        return sup.post(
            "/api/v1/shops/s1/imports", files=files, data=data, headers=headers
        ).status_code

    assert upload("big.csv", b"x" * (2 << 20), table="orders") == 413  # max_upload_mb=1 here
    assert upload("evil.exe", b"MZ", table="orders") == 400
    assert upload("../../etc/passwd.csv", b"a,b\n1,2\n") == 400  # no table named passwd
    assert upload("orders.csv", b"a,b\n1,2\n", table="orders;--") == 422
    assert upload("orders.csv", b"a,b\n1,2\n", table="orders", columns_map="x") == 422
    assert upload("orders.csv", b"\xff\xfe\x00garbage", table="orders") in (201, 400)


def test_passwords_never_stored_or_logged_in_clear(site, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    accounts = site.app.state.jinpai.accounts
    secret = "clear-text-Pa55word"
    accounts.add_user("logcheck", secret, "supervisor", ["s1"])
    client = TestClient(site.app)
    login(client, "logcheck", secret)
    token = csrf_of(client.get("/login").text)
    client.post(
        "/login", data={"username": "logcheck", "password": secret + "x", "csrf_token": token}
    )
    assert secret not in caplog.text
    # the store is the file and its write-ahead log (WAL: recent writes are in the log)
    files = [site.root / "store.sqlite", site.root / "store.sqlite-wal"]
    store = b"".join(path.read_bytes() for path in files if path.is_file())
    assert secret.encode() not in store
    assert b"$argon2id$" in store
    for password in PASSWORDS.values():
        assert password.encode() not in store


def test_upload_cannot_write_into_another_shop(sup: TestClient) -> None:
    token = page_csrf(sup, "/shops/s1/import")
    csv = "shop_id,order_id,buyer_id,created_at,paid_at,amount,items\ns2,x1,b1,2024-03-17 10:00:00,,9,1\n"
    files = {"file": ("orders.csv", io.BytesIO(csv.encode()), "text/csv")}
    r = sup.post(
        "/api/v1/shops/s1/imports",
        files=files,
        data={"table": "orders"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 400 and "s2" in r.json()["detail"]
    mapped = "店铺,order_id,buyer_id,created_at,paid_at,amount,items\ns2,x1,b1,2024-03-17 10:00:00,,9,1\n"
    files = {"file": ("orders.csv", io.BytesIO(mapped.encode()), "text/csv")}
    r = sup.post(
        "/api/v1/shops/s1/imports",
        files=files,
        data={"table": "orders", "columns_map": "shop_id=店铺"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 400


# --- finding 3 of the trust issue: sign-in throttling ----------------------------------------------


def add_user(site: Site, username: str) -> str:
    password = f"{username}-pass-123"
    site.app.state.jinpai.accounts.add_user(username, password, "supervisor", ["s1"])
    return password


def from_address(site: Site, address: str) -> TestClient:
    return TestClient(site.app, client=(address, 50000))


def try_sign_in(client: TestClient, username: str, password: str) -> int:
    data = {"username": username, "password": password, "csrf_token": page_csrf(client)}
    return client.post("/login", data=data, follow_redirects=False).status_code


def checked_attempts(site: Site, username: str) -> list[str | None]:
    """The addresses of the attempts whose password was checked (a refused one is not)."""
    with session_scope(site.app.state.jinpai.store) as session:
        rows = session.scalars(select(LoginAttempt).where(LoginAttempt.username == username))
        return [row.remote_addr for row in rows]


def test_a_username_past_its_limit_waits_a_delay_not_a_lockout_finding_3_of_the_trust_issue(
    site: Site,
) -> None:
    password = add_user(site, "slowed")
    attacker, owner = from_address(site, "198.51.100.1"), from_address(site, "198.51.100.2")
    assert [try_sign_in(attacker, "slowed", "wrong-guess") for _ in range(5)] == [401] * 5
    # at once, from another address: the delay (1 s after the fifth failure) still runs
    assert try_sign_in(owner, "slowed", password) == 429
    time.sleep(1.1)
    # the delay is over: the right password is accepted, no 15-minute lockout
    assert try_sign_in(owner, "slowed", password) == 303
    # a sign-in starts the count again; past the limit again, the owner's address, where they
    # signed in before, is not delayed, only the others are
    assert [try_sign_in(attacker, "slowed", "wrong-guess") for _ in range(6)] == [401] * 5 + [429]
    assert try_sign_in(owner, "slowed", password) == 303


def test_an_address_past_its_limit_is_refused_even_the_right_password_finding_3_of_the_trust_issue(
    site: Site,
) -> None:
    password = add_user(site, "sprayed")
    sprayer = from_address(site, "198.51.100.20")
    limit = site.web.login_address_failures
    statuses = [try_sign_in(sprayer, f"nobody{i}", "wrong-guess") for i in range(limit)]
    assert statuses == [401] * limit
    assert try_sign_in(sprayer, "sprayed", password) == 429
    # only that address: the user signs in from anywhere else
    assert try_sign_in(from_address(site, "198.51.100.21"), "sprayed", password) == 303


def test_forty_concurrent_tries_check_no_more_than_the_limit_finding_3_of_the_trust_issue(
    site: Site,
) -> None:
    add_user(site, "raced")
    clients = [from_address(site, f"198.51.100.{100 + i}") for i in range(40)]
    tokens = [page_csrf(client) for client in clients]
    statuses: list[int] = []
    together = threading.Barrier(len(clients))

    def attempt(client: TestClient, token: str) -> None:
        data = {"username": "raced", "password": "wrong-guess", "csrf_token": token}
        together.wait()
        statuses.append(client.post("/login", data=data, follow_redirects=False).status_code)

    threads = [
        threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * site.web.login_failures + [429] * (
        40 - site.web.login_failures
    )
    assert len(checked_attempts(site, "raced")) == site.web.login_failures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(site: Site, web: WebSettings) -> Iterator[str]:
    """The site's app behind a real uvicorn, configured the way ``jinpai serve`` does."""
    from jinpai.cli.serve import uvicorn_config

    port = free_port()
    server = uvicorn.Server(uvicorn_config(site.app, "127.0.0.1", port, web))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def forged_sign_in(base: str, username: str, forwarded_for: str) -> int:
    with httpx.Client(base_url=base) as client:
        token = csrf_of(client.get("/login").text)
        data = {"username": username, "password": "wrong-guess", "csrf_token": token}
        r = client.post("/login", data=data, headers={"X-Forwarded-For": forwarded_for})
        return r.status_code


def test_a_forwarded_address_counts_only_from_a_trusted_proxy_finding_3_of_the_trust_issue(
    site: Site,
) -> None:
    with served(site, WebSettings(secret_key="test-secret")) as base:
        assert forged_sign_in(base, "forger", "203.0.113.7") == 401
        assert forged_sign_in(base, "forger", "203.0.113.8") in (401, 429)
    assert set(checked_attempts(site, "forger")) == {"127.0.0.1"}
    with served(site, WebSettings(secret_key="test-secret", trusted_proxies="127.0.0.1")) as base:
        assert forged_sign_in(base, "proxied", "203.0.113.9") == 401
    assert checked_attempts(site, "proxied") == ["203.0.113.9"]


# --- finding 4 of the trust issue: headers and file modes ------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/api/v1/me", "/static/app.css", "/no/such/page"])
def test_every_response_carries_the_security_headers_finding_4_of_the_trust_issue(
    anon: TestClient, path: str
) -> None:
    headers = anon.get(path, follow_redirects=False).headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_the_pages_need_no_inline_script_finding_4_of_the_trust_issue(sup: TestClient) -> None:
    # script-src 'self' forbids inline code: every script of a page comes from /static
    for path in ("/shops/s1/dashboard", "/shops/s1/agents", f"/shops/s1/pay?month={MONTH}"):
        page = sup.get(path).text
        for tag in page.split("<script")[1:]:
            assert 'src="/static/' in tag.split(">")[0], tag[:80]
        assert " onclick=" not in page and " onload=" not in page and "javascript:" not in page


def test_the_store_file_and_the_session_key_are_private_finding_4_of_the_trust_issue(
    tmp_path: Path, site: Site
) -> None:
    previous = os.umask(0o022)
    try:
        settings = Settings(
            home=tmp_path / "home",
            warehouse=site.settings.warehouse,
            database_url=f"sqlite:///{tmp_path / 'private' / 'store.sqlite'}",
        )
        create_app(settings, web=WebSettings())
        warehouse.connect(tmp_path / "private" / "warehouse.duckdb").close()
    finally:
        os.umask(previous)
    private = ("home/web.key", "private/store.sqlite", "private/warehouse.duckdb")
    for path in (tmp_path / name for name in private):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
