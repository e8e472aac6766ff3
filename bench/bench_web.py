"""Web load benchmark: concurrent signed-in users for a fixed time against the daily sheet
page and one API figure of the demo shop, on loopback only, and the same while an upload imports
in the background. Prints requests/s and p50/p95 latency of each target, and the p95 of each
against a static file's, measured in the same run (the server's floor on this machine).

Every user signs in before the clock starts (sign-in is argon2 work, not serving). The server is
``jinpai serve`` in its own process (a fresh warehouse and store in a temp folder); reports are
cached per import, so after one warm-up request this measures serving, not the metric engine.
Usage::

    .venv/bin/python bench/bench_web.py [--users 20,50] [--duration 20] [--data demo-shop]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

PASSWORD = "bench-password-1"
TARGETS = {
    "static file": "/static/app.css",  # the baseline: no session, no figure
    "dashboard page": "/shops/demo/dashboard",
    "API figure": "/api/v1/shops/demo/figures/sales?month=2024-03",
}
BASELINE = "static file"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(root: Path, data: Path | None) -> dict[str, str]:
    """Demo data imported into a fresh warehouse, and one supervisor in a fresh store."""
    from jinpai.demo.generator import generate_shop
    from jinpai.services import imports
    from jinpai.settings import Settings

    env = {
        **os.environ,
        "JINPAI_HOME": str(root / "home"),
        "JINPAI_WAREHOUSE": str(root / "warehouse.duckdb"),
        "JINPAI_DATABASE_URL": f"sqlite:///{root / 'store.sqlite'}",
        "JINPAI_WEB_SECRET_KEY": "bench",
    }
    if data is None:
        data = root / "demo-shop"
        generate_shop(data, seed=0, start=date(2024, 3, 1))
    imports.import_path(data, Settings(), db=root / "warehouse.duckdb")
    jinpai = str(Path(sys.executable).with_name("jinpai"))
    subprocess.run(
        [jinpai, "user", "add", "bench", "--role", "supervisor", "--shop", "demo",
         "--password-stdin"],
        input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return env


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    r = await client.post(
        "/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    r.raise_for_status()


async def signed_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True)
    await sign_in(client)
    return client


async def user(
    client: httpx.AsyncClient,
    deadline: float,
    latencies: dict[str, list[float]],
    errors: list[int],
) -> None:
    names = list(TARGETS)
    i = 0
    while time.monotonic() < deadline:  # bounded by time: the loop always ends
        name = names[i % len(names)]
        i += 1
        start = time.perf_counter()
        r = await client.get(TARGETS[name])
        latencies[name].append(time.perf_counter() - start)
        if r.status_code != 200:
            errors.append(r.status_code)


async def upload(client: httpx.AsyncClient, data: Path, deadline: float) -> float | None:
    """Upload the orders file for a background import; the seconds until it finished."""
    started = time.perf_counter()
    path = data / "orders.parquet" if (data / "orders.parquet").exists() else data / "orders.csv"
    page = await client.get("/shops/demo/import")  # the session's CSRF token is in its form
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    headers = {"X-CSRF-Token": token.group(1)} if token else {}
    with path.open("rb") as f:
        r = await client.post(
            "/api/v1/shops/demo/imports?wait=false",
            files={"file": (path.name, f)},
            data={"table": "orders"},
            headers=headers,
        )
    if r.status_code != 202:
        print(f"  upload answered {r.status_code}: {r.text[:200]}")
        return None
    job = r.headers["location"]
    while time.monotonic() < deadline:
        state = (await client.get(job)).json()
        if state.get("state") in ("done", "failed"):
            return time.perf_counter() - started
        await asyncio.sleep(0.2)
    return None


def report(
    title: str, latencies: dict[str, list[float]], errors: list[int], elapsed: float
) -> None:
    total = sum(len(v) for v in latencies.values())
    print(f"{title}, {elapsed:.1f} s: {total} requests, {total / elapsed:.1f} requests/s, "
          f"{len(errors)} errors {sorted(set(errors)) or ''}")  # fmt: skip
    p95s = {}
    for name, values in latencies.items():
        if not values:
            continue
        p95s[name] = statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)
        ratio = p95s[name] / p95s[BASELINE] if p95s.get(BASELINE) else float("nan")
        print(f"  {name:15s} {len(values) / elapsed:7.1f} req/s  "
              f"p50 {statistics.median(values) * 1000:7.1f} ms  p95 {p95s[name] * 1000:7.1f} ms"
              f"  (p95 x{ratio:.1f} the static file's)")  # fmt: skip


async def load(base: str, users: int, duration: float, data: Path | None) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=600, follow_redirects=True) as warm:
        await sign_in(warm)
        started = time.perf_counter()
        for path in TARGETS.values():  # the first request computes and caches the reports
            (await warm.get(path)).raise_for_status()
        print(f"warm-up (reports computed once): {time.perf_counter() - started:.1f} s")
    clients = list(await asyncio.gather(*(signed_in(base) for _ in range(users))))
    try:
        for during_import in (False, True) if data is not None else (False,):
            latencies: dict[str, list[float]] = {name: [] for name in TARGETS}
            errors: list[int] = []
            deadline = time.monotonic() + duration
            started = time.perf_counter()
            work = [user(c, deadline, latencies, errors) for c in clients]
            if during_import:
                work.append(upload(clients[0], data, deadline + 600))
            done = await asyncio.gather(*work)
            elapsed = time.perf_counter() - started
            title = f"{users} users" + (" while an upload imports" if during_import else "")
            report(title, latencies, errors, elapsed)
            if during_import:
                print(f"  the import took {done[-1]:.1f} s" if done[-1] else "  no import ran")
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="20,50", help="comma-separated user counts")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--data", type=Path, default=None, help="demo data folder (else built)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jinpai-bench-web-") as folder:
        env = prepare(Path(folder), args.data)
        data = args.data or Path(folder) / "demo-shop"
        port = free_port()
        jinpai = str(Path(sys.executable).with_name("jinpai"))
        server = subprocess.Popen(
            [jinpai, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    httpx.get(base + "/login", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            for users in (int(n) for n in str(args.users).split(",")):
                asyncio.run(load(base, users, args.duration, data))
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
