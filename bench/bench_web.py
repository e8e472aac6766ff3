"""Web load benchmark: 20 concurrent signed-in users for a fixed time against the daily sheet
page and one API figure of the demo shop, on loopback only. Prints requests/s and p95 latency.

The server is ``jinpai serve`` in its own process (a fresh warehouse and store in a temp folder);
reports are cached per import, so after one warm-up request this measures serving, not the
metric engine. Usage::

    .venv/bin/python bench/bench_web.py [--users 20] [--duration 20] [--data demo-shop]
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
    "dashboard page": "/shops/demo/dashboard",
    "API figure": "/api/v1/shops/demo/figures/sales?month=2024-03",
}


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


async def user(base: str, deadline: float, latencies: dict[str, list[float]], errors: list[int]):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True) as client:
        await sign_in(client)
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


async def load(base: str, users: int, duration: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=600, follow_redirects=True) as warm:
        await sign_in(warm)
        started = time.perf_counter()
        for path in TARGETS.values():  # the first request computes and caches the reports
            (await warm.get(path)).raise_for_status()
        print(f"warm-up (reports computed once): {time.perf_counter() - started:.1f} s")
    latencies: dict[str, list[float]] = {name: [] for name in TARGETS}
    errors: list[int] = []
    deadline = time.monotonic() + duration
    started = time.perf_counter()
    await asyncio.gather(*(user(base, deadline, latencies, errors) for _ in range(users)))
    elapsed = time.perf_counter() - started
    total = sum(len(v) for v in latencies.values())
    print(f"{users} users, {elapsed:.1f} s: {total} requests, {total / elapsed:.1f} requests/s, "
          f"{len(errors)} errors")  # fmt: skip
    for name, values in latencies.items():
        if not values:
            continue
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)
        print(f"  {name:15s} {len(values) / elapsed:7.1f} req/s  "
              f"p50 {statistics.median(values) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--data", type=Path, default=None, help="demo data folder (else built)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jinpai-bench-web-") as folder:
        env = prepare(Path(folder), args.data)
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
            asyncio.run(load(base, args.users, args.duration))
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
