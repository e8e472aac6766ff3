"""Sign-in, sessions, CSRF, throttling, role checks, hostile input, and no clear passwords."""

from __future__ import annotations

import io
import logging

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import MONTH, PASSWORDS, csrf_of, login, page_csrf


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
    # the sixth attempt is refused before the password is even checked, right or wrong
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
    store = (site.root / "store.sqlite").read_bytes()
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
