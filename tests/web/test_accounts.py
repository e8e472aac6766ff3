"""A user's life after sign-up: an owner resets passwords and disables the sign-in of someone who
left; anyone changes their own password. A new password ends the sessions signed in with the old
one, a disabled user's sessions and API tokens stop at once, and only a shop's owner changes its
users (never disabling themselves)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from jinpai.cli import app as cli_app
from jinpai.settings import get_settings
from jinpai.store.db import session_scope
from jinpai.store.models import ApiToken
from jinpai.store.types import utcnow
from tests.web.conftest import PASSWORDS, Site, csrf_of, login, page_csrf

NEW_PASSWORD = "brand-new-pass-1"


def add_user(
    site: Site, username: str, role: str = "supervisor", agent_id: str | None = None
) -> str:
    password = f"{username}-pass-123"
    site.app.state.jinpai.accounts.add_user(username, password, role, ["s1"], agent_id)
    return password


def signed_in(site: Site, username: str, password: str) -> TestClient:
    return login(TestClient(site.app), username, password)


def api_csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": page_csrf(client, "/account/password")}


def change(owner: TestClient, username: str, **body: object) -> int:
    r = owner.patch(f"/api/v1/shops/s1/users/{username}", json=body, headers=api_csrf(owner))
    return r.status_code


def can_sign_in(site: Site, username: str, password: str) -> bool:
    client = TestClient(site.app)
    data = {"username": username, "password": password, "csrf_token": page_csrf(client)}
    return client.post("/login", data=data, follow_redirects=False).status_code == 303


def test_a_reset_password_ends_every_old_session(site: Site) -> None:
    old = add_user(site, "reset_me")
    phone, laptop = signed_in(site, "reset_me", old), signed_in(site, "reset_me", old)
    assert phone.get("/api/v1/me").status_code == 200
    owner = login(TestClient(site.app), "owner")
    assert change(owner, "reset_me", password=NEW_PASSWORD) == 200
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 401
    assert not can_sign_in(site, "reset_me", old)
    assert can_sign_in(site, "reset_me", NEW_PASSWORD)
    assert owner.get("/api/v1/me").status_code == 200  # the owner's own session goes on


def test_changing_ones_own_password_keeps_this_session_only(site: Site) -> None:
    old = add_user(site, "self_change")
    here, elsewhere = signed_in(site, "self_change", old), signed_in(site, "self_change", old)
    body = {"current_password": "not-my-password", "new_password": NEW_PASSWORD}
    wrong = here.post("/api/v1/me/password", json=body, headers=api_csrf(here))
    assert wrong.status_code == 403
    assert elsewhere.get("/api/v1/me").status_code == 200  # nothing changed
    body["current_password"] = old
    assert here.post("/api/v1/me/password", json=body, headers=api_csrf(here)).status_code == 204
    assert here.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert can_sign_in(site, "self_change", NEW_PASSWORD)
    too_short = {"current_password": NEW_PASSWORD, "new_password": "short"}
    assert (
        here.post("/api/v1/me/password", json=too_short, headers=api_csrf(here)).status_code == 422
    )


def test_a_disabled_user_loses_sessions_and_tokens_at_once(site: Site) -> None:
    password = add_user(site, "left_shop", "agent", "a1")
    session = signed_in(site, "left_shop", password)
    token = session.post("/api/v1/tokens", json={}, headers=api_csrf(session)).json()["token"]
    bearer = TestClient(site.app, headers={"Authorization": f"Bearer {token}"})
    assert bearer.get("/api/v1/me").status_code == 200
    owner = login(TestClient(site.app), "owner")
    assert change(owner, "left_shop", active=False) == 200
    assert session.get("/api/v1/me").status_code == 401
    assert bearer.get("/api/v1/me").status_code == 401
    assert not can_sign_in(site, "left_shop", password)
    users = {u["username"]: u for u in owner.get("/api/v1/shops/s1/users").json()}
    assert users["left_shop"]["active"] is False and users["owner"]["active"] is True
    assert change(owner, "left_shop", active=True) == 200
    assert can_sign_in(site, "left_shop", password)
    # disabling ended the tokens for good: enabling again gives no stolen token back its use
    assert bearer.get("/api/v1/me").status_code == 401


def test_only_the_shops_owner_changes_users_and_never_disables_themselves(
    site: Site, sup: TestClient, agent1: TestClient
) -> None:
    add_user(site, "target")
    assert change(sup, "target", active=False) == 403
    assert change(agent1, "target", password=NEW_PASSWORD) == 403
    owner = login(TestClient(site.app), "owner")
    assert change(owner, "owner", active=False) == 400
    assert change(owner, "nobody", active=False) == 404
    assert change(owner, "sup2", active=False) == 404  # a supervisor of another shop only
    assert change(owner, "target") == 400  # nothing to change
    assert change(owner, "target", password="short") == 422
    assert can_sign_in(site, "sup", PASSWORDS["sup"])


def test_the_settings_page_resets_and_disables(site: Site) -> None:
    password = add_user(site, "page_user")
    owner = login(TestClient(site.app), "owner")
    token = page_csrf(owner, "/shops/s1/settings")
    url = "/shops/s1/settings/users/page_user"
    r = owner.post(url, data={"password": NEW_PASSWORD, "csrf_token": token})
    assert r.status_code == 200 and 'role="status"' in r.text
    assert not can_sign_in(site, "page_user", password)
    r = owner.post(url, data={"active": "false", "csrf_token": token})
    assert r.status_code == 200
    row = r.text.split('data-user="page_user"')[1].split("</tr>")[0]
    assert "已停用" in row and "启用" in row
    assert not can_sign_in(site, "page_user", NEW_PASSWORD)
    sup = login(TestClient(site.app), "sup")
    r = sup.post(url, data={"active": "true", "csrf_token": page_csrf(sup, "/shops/s1/settings")})
    assert r.status_code == 403
    assert 'action="/shops/s1/settings/users/' not in sup.get("/shops/s1/settings").text


def test_the_password_page(site: Site) -> None:
    old = add_user(site, "page_self")
    client = signed_in(site, "page_self", old)
    page = client.get("/account/password")
    assert page.status_code == 200 and "修改密码" in page.text
    form = {"current_password": old, "new_password": NEW_PASSWORD, "csrf_token": csrf_of(page.text)}
    r = client.post("/account/password", data={**form, "confirm_password": "something-else"})
    assert r.status_code == 400 and "不一致" in r.text
    r = client.post("/account/password", data={**form, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 200 and "密码已修改" in r.text
    assert client.get("/api/v1/me").status_code == 200
    assert can_sign_in(site, "page_self", NEW_PASSWORD)


@pytest.fixture
def store_env(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINPAI_DATABASE_URL", site.settings.database_url or "")
    monkeypatch.setenv("JINPAI_WAREHOUSE", str(site.settings.warehouse))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_cli_sets_passwords_and_disables_users(site: Site, store_env: None) -> None:
    old = add_user(site, "cli_user")
    session = signed_in(site, "cli_user", old)
    runner = CliRunner()
    r = runner.invoke(
        cli_app, ["user", "passwd", "cli_user", "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    assert r.exit_code == 0, r.output
    assert session.get("/api/v1/me").status_code == 401
    assert can_sign_in(site, "cli_user", NEW_PASSWORD)
    assert runner.invoke(cli_app, ["user", "disable", "cli_user"]).exit_code == 0
    assert not can_sign_in(site, "cli_user", NEW_PASSWORD)
    listed = runner.invoke(cli_app, ["user", "list", "--shop", "s1"], terminal_width=200).output
    line = next(x for x in listed.splitlines() if "cli_user" in x)
    assert "disabled" in line
    assert "sup2" not in listed  # a supervisor of s2 only
    assert runner.invoke(cli_app, ["user", "enable", "cli_user"]).exit_code == 0
    assert can_sign_in(site, "cli_user", NEW_PASSWORD)
    r = runner.invoke(cli_app, ["user", "disable", "nobody"])
    assert r.exit_code == 2 and "no user 'nobody'" in r.output
    r = runner.invoke(cli_app, ["user", "passwd", "cli_user", "--password-stdin"], input="short\n")
    assert r.exit_code == 2 and "at least 8 characters" in r.output


# --- finding 1 of the trust issue: API tokens expire, are listed and revoked ----------------------


def new_token(client: TestClient, **body: object) -> dict[str, object]:
    r = client.post("/api/v1/tokens", json=body, headers=api_csrf(client))
    assert r.status_code == 201, r.text
    return r.json()


def bearer_of(site: Site, token: object) -> TestClient:
    return TestClient(site.app, headers={"Authorization": f"Bearer {token}"})


def test_an_api_token_expires_by_default_and_may_ask_for_fewer_days_finding_1_of_the_trust_issue(
    site: Site,
) -> None:
    client = signed_in(site, "tok_days", add_user(site, "tok_days"))
    default, short = new_token(client, name="default"), new_token(client, name="week", days=7)
    left = {
        t["name"]: datetime.fromisoformat(str(t["expires_at"])) - utcnow() for t in (default, short)
    }
    assert timedelta(days=89) < left["default"] <= timedelta(days=90)
    assert timedelta(days=6) < left["week"] <= timedelta(days=7)
    r = client.post("/api/v1/tokens", json={"days": 91}, headers=api_csrf(client))
    assert r.status_code == 400 and "90" in r.text
    # a token past its expiry is refused
    with session_scope(site.app.state.jinpai.store) as session:
        row = session.get(ApiToken, short["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert bearer_of(site, short["token"]).get("/api/v1/me").status_code == 401
    assert bearer_of(site, default["token"]).get("/api/v1/me").status_code == 200


def test_ones_tokens_are_listed_without_the_token_and_revoked_finding_1_of_the_trust_issue(
    site: Site,
) -> None:
    client = signed_in(site, "tok_list", add_user(site, "tok_list"))
    made = new_token(client, name="sheet bot")
    bearer = bearer_of(site, made["token"])
    assert bearer.get("/api/v1/me").status_code == 200
    r = client.get("/api/v1/tokens")
    assert r.status_code == 200 and str(made["token"]) not in r.text
    (listed,) = r.json()
    assert listed["id"] == made["id"] and listed["name"] == "sheet bot"
    assert {"created_at", "last_used_at", "expires_at"} <= set(listed)
    assert listed["last_used_at"] is not None and "token" not in listed
    # another user cannot see nor revoke it
    other = login(TestClient(site.app), "sup")
    assert made["id"] not in [t["id"] for t in other.get("/api/v1/tokens").json()]
    r = other.delete(f"/api/v1/tokens/{made['id']}", headers=api_csrf(other))
    assert r.status_code == 404
    assert bearer.get("/api/v1/me").status_code == 200
    r = client.delete(f"/api/v1/tokens/{made['id']}", headers=api_csrf(client))
    assert r.status_code == 204
    assert bearer.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/tokens").json() == []
    # a token may end itself
    second = bearer_of(site, new_token(client)["token"])
    token_id = second.get("/api/v1/tokens").json()[0]["id"]
    assert second.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert second.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_every_api_token_finding_1_of_the_trust_issue(site: Site) -> None:
    old = add_user(site, "tok_pass")
    client = signed_in(site, "tok_pass", old)
    own = bearer_of(site, new_token(client)["token"])
    body = {"current_password": old, "new_password": NEW_PASSWORD}
    r = client.post("/api/v1/me/password", json=body, headers=api_csrf(client))
    assert r.status_code == 204
    assert own.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 200  # this session goes on
    reset = bearer_of(site, new_token(client)["token"])
    owner = login(TestClient(site.app), "owner")
    assert change(owner, "tok_pass", password="another-pass-123") == 200
    assert reset.get("/api/v1/me").status_code == 401


def test_the_account_page_lists_and_revokes_tokens_finding_1_of_the_trust_issue(
    site: Site,
) -> None:
    client = signed_in(site, "tok_page", add_user(site, "tok_page"))
    made = new_token(client, name="月报脚本")
    bearer = bearer_of(site, made["token"])
    page = client.get("/account/password")
    assert "API 令牌" in page.text and "月报脚本" in page.text
    assert str(made["token"]) not in page.text
    assert "API tokens" in client.get("/account/password?lang=en").text
    url = f"/account/tokens/{made['id']}/revoke"
    assert client.post(url, data={}).status_code == 403  # no CSRF token
    assert bearer.get("/api/v1/me").status_code == 200
    r = client.post(url, data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 200 and "月报脚本" not in r.text
    assert bearer.get("/api/v1/me").status_code == 401


def test_the_cli_lists_and_revokes_a_users_tokens_finding_1_of_the_trust_issue(
    site: Site, store_env: None
) -> None:
    client = signed_in(site, "tok_cli", add_user(site, "tok_cli"))
    made = new_token(client, name="cli-listed")
    runner = CliRunner()
    r = runner.invoke(cli_app, ["user", "tokens", "tok_cli"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "cli-listed" in r.output and str(made["token"]) not in r.output
    r = runner.invoke(cli_app, ["user", "revoke-token", "tok_cli", str(made["id"])])
    assert r.exit_code == 0, r.output
    assert bearer_of(site, made["token"]).get("/api/v1/me").status_code == 401
    r = runner.invoke(cli_app, ["user", "revoke-token", "tok_cli", str(made["id"])])
    assert r.exit_code == 2


# --- finding 2 of the trust issue: bearer calls do not write on every request ------------------


def test_a_hundred_bearer_calls_within_a_minute_write_last_used_once_finding_2_of_the_trust_issue(
    site: Site,
) -> None:
    client = signed_in(site, "tok_busy", add_user(site, "tok_busy"))
    made = new_token(client)
    bearer = bearer_of(site, made["token"])
    store = site.app.state.jinpai.store
    writes: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    event.listen(store, "before_cursor_execute", count)
    try:
        assert all(bearer.get("/api/v1/me").status_code == 200 for _ in range(100))
    finally:
        event.remove(store, "before_cursor_execute", count)
    assert len(writes) == 1


def test_the_openapi_document_describes_the_token_routes_finding_1_of_the_trust_issue(
    anon: TestClient,
) -> None:
    paths = anon.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tokens"])
    assert "delete" in paths["/api/v1/tokens/{token_id}"]
    made = paths["/api/v1/tokens"]["post"]["responses"]["201"]["content"]["application/json"]
    assert made["schema"]["$ref"].endswith("/TokenOut")
    assert "expires" in paths["/api/v1/tokens"]["post"]["description"]
