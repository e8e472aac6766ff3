"""Benchmark data: a big demo shop, streamed to disk, with throughput and peak memory.

.venv/bin/python bench/generate.py --messages 20000000 --out /tmp/shop-20m
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from datetime import date
from pathlib import Path

from jinpai.demo import generate_shop


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--messages", type=int, default=20_000_000)
    p.add_argument("--days", type=int, default=31)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=date.fromisoformat, default=date(2024, 3, 1))
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    a = p.parse_args(argv)
    s = generate_shop(a.out, a.seed, a.days, a.messages, a.start, a.format)
    # ru_maxrss is KiB on Linux
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": s.rows,
        "seconds": round(s.seconds, 2),
        "messages_per_s": round(s.throughput),
        "peak_rss_mb": round(peak_mb),
        "bytes": sum(f.stat().st_size for f in s.files),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
