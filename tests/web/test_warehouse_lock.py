"""The server while another process imports into its warehouse (finding 9 of the trust issue):
a read finding the file held waits a moment and retries, else answers 503 with Retry-After and
one line, never a 500; once the file is free, figures are answered again. The holder is a real
second process with the file open for writing, as ``jinpai import`` has it."""

from __future__ import annotations

import io
import threading
import time

import duckdb
from fastapi.testclient import TestClient

from tests.lock_holder import held
from tests.web.conftest import MONTH, Site, login, page_csrf

TTL_S = 1.1  # past the server's once-a-second look at the latest import: it opens the file


def test_the_server_answers_503_with_retry_after_while_another_process_imports_finding_9_of_the_trust_issue(
    site: Site,
) -> None:
    client = login(TestClient(site.app), "sup")
    report, other = {"month": MONTH}, {"month": "2024-02"}
    url = "/api/v1/shops/s1/report"
    assert client.get(url, params=report).status_code == 200
    with held(site.settings.warehouse_path):
        time.sleep(TTL_S)
        # the file is unchanged until the import commits: what is cached is still answered
        assert client.get(url, params=report).status_code == 200
        r = client.get(url, params=other)
        assert r.status_code == 503, r.status_code
        assert int(r.headers["retry-after"]) > 0
        detail = r.json()["detail"]
        assert "another process" in detail and "\n" not in detail
        page = client.get("/shops/s1/agents", params=other)
        assert page.status_code == 503 and int(page.headers["retry-after"]) > 0
        explain = client.get("/api/v1/shops/s1/explain/inquiries", params=other)
        assert explain.status_code == 503
        score = client.get("/api/v1/shops/s1/management/score", params=other)
        assert score.status_code == 503 and int(score.headers["retry-after"]) > 0
    assert client.get(url, params=other).status_code == 200
    assert client.get("/shops/s1/agents", params=other).status_code == 200
    assert client.get("/api/v1/shops/s1/explain/inquiries", params=other).status_code == 200
    assert client.get("/api/v1/shops/s1/management/score", params=other).status_code == 200


def test_a_read_waits_for_a_short_import_of_another_process_finding_9_of_the_trust_issue(
    site: Site,
) -> None:
    client = login(TestClient(site.app), "sup")
    with held(site.settings.warehouse_path) as holder:
        time.sleep(TTL_S)
        threading.Timer(0.7, holder.release).start()  # the CLI's import commits meanwhile
        r = client.get("/api/v1/shops/s1/report", params={"from": "2024-03-01", "to": "2024-03-10"})
    assert r.status_code == 200, r.status_code


def test_an_upload_waits_for_an_import_of_another_process_and_keeps_its_rows_finding_9_of_the_trust_issue(
    site: Site,
) -> None:
    client = login(TestClient(site.app), "sup")
    headers = {"X-CSRF-Token": page_csrf(client, "/shops/s1/import")}
    orders = "order_id,buyer_id,created_at,paid_at,amount,items\nup9,b9,2024-03-17 10:00:00,,9,1\n"
    files = {"file": ("orders.csv", io.BytesIO(orders.encode()), "text/csv")}
    cli_write = "CREATE TABLE cli_marker AS SELECT 9 AS x"
    with held(site.settings.warehouse_path, cli_write):
        r = client.post(
            "/api/v1/shops/s1/imports", params={"wait": "false"}, files=files, headers=headers
        )
        assert r.status_code == 202, r.status_code
        url = r.headers["location"]
        time.sleep(3)  # the upload's import into its copy is done: its swap waits for the file
        assert client.get(url).json()["state"] == "running"
    for _ in range(300):
        job = client.get(url).json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "done", job["error"]
    # neither import is lost: the other process's commit, and the upload's rows
    with duckdb.connect(str(site.settings.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT x FROM cli_marker").fetchall() == [(9,)]
        found = con.execute("SELECT count(*) FROM orders WHERE order_id = 'up9'").fetchall()
        assert found == [(1,)]
