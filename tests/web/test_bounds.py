"""Bounds on what a request may make the server do (findings 1 and 4 of the trust issue):
bodies are refused before they are read unless the sender is known and the size allowed, and
an upload's import runs off the request path."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from tests.web.conftest import Site, login, page_csrf

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
