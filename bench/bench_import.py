"""Import benchmark: N generated message rows as CSV, imported by jinpai, against a baseline of
plain ``pandas.read_csv`` + insert into DuckDB, measured in the same run.

Each side runs in its own subprocess so its peak RSS is clean. Usage::

    .venv/bin/python bench/bench_import.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

CONTENTS = (
    "在吗",
    "亲，在的",
    "这个有货吗",
    "有的亲",
    "什么时候发货",
    "今天下午发",
    "好的",
    "[自动回复]您好",
)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Messages of 2,000 buyers and 20 agents over a month, in canonical columns."""
    rnd = random.Random(seed)
    start = datetime(2024, 3, 1, 8)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["buyer_id", "agent_id", "sender", "sent_at", "is_auto", "content"])
        for i in range(rows):
            sender = "buyer" if i % 2 == 0 else "agent"
            at = start + timedelta(seconds=i * 2 + rnd.randint(0, 1))
            content = rnd.choice(CONTENTS)
            w.writerow(
                [
                    f"tb_{rnd.randint(1, 2000)}",
                    f"店铺:客服{rnd.randint(1, 20)}",
                    sender,
                    at.strftime("%Y-%m-%d %H:%M:%S"),
                    "1" if content.startswith("[") else "0",
                    content,
                ]
            )


def _run_jinpai(csv_path: Path, db: Path) -> dict:
    from jinpai.services import import_path

    t = time.perf_counter()
    result = import_path(csv_path, db=db, table="messages")
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "stored": result.tables["messages"].stored}


def _run_baseline(csv_path: Path, db: Path) -> dict:
    import duckdb
    import pandas as pd

    t = time.perf_counter()
    frame = pd.read_csv(csv_path, parse_dates=["sent_at"])
    con = duckdb.connect(str(db))
    con.register("frame", frame)
    con.execute("CREATE TABLE messages AS SELECT * FROM frame")
    con.close()
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "stored": len(frame)}


def child(kind: str, csv_path: Path, db: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF)
    out = _run_jinpai(csv_path, db) if kind == "jinpai" else _run_baseline(csv_path, db)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds of all threads: comparable even when other work shares the machine
    out["cpu_seconds"] = (usage.ru_utime - before.ru_utime) + (usage.ru_stime - before.ru_stime)
    out["peak_rss_mb"] = usage.ru_maxrss / 1024
    print(json.dumps(out))


def measure(kind: str, csv_path: Path, db: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--csv", str(csv_path), "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=("jinpai", "baseline"))
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.csv, args.db)
        return
    with tempfile.TemporaryDirectory(prefix="jinpai-bench-") as tmp:
        folder = Path(tmp)
        csv_path = folder / "messages.csv"
        t = time.perf_counter()
        generate(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - t:.1f}s")
        results = {
            "jinpai": measure("jinpai", csv_path, folder / "jinpai.duckdb"),
            "baseline": measure("baseline", csv_path, folder / "baseline.duckdb"),
        }
    print(f"{'':28}{'seconds':>10}{'rows/s':>12}{'CPU s':>8}{'peak RSS MB':>13}")
    for name, r in results.items():
        label = "jinpai import" if name == "jinpai" else "pandas.read_csv + DuckDB"
        rate = args.rows / r["seconds"]
        print(
            f"{label:28}{r['seconds']:>10.2f}{rate:>12,.0f}{r['cpu_seconds']:>8.2f}"
            f"{r['peak_rss_mb']:>13,.0f}"
        )
    j, b = results["jinpai"], results["baseline"]
    print(
        f"jinpai / baseline: time x{j['seconds'] / b['seconds']:.2f}, "
        f"CPU x{j['cpu_seconds'] / b['cpu_seconds']:.2f}, "
        f"memory x{j['peak_rss_mb'] / b['peak_rss_mb']:.2f} "
        "(jinpai also validates, keys, deduplicates, converts times to UTC and upserts)"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
