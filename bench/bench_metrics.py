"""Metric engine benchmark: the full month report on DuckDB against baselines measured in the same run.

    .venv/bin/python bench/bench_metrics.py --scales 1e6,5e6          # quick
    .venv/bin/python bench/bench_metrics.py                           # 20 million messages
    .venv/bin/python bench/bench_metrics.py --memory-limit none       # DuckDB's own memory default
    .venv/bin/python bench/bench_metrics.py --scales 20e6 --repeat 3  # median of 3 runs each

Per scale (messages of the demo shop, ``jinpai.demo.generate_shop``), each variant runs in its own
subprocess (wall time of the work after imports, peak RSS of the process). The report variants run
as shipped, with the installation's ``memory_limit`` setting (JINPAI_MEMORY_LIMIT) unless
``--memory-limit`` says otherwise; the baselines run on DuckDB's defaults.

- ``report``          the full report for the month: every family, shop, agents, days, agent-days
- ``report_response`` the same report restricted to the response family (rounds, avg_response_s,
                      first_response_s, fast_response_rate) per agent and day
- ``scan``            (a) a raw DuckDB scan of the columns the report reads
- ``sql``             (b) one hand-written DuckDB query for the response family per agent and day
- ``pandas``          (c) a straightforward pandas implementation of the same family

The three response-family implementations are checked against each other (max difference).
Targets: the full report within 3x of (b) and at least 5x faster than (c), with a peak under 2 GB;
(c) / report_response is printed too. Results go to bench/out/.
Not a test: run it by hand (make bench runs bench_import.py).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TZ = "Asia/Shanghai"
START = date(2024, 3, 1)
DAYS = 31
RESPONSE = ("rounds", "avg_response_s", "first_response_s", "fast_response_rate")
VARIANTS = ("scan", "sql", "report_response", "report", "pandas")
# taobao profile
SERVICE_START_S, SERVICE_END_S, CAP_S, FAST_S = 8 * 3600, 23 * 3600, 600, 180
US, DAY_US = 1_000_000, 86_400_000_000

# the columns the report reads (raw scan baseline)
SCANNED = {
    "messages": "shop_id, buyer_id, agent_id, sender, sent_at, is_auto, seq",
    "orders": "shop_id, order_id, buyer_id, created_at, paid_at, amount, items, refund_amount, "
    "exclude, seq",
    "reminders": "shop_id, order_id, agent_id, sent_at, channel, script_id, seq",
    "cases": "shop_id, case_id, order_id, agent_id, kind, opened_at, resolved_at, disputed, seq",
}


# --- data --------------------------------------------------------------------------------------


def prepare(messages: int, seed: int) -> Path:
    """The demo shop at this scale as Parquet plus a DuckDB warehouse file (cached in bench/out)."""
    from jinpai.demo import generate_shop

    folder = OUT / f"shop-{messages}-s{seed}"
    db = folder / "warehouse.duckdb"
    if db.exists():
        return db
    t0 = time.perf_counter()
    summary = generate_shop(folder / "data", seed=seed, days=DAYS, messages=messages, start=START)
    print(f"  generated {summary.rows} in {time.perf_counter() - t0:.1f}s", flush=True)
    t0 = time.perf_counter()
    build_warehouse(folder / "data", db)
    print(f"  warehouse built in {time.perf_counter() - t0:.1f}s", flush=True)
    return db


def build_warehouse(data: Path, db: Path) -> None:
    """The warehouse layout straight from the demo's Parquet (times local -> naive UTC, seq =
    file row order). The importer's own speed is bench_import.py's business."""
    import duckdb

    from jinpai.canonical.schema import TABLES, Kind

    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    offset = 0
    for name, schema in TABLES.items():
        path = data / f"{name}.parquet"
        if not path.exists():
            continue
        cols = []
        for c in schema.columns:
            q = f'"{c.name}"'
            if c.kind is Kind.TIMESTAMP:
                q = f"timezone('UTC', timezone('{TZ}', {q}::TIMESTAMP))"
            cols.append(f'{q} AS "{c.name}"')
        con.execute(
            f"CREATE TABLE {name} AS SELECT shop_id, {', '.join(cols)}, "
            f"{offset} + file_row_number + 1 AS seq "
            f"FROM read_parquet('{path}', file_row_number = true) ORDER BY file_row_number"
        )
        offset += con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    con.close()
    tmp.rename(db)


# --- variants (run in a child process) ---------------------------------------------------------


def variant_report(db: Path, response_only: bool, memory_limit: str | None) -> dict[str, Any]:
    import duckdb

    # imports are not timed ("the work after imports"): Ibis imports its pandas converters
    # (~0.8 s) lazily on the first result
    import ibis.backends.duckdb.converter  # noqa: F401

    from jinpai.canonical.validation import sql_string
    from jinpai.engine.duckdb_backend import bind_duckdb
    from jinpai.engine.report import ReportRequest, build_report
    from jinpai.metrics.context import Period
    from jinpai.metrics.rules import rule_settings

    # as `jinpai report --db` opens a warehouse: an in-memory database that attaches it read-only
    con = duckdb.connect()
    con.execute(f"ATTACH {sql_string(str(db))} AS wh (READ_ONLY)")
    t0 = time.perf_counter()
    limit = None if memory_limit in (None, "none") else memory_limit
    tables = bind_duckdb(con, {}, TZ, schema="wh", memory_limit=limit)
    request = ReportRequest(
        period=Period(START, date.fromordinal(START.toordinal() + DAYS - 1)),
        rules=rule_settings("taobao"),
        metrics=RESPONSE if response_only else None,
        by_agent_day=True,
        timezone=TZ,
    )
    report = build_report(tables, request)
    seconds = time.perf_counter() - t0
    rows = {
        f"{r['agent_id']}|{r['date']}": [r.get(m) for m in RESPONSE]
        for r in report.get("agent_days", [])
    }
    figures = sum(len(r) for k in ("agents", "days", "agent_days") for r in report.get(k, []))
    return {"seconds": seconds, "rows": rows, "figures": figures}


def variant_scan(db: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    t0 = time.perf_counter()
    n = 0
    for name, cols in SCANNED.items():
        n += con.execute(f"SELECT count(*), sum(hash({cols})) FROM {name}").fetchone()[0]
    return {"seconds": time.perf_counter() - t0, "scanned_rows": n}


RESPONSE_SQL = f"""
WITH m AS (
    SELECT shop_id, buyer_id, agent_id, sender = 'buyer' AS is_buyer, seq,
           epoch_us(sent_at) AS us,
           epoch_us(timezone('{TZ}', timezone('UTC', sent_at))) AS lus
    FROM messages
    WHERE NOT (sender = 'agent' AND is_auto) AND epoch_us(sent_at) <= $as_of
), e AS (
    SELECT *, lus // {DAY_US} AS day,
           lag(is_buyer) OVER w AS prev_buyer,
           row_number() OVER w AS n,
           first_value(CASE WHEN NOT is_buyer THEN us END IGNORE NULLS)
               OVER (w ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS reply_us
    FROM m
    WINDOW w AS (PARTITION BY shop_id, buyer_id, agent_id, lus // {DAY_US} ORDER BY us, seq)
), starts AS (   -- a buyer message with no round open: the chat-day's first event or after a reply
    SELECT *, (reply_us - us) / {US} AS dur,
           min(n) OVER (PARTITION BY shop_id, buyer_id, agent_id, day) AS first_n
    FROM e WHERE is_buyer AND (prev_buyer IS NULL OR NOT prev_buyer)
      AND (reply_us IS NOT NULL OR day < $as_of_day)   -- open at as_of on its day: dropped
), rounds AS (
    SELECT *, lus % {DAY_US} >= {SERVICE_START_S * US}
              AND lus % {DAY_US} < {SERVICE_END_S * US} AS counted
    FROM starts
)
SELECT agent_id, day,
       count(*) FILTER (counted) AS rounds,
       avg(CASE WHEN reply_us IS NULL THEN {CAP_S} ELSE least(dur, {CAP_S}) END)
           FILTER (counted) AS avg_response_s,
       avg(dur) FILTER (n = first_n AND reply_us IS NOT NULL) AS first_response_s,
       avg(CASE WHEN reply_us IS NOT NULL AND dur <= {FAST_S} THEN 1 ELSE 0 END)
           FILTER (counted) AS fast_response_rate
FROM rounds
WHERE day BETWEEN $first AND $last
GROUP BY agent_id, day
"""


def _as_of(con: Any) -> tuple[int, int]:
    """The default as_of of the report: the latest sent_at, created_at or paid_at."""
    us = con.execute(
        "SELECT greatest((SELECT max(epoch_us(sent_at)) FROM messages),"
        " (SELECT max(epoch_us(created_at)) FROM orders WHERE NOT exclude),"
        " (SELECT max(epoch_us(paid_at)) FROM orders WHERE NOT exclude))"
    ).fetchone()[0]
    local = con.execute(
        f"SELECT epoch_us(timezone('{TZ}', timezone('UTC', make_timestamp($u))))", {"u": us}
    ).fetchone()[0]
    return us, local // DAY_US


def _period_days() -> tuple[int, int]:
    first = (START - date(1970, 1, 1)).days
    return first, first + DAYS - 1


def variant_sql(db: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    t0 = time.perf_counter()
    as_of, as_of_day = _as_of(con)
    first, last = _period_days()
    params = {"as_of": as_of, "as_of_day": as_of_day, "first": first, "last": last}
    result = con.execute(RESPONSE_SQL, params).fetchall()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": {_key(r[0], r[1]): list(r[2:]) for r in result}}


def variant_pandas(db: Path) -> dict[str, Any]:
    """The response family as a pandas user would write it: sort, shift, groupby."""
    import duckdb
    import numpy as np

    con = duckdb.connect(str(db), read_only=True)
    t0 = time.perf_counter()
    as_of, as_of_day = _as_of(con)
    df = con.execute("SELECT buyer_id, agent_id, sender, sent_at, is_auto, seq FROM messages").df()
    df = df[~((df.sender == "agent") & df.is_auto)]
    df["us"] = df.sent_at.astype("datetime64[us]").astype("int64")
    df = df[df.us <= as_of]
    df["lus"] = (
        (df.sent_at.dt.tz_localize("UTC").dt.tz_convert(TZ).dt.tz_localize(None))
        .astype("datetime64[us]")
        .astype("int64")
    )
    df["day"] = df.lus // DAY_US
    df = df.sort_values(["buyer_id", "agent_id", "day", "us", "seq"], kind="stable")
    df["chat_day"] = df.groupby(["buyer_id", "agent_id", "day"], sort=False).ngroup()
    df["is_buyer"] = df.sender == "buyer"
    g = df.groupby("chat_day", sort=False)
    df["prev_buyer"] = g.is_buyer.shift(1)
    df["agent_us"] = df.us.where(~df.is_buyer)
    df["reply_us"] = g.agent_us.shift(-1)
    df["reply_us"] = df.groupby("chat_day", sort=False).reply_us.bfill()
    starts = df[df.is_buyer & (df.prev_buyer.isna() | (df.prev_buyer == False))].copy()  # noqa: E712
    starts = starts[starts.reply_us.notna() | (starts.day < as_of_day)]
    starts["first"] = starts.groupby("chat_day", sort=False).cumcount() == 0
    starts["dur"] = (starts.reply_us - starts.us) / US
    tod = starts.lus % DAY_US
    starts["counted"] = (tod >= SERVICE_START_S * US) & (tod < SERVICE_END_S * US)
    starts["capped"] = np.where(starts.reply_us.isna(), CAP_S, np.minimum(starts.dur, CAP_S))
    starts["fast"] = (starts.reply_us.notna() & (starts.dur <= FAST_S)).astype(float)
    first, last = _period_days()
    starts = starts[(starts.day >= first) & (starts.day <= last)]
    counted = starts[starts.counted].groupby(["agent_id", "day"])
    firsts = starts[starts["first"] & starts.reply_us.notna()].groupby(["agent_id", "day"])
    out = counted.size().to_frame("rounds")
    out["avg_response_s"] = counted.capped.mean()
    out["fast_response_rate"] = counted.fast.mean()
    out = out.join(firsts.dur.mean().rename("first_response_s"), how="outer")
    out["rounds"] = out.rounds.fillna(0)
    seconds = time.perf_counter() - t0
    rows = {
        _key(a, d): [
            r.rounds,
            _nan_none(r.avg_response_s),
            _nan_none(r.first_response_s),
            _nan_none(r.fast_response_rate),
        ]
        for (a, d), r in out.iterrows()
    }
    return {"seconds": seconds, "rows": rows}


def _nan_none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _key(agent: str, day: int) -> str:
    return f"{agent}|{date.fromordinal(date(1970, 1, 1).toordinal() + int(day)).isoformat()}"


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a
    child would inherit the parent's peak (the parent builds the warehouses)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(variant: str, db: Path, result_file: Path, memory_limit: str | None = None) -> None:
    if variant == "report":
        out = variant_report(db, response_only=False, memory_limit=memory_limit)
    elif variant == "report_response":
        out = variant_report(db, response_only=True, memory_limit=memory_limit)
    else:
        out = {"scan": variant_scan, "sql": variant_sql, "pandas": variant_pandas}[variant](db)
    out["peak_mb"] = peak_rss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = usage.ru_utime + usage.ru_stime  # whole process, imports included
    result_file.write_text(json.dumps(out, default=str), encoding="utf-8")


# --- driver ------------------------------------------------------------------------------------


def run_variant(
    variant: str, db: Path, out_dir: Path, memory_limit: str | None = None
) -> dict[str, Any]:
    result_file = out_dir / f"{variant}.json"
    result_file.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            variant,
            "--db",
            str(db),
            "--result",
            str(result_file),
            *(["--memory-limit", memory_limit] if memory_limit else []),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0 or not result_file.exists():
        tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
        return {"error": tail or f"exit {proc.returncode}", "process_s": time.perf_counter() - t0}
    out = json.loads(result_file.read_text(encoding="utf-8"))
    out["process_s"] = time.perf_counter() - t0
    return out


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (its figures are checked), with every run's seconds and the
    highest peak of them all."""
    ok = sorted((r for r in runs if "seconds" in r), key=lambda r: r["seconds"])
    if not ok:
        return runs[0]
    out = dict(ok[(len(ok) - 1) // 2])
    out["runs_s"] = [round(r["seconds"], 2) for r in runs if "seconds" in r]
    out["peak_mb"] = max(r["peak_mb"] for r in ok)
    return out


def max_difference(a: dict[str, list], b: dict[str, list]) -> float | str:
    """Largest difference of the response figures over agent-days. A row only one side has
    (the report lists agent-days with other activity) must be empty there: no rounds, no means."""
    common = a.keys() & b.keys()
    only = len(a.keys() ^ b.keys())
    worst = 0.0
    for key in a.keys() ^ b.keys():
        if any(v not in (None, 0) for v in a.get(key, b.get(key))):
            worst = math.inf
    for key in common:
        for x, y in zip(a[key], b[key], strict=True):
            if x is None or y is None:
                if (x is None) != (y is None) and not (x in (None, 0) and y in (None, 0)):
                    worst = math.inf
                continue
            worst = max(worst, abs(float(x) - float(y)) / max(1.0, abs(float(x))))
    return f"{worst:.2e}" + (f" ({only} empty agent-days on one side only)" if only else "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=float, default=20_000_000, help="largest scale")
    p.add_argument("--scales", default="1e6,5e6,20e6", help="comma-separated message counts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument(
        "--repeat", type=int, default=1, help="runs of each variant; the median run is reported"
    )
    p.add_argument(
        "--memory-limit",
        help="DuckDB memory_limit of the report variants, e.g. 1200MB, or 'none' for DuckDB's "
        "default (default: the memory_limit setting)",
    )
    p.add_argument("--child", choices=(*VARIANTS,), help=argparse.SUPPRESS)
    p.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        child(a.child, a.db, a.result, a.memory_limit)
        return 0
    if a.memory_limit is None:
        from jinpai.settings import get_settings

        a.memory_limit = get_settings().memory_limit or "none"
    print(f"report memory_limit: {a.memory_limit}", flush=True)
    scales = sorted({int(float(s)) for s in a.scales.split(",") if float(s) <= a.messages})
    variants = [v for v in VARIANTS if v in a.variants.split(",")]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    results: dict[int, dict[str, Any]] = {}
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for scale in scales:
        print(f"== {scale:,} messages", flush=True)
        db = prepare(scale, a.seed)
        out_dir = OUT / f"metrics-{stamp}" / str(scale)
        out_dir.mkdir(parents=True, exist_ok=True)
        results[scale] = {}
        for _ in range(a.repeat):  # rounds of every variant, so a slow spell hits them all
            for variant in variants:
                r = run_variant(variant, db, out_dir, a.memory_limit)
                runs.setdefault((scale, variant), []).append(r)
                shown = r.get("error") or f"{r['seconds']:.2f}s, peak {r['peak_mb']:.0f} MB"
                print(f"  {variant:16s} {shown}", flush=True)
        for variant in variants:
            results[scale][variant] = median_run(runs[(scale, variant)])
        results[scale]["rows"] = _row_counts(db)
    summary = summarise(results)
    summary["report memory_limit"] = a.memory_limit
    (OUT / f"metrics-{stamp}" / "summary.json").write_text(
        json.dumps(summary, indent=2, default=str), encoding="utf-8"
    )
    print_summary(summary)
    return 0


def _row_counts(db: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    return {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


def summarise(results: dict[int, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for scale, r in results.items():
        s = {k: v.get("seconds") for k, v in r.items() if isinstance(v, dict) and "seconds" in v}
        peaks = {
            k: v.get("peak_mb") for k, v in r.items() if isinstance(v, dict) and "peak_mb" in v
        }
        errors = {k: v["error"] for k, v in r.items() if isinstance(v, dict) and "error" in v}

        def ratio(x: str, y: str, s: dict[str, Any] = s) -> float | None:
            return s[x] / s[y] if s.get(x) and s.get(y) else None

        rows = {
            k: r[k]["rows"]
            for k in ("sql", "pandas", "report_response", "report")
            if "rows" in r.get(k, {})
        }
        checks = {
            f"{x} vs {y}": max_difference(rows[x], rows[y])
            for x, y in (
                ("report", "sql"),
                ("report", "pandas"),
                ("sql", "pandas"),
                ("report_response", "report"),
            )
            if x in rows and y in rows
        }
        out[str(scale)] = {
            "table_rows": r.get("rows"),
            "seconds": s,
            "runs_s": {
                k: v["runs_s"] for k, v in r.items() if isinstance(v, dict) and "runs_s" in v
            },
            "peak_mb": peaks,
            "errors": errors,
            "report / sql(b)": ratio("report", "sql"),
            "report_response / sql(b)": ratio("report_response", "sql"),
            "report / scan(a)": ratio("report", "scan"),
            "pandas(c) / report": ratio("pandas", "report"),
            "pandas(c) / report_response": ratio("pandas", "report_response"),
            "figures_in_report": r.get("report", {}).get("figures"),
            "max_difference": checks,
        }
    scales = sorted(results)
    for a, b in itertools.pairwise(scales):
        growth = {}
        for v in VARIANTS:
            x, y = out[str(a)]["seconds"].get(v), out[str(b)]["seconds"].get(v)
            if x and y:
                growth[v] = round(y / x, 2)
        out[f"growth {a:,} -> {b:,} (x{b / a:g} messages)"] = growth
    return out


def print_summary(summary: dict[str, Any]) -> None:
    print("\nscale       " + "".join(f"{v:>18s}" for v in VARIANTS))
    for scale, s in summary.items():
        if not scale.isdigit():
            continue
        cells = [
            f"{s['seconds'][v]:7.2f}s {s['peak_mb'][v]:6.0f}MB" if v in s["seconds"] else "    -"
            for v in VARIANTS
        ]
        print(f"{int(scale):>11,} " + "".join(f"{c:>18s}" for c in cells))
    for scale, s in summary.items():
        if not scale.isdigit():
            print(f"{scale}: {s}")
            continue
        print(f"\n{int(scale):,} messages, rows {s['table_rows']}")
        for k in (
            "report / sql(b)",
            "report_response / sql(b)",
            "report / scan(a)",
            "pandas(c) / report",
            "pandas(c) / report_response",
        ):
            v = s[k]
            print(f"  {k:30s} {'-' if v is None else f'{v:.2f}'}")
        print(f"  figures in the report          {s['figures_in_report']}")
        print(f"  response family agreement      {s['max_difference']}")
        for k, e in s["errors"].items():
            print(f"  ERROR {k}: {e}")
    print("targets: report / sql(b) <= 3, pandas(c) / report >= 5, peak < 2048 MB")


if __name__ == "__main__":
    sys.exit(main())
