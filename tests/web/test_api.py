"""Every API endpoint: status codes and shapes, for a supervisor of the shop."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from jinpai.metrics.catalogue import CATALOGUE
from tests.web.conftest import MONTH, page_csrf


def test_catalogue_and_shops(sup: TestClient) -> None:
    metrics = sup.get("/api/v1/metrics").json()
    assert {m["id"] for m in metrics} == set(CATALOGUE)
    assert sup.get("/api/v1/shops").json() == ["s1"]
    me = sup.get("/api/v1/me").json()
    assert me == {"username": "sup", "role": "supervisor", "shops": ["s1"], "agent_id": None}


def test_shop_report(sup: TestClient) -> None:
    r = sup.get("/api/v1/shops/s1/report", params={"from": "2024-03-15", "to": "2024-03-17"})
    assert r.status_code == 200
    body = r.json()
    assert body["period"] == {"from": "2024-03-15", "to": "2024-03-17"}
    assert body["shop"]["sales"] == 300.0  # o1; o3 is a secured silent order, not inquiry sales
    assert [d["date"] for d in body["days"]] == ["2024-03-15", "2024-03-16", "2024-03-17"]
    # the default period is the month of the latest data
    assert sup.get("/api/v1/shops/s1/report").json()["period"]["from"] == "2024-03-01"


def test_agents_ranking_sorted_and_paginated(sup: TestClient) -> None:
    body = sup.get("/api/v1/shops/s1/agents", params={"month": MONTH, "sort": "inquiries"}).json()
    assert body["total"] == 3 and body["page"] == 1
    ids = [a["agent_id"] for a in body["items"]]
    assert set(ids) == {"a1", "a2", "a3"}
    values = [a["figures"]["inquiries"] for a in body["items"]]
    assert values == sorted(values, reverse=True)
    page2 = sup.get(
        "/api/v1/shops/s1/agents", params={"month": MONTH, "per_page": 2, "page": 2}
    ).json()
    assert len(page2["items"]) == 1 and page2["total"] == 3
    asc = sup.get("/api/v1/shops/s1/agents", params={"sort": "inquiries", "order": "asc"}).json()
    assert asc["items"][0]["agent_id"] != ids[0]
    assert sup.get("/api/v1/shops/s1/agents", params={"sort": "hourly_load"}).status_code == 422


def test_agent_figure_and_explain(sup: TestClient) -> None:
    agent = sup.get("/api/v1/shops/s1/agents/a1", params={"month": MONTH}).json()
    assert agent["agent_id"] == "a1" and agent["name"] == "小美" and agent["role"] == "presale"
    assert agent["figures"]["inquiries"] >= 1
    assert all({"date", "sales"} <= set(d) for d in agent["days"])
    fig = sup.get("/api/v1/shops/s1/figures/sales", params={"agent": "a2", "month": MONTH}).json()
    assert fig["value"] == 300.0 and fig["metric"] == "sales" and fig["unit"] == "yuan"
    shop = sup.get("/api/v1/shops/s1/figures/sales", params={"month": MONTH}).json()
    assert shop["agent_id"] is None and shop["value"] == 300.0
    ex = sup.get("/api/v1/shops/s1/explain/inquiries", params={"agent": "a1", "month": MONTH})
    assert ex.status_code == 200
    body = ex.json()
    assert body["metric"] == "inquiries" and body["row_count"] >= 1
    # buyers are masked on every surface of the app
    buyers = {row.get("buyer_id") for row in body["rows"]}
    assert buyers and not buyers & {"b1", "b2", "b3"}
    assert sup.get("/api/v1/shops/s1/agents/nobody", params={"month": MONTH}).status_code == 404
    shop_only = next(m for m, d in CATALOGUE.items() if d.shop_only)
    r = sup.get(f"/api/v1/shops/s1/figures/{shop_only}", params={"agent": "a1"})
    assert r.status_code == 400


def test_daily_sheet(sup: TestClient) -> None:
    body = sup.get("/api/v1/shops/s1/daily").json()
    assert body["today"] == "2024-03-17" and body["yesterday"] == "2024-03-16"
    assert {a["agent_id"] for a in body["agents"]} == {"a1", "a2", "a3"}
    assert len(body["trend_dates"]) == 30
    assert set(body["trends"]) >= {"inquiry_to_payment", "avg_response_s", "sales"}
    assert all(len(cell) == 3 and 0 <= cell[1] <= 6 for cell in body["heatmap"])
    assert sup.get("/api/v1/shops/s1/daily", params={"date": "2024-02-30"}).status_code == 422


def test_import_quarantines_a_bad_row(sup: TestClient) -> None:
    csv = "order_id,buyer_id,created_at,paid_at,amount,items\nn1,b9,2024-03-17 10:00:00,,50,1\nn2,b9,not a time,,50,1\n"
    token = page_csrf(sup, "/shops/s1/import")
    r = sup.post(
        "/api/v1/shops/s1/imports",
        files={"file": ("orders.csv", io.BytesIO(csv.encode()), "text/csv")},
        data={"table": "orders"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["tables"]["orders"]["read"] == 2
    assert body["tables"]["orders"]["quarantined"] == 1
    assert body["quarantined"][0]["file"] == "orders.csv"  # the user's name, not a temp path
    listed = sup.get("/api/v1/shops/s1/quarantine").json()
    assert listed["total"] >= 1 and listed["items"][0]["table"] == "orders"


def test_management_sheets(sup: TestClient) -> None:
    for kind in ("score", "pay", "grade"):
        r = sup.get(f"/api/v1/shops/s1/management/{kind}", params={"month": MONTH})
        assert r.status_code == 200, r.text
        assert r.json()["month"] == MONTH
    pay = sup.get("/api/v1/shops/s1/management/pay", params={"month": MONTH}).json()
    assert {"agent_id", "total"} <= set(pay["agents"][0])
    xlsx = sup.get("/api/v1/shops/s1/management/pay.xlsx", params={"month": MONTH})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    assert sup.get("/api/v1/shops/s1/management/bonus").status_code == 422


def test_tokens_users_and_bearer(site, sup: TestClient) -> None:  # type: ignore[no-untyped-def]
    token = page_csrf(sup, "/shops/s1/settings")
    r = sup.post("/api/v1/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    bearer = {"Authorization": f"Bearer {r.json()['token']}"}
    fresh = TestClient(site.app)
    assert fresh.get("/api/v1/me", headers=bearer).json()["username"] == "sup"
    # bearer calls need no CSRF token (a browser never sends that header by itself)
    assert fresh.post("/api/v1/tokens", json={}, headers=bearer).status_code == 201
    assert fresh.get("/api/v1/me", headers={"Authorization": "Bearer wrong"}).status_code == 401
    users = sup.get("/api/v1/shops/s1/users").json()
    assert {"sup", "a1"} <= {u["username"] for u in users}
    # only the owner adds users
    r = sup.post(
        "/api/v1/shops/s1/users",
        json={"username": "x1", "password": "long-enough-1", "role": "supervisor"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 403


def test_owner_adds_a_user(site) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import login

    owner = login(TestClient(site.app), "owner")
    token = page_csrf(owner, "/shops/s1/settings")
    body = {"username": "new-sup", "password": "long-enough-1", "role": "supervisor"}
    r = owner.post("/api/v1/shops/s1/users", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201 and r.json()["shops"] == ["s1"]
    again = owner.post("/api/v1/shops/s1/users", json=body, headers={"X-CSRF-Token": token})
    assert again.status_code == 400
    short = {**body, "username": "s2", "password": "short"}
    assert (
        owner.post(
            "/api/v1/shops/s1/users", json=short, headers={"X-CSRF-Token": token}
        ).status_code
        == 422
    )


def test_openapi_and_docs(anon: TestClient) -> None:
    spec = anon.get("/openapi.json").json()
    assert "/api/v1/shops/{shop}/agents" in spec["paths"]
    assert anon.get("/docs").status_code == 200
