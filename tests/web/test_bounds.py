"""Bounds on what a request may make the server do (findings 1 and 4 of the trust issue):
bodies are refused before they are read unless the sender is known and the size allowed, and
an upload's import runs off the request path."""

from __future__ import annotations

import io
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from tests.web.conftest import MONTH, Site, login, page_csrf

MULTIPART = "multipart/form-data; boundary=xyz"


class BodyMeter:
    """The app as a server runs it, counting the body bytes the app asks the server for."""

    def __init__(self, site: Site) -> None:
        self.app, self.read = site.app, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@pytest.fixture
def temp_folder(tmp_path: Path) -> Iterator[Path]:
    """Every temporary file of the process (spooled form parts, upload folders) goes here."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    before, tempfile.tempdir = tempfile.tempdir, str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = before


def multipart(size: int, csrf: str = "") -> bytes:
    head = (
        f'--xyz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="orders.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    return head + b"x" * size + b"\r\n--xyz--\r\n"


def test_an_anonymous_upload_is_refused_before_its_body_is_read_finding_1_of_the_trust_issue(
    site: Site, temp_folder: Path
) -> None:
    meter = BodyMeter(site)
    client = TestClient(meter)
    token = page_csrf(client)  # an anonymous session with its CSRF token
    for url in ("/shops/s1/import", "/api/v1/shops/s1/imports"):
        # 1.5 MB: under the size cap, over what a form parser keeps in memory
        r = client.post(
            url,
            content=multipart(3 << 19, token),
            headers={"Content-Type": MULTIPART},
            follow_redirects=False,
        )
        assert r.status_code in (303, 401, 403), (url, r.status_code)
    bad_token = client.post(
        "/api/v1/shops/s1/imports",
        content=multipart(3 << 19),
        headers={"Content-Type": MULTIPART, "Authorization": "Bearer not-a-token"},
    )
    assert bad_token.status_code == 401
    assert meter.read == 0
    assert list(temp_folder.iterdir()) == []


def test_a_body_declared_larger_than_the_upload_cap_is_413_before_it_is_read_finding_1_of_the_trust_issue(
    site: Site, temp_folder: Path
) -> None:
    meter = BodyMeter(site)
    client = TestClient(meter)
    # 2,000 MB declared (the issue's request); the server must not wait for it nor read it
    declared = {"Content-Type": MULTIPART, "Content-Length": str(2000 << 20)}
    assert (
        client.post("/shops/s1/import", content=multipart(10), headers=declared).status_code == 413
    )
    login(client, "sup")
    token = page_csrf(client, "/shops/s1/import")
    meter.read = 0
    r = client.post("/shops/s1/import", content=multipart(10, token), headers=declared)
    assert r.status_code == 413
    assert meter.read == 0
    # an anonymous sign-in form is small: a large one is refused by its length too
    big_login = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "200000"}
    assert TestClient(meter).post("/login", content=b"a=b", headers=big_login).status_code == 413
    assert meter.read == 0
    assert list(temp_folder.iterdir()) == []


def test_a_chunked_body_over_the_cap_is_cut_off_while_it_streams_finding_1_of_the_trust_issue(
    site: Site, temp_folder: Path
) -> None:
    client = login(TestClient(site.app), "sup")
    token = page_csrf(client, "/shops/s1/import")

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        body = multipart(3 << 20, token)  # over max_upload_mb=1 plus the margin
        for i in range(0, len(body), 1 << 16):
            yield body[i : i + (1 << 16)]

    r = client.post("/shops/s1/import", content=chunks(), headers={"Content-Type": MULTIPART})
    assert r.status_code == 413
    assert list(temp_folder.iterdir()) == []


def test_the_sign_in_form_still_works_for_an_anonymous_session(site: Site) -> None:
    client = login(TestClient(site.app), "sup")
    assert client.get("/api/v1/me").status_code == 200
    files = {"file": ("orders.csv", io.BytesIO(b"order_id\n"), "text/csv")}
    token = page_csrf(client, "/shops/s1/import")
    r = client.post("/shops/s1/import", files=files, data={"csrf_token": token})
    assert r.status_code in (200, 202, 400), r.status_code


# --- finding 4: imports off the request path ----------------------------------------------------

ORDERS = "order_id,buyer_id,created_at,paid_at,amount,items\n{id},b9,2024-03-17 10:00:00,,9,1\n"


def until_finished(client: TestClient, url: str) -> dict[str, Any]:
    for _ in range(300):
        job = client.get(url).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {job}")


def stored_order(site: Site, order_id: str) -> bool:
    with duckdb.connect(str(site.settings.warehouse_path), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM orders WHERE order_id = ?", [order_id])
        return found.fetchall()[0][0] == 1


def test_an_api_upload_imports_in_the_background_while_figures_are_answered_finding_4_of_the_trust_issue(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login(TestClient(site.app), "sup")
    headers = {"X-CSRF-Token": page_csrf(client, "/shops/s1/import")}
    report = ("/api/v1/shops/s1/report", {"month": MONTH})
    before = client.get(report[0], params=report[1]).json()
    quarantine_before = client.get("/api/v1/shops/s1/quarantine").json()
    monkeypatch.setenv("JINPAI_IMPORT_PAUSE_S", "3")  # the import holds its transaction 3 s
    files = {"file": ("orders.csv", io.BytesIO(ORDERS.format(id="bg1").encode()), "text/csv")}
    started = time.monotonic()
    r = client.post(
        "/api/v1/shops/s1/imports", params={"wait": "false"}, files=files, headers=headers
    )
    assert r.status_code == 202, r.text
    assert time.monotonic() - started < 2  # today: 201 after the whole import
    job = r.json()
    assert job["state"] in ("queued", "running") and job["outcome"] is None
    url = f"/api/v1/shops/s1/imports/{job['job_id']}"
    assert r.headers["location"] == url
    # meanwhile every read is answered, from the warehouse as it was
    started = time.monotonic()
    assert client.get(report[0], params=report[1]).json() == before
    assert client.get("/api/v1/shops/s1/quarantine").json() == quarantine_before
    assert client.get(url).json()["state"] in ("queued", "running")
    assert time.monotonic() - started < 2
    assert not stored_order(site, "bg1")
    job = until_finished(client, url)
    assert job["state"] == "done" and job["progress"] == 1.0, job
    assert job["outcome"]["tables"]["orders"]["stored"] == 1
    assert stored_order(site, "bg1")
    # another shop's manager cannot look at the job
    assert login(TestClient(site.app), "sup2").get(url).status_code == 403


def test_the_import_page_polls_a_running_import_finding_4_of_the_trust_issue(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login(TestClient(site.app), "sup")
    token = page_csrf(client, "/shops/s1/import")
    monkeypatch.setenv("JINPAI_IMPORT_PAUSE_S", "3")
    files = {"file": ("orders.csv", io.BytesIO(ORDERS.format(id="bg2").encode()), "text/csv")}
    r = client.post("/shops/s1/import", files=files, data={"csrf_token": token})
    assert r.status_code == 202, r.text
    poll = re.search(r'hx-get="(/shops/s1/import/jobs/[0-9a-f]{32})" hx-trigger="every 1s"', r.text)
    assert poll, r.text
    for _ in range(300):
        fragment = client.get(poll.group(1))
        assert fragment.status_code == 200 and "<html" not in fragment.text
        if 'data-state="done"' in fragment.text:
            break
        time.sleep(0.1)
    assert 'id="import-result"' in fragment.text and "hx-trigger" not in fragment.text
    assert stored_order(site, "bg2")


def test_an_api_upload_waits_for_its_import_by_default(site: Site) -> None:
    client = login(TestClient(site.app), "sup")
    headers = {"X-CSRF-Token": page_csrf(client, "/shops/s1/import")}
    files = {"file": ("orders.csv", io.BytesIO(ORDERS.format(id="bg3").encode()), "text/csv")}
    r = client.post("/api/v1/shops/s1/imports", files=files, headers=headers)
    assert r.status_code == 201 and r.json()["tables"]["orders"]["stored"] == 1
    assert stored_order(site, "bg3")
