"""The app's view of the warehouse: read-only per request, reports cached per import.

Every figure comes from :mod:`jinpai.services` (build_report, explain_metric, import_path); this
module adds what a long-running server needs around them: a readers-writer lock (DuckDB refuses a
writer while read-only handles of the same file are open in the process), a small LRU cache of
reports keyed by (shop, period, profile, as_of, metrics, warehouse import id) so a new import
invalidates it by itself, and one computation per key even when 20 users ask at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import duckdb

from jinpai import services
from jinpai.ingest.personal import mask_text

T = TypeVar("T")
IMPORT_ID_TTL_S = 1.0


class RWLock:
    """Many readers or one writer; a waiting writer stops new readers (imports do not starve)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting_writers = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._waiting_writers)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            self._waiting_writers -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@dataclass(frozen=True)
class RosterAgent:
    agent_id: str
    name: str | None
    role: str | None
    level: str | None
    group: str | None


def read_roster(con: duckdb.DuckDBPyConnection, shop: str) -> list[RosterAgent]:
    """The shop's agents as the warehouse's ``agents`` table lists them."""
    rows = con.execute(
        'SELECT agent_id, name, role, level, "group" FROM agents WHERE shop_id = ?'
        " ORDER BY role, agent_id",
        [shop],
    ).fetchall()
    return [RosterAgent(*r) for r in rows]


class Warehouse:
    """One warehouse file, shared by every request of the app."""

    def __init__(self, path: Path, timezone: str, cache_size: int = 32) -> None:
        self.path = Path(path)
        self.timezone = timezone
        self.lock = RWLock()
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._import_id, self._import_id_at = 0, -IMPORT_ID_TTL_S
        # shop -> its stored rule profile and windows (None: nothing stored); set by the app
        self.shop_rules: Callable[[str], dict[str, Any] | None] | None = None
        self._rules: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def rules_of(self, shop: str, profile: str | None) -> dict[str, Any] | None:
        """The shop's stored rules, unless the caller names a profile (that wins).

        Re-read at most once a second, like the import id: a store query per request would
        cost the dashboard's throughput; a save through this app calls :meth:`forget_rules`.
        """
        if profile is not None or self.shop_rules is None:
            return None
        now = time.monotonic()
        found = self._rules.get(shop)
        if found is None or now - found[0] >= IMPORT_ID_TTL_S:
            found = (now, self.shop_rules(shop))
            self._rules[shop] = found
        return found[1]

    def forget_rules(self, shop: str) -> None:
        self._rules.pop(shop, None)

    # --- small read-only queries (always parameterised) -------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        with self.lock.read():
            if not self.path.is_file():
                yield None
                return
            con = duckdb.connect(str(self.path), read_only=True)
            try:
                yield con
            finally:
                con.close()

    def import_id(self) -> int:
        """The latest import's id: part of every cache key, so an import refreshes the app.

        Re-read at most once a second (opening the file per request halved the throughput);
        an import through the app resets it at once, one by the CLI shows within a second.
        """
        now = time.monotonic()
        if now - self._import_id_at < IMPORT_ID_TTL_S:
            return self._import_id
        with self._read() as con:
            row = (
                con.execute("SELECT coalesce(max(id), 0) FROM imports").fetchone() if con else None
            )
        self._import_id, self._import_id_at = (int(row[0]) if row else 0), now
        return self._import_id

    def shops(self) -> list[str]:
        with self._read() as con:
            if con is None:
                return []
            rows = con.execute(
                "SELECT shop_id FROM messages UNION SELECT shop_id FROM orders"
                " UNION SELECT shop_id FROM agents ORDER BY 1"
            ).fetchall()
        return [str(r[0]) for r in rows if r[0] is not None]

    def roster(self, shop: str) -> list[RosterAgent]:
        return self.cached(("roster", shop), lambda: self._roster(shop))

    def _roster(self, shop: str) -> list[RosterAgent]:
        with self._read() as con:
            return [] if con is None else read_roster(con, shop)

    def latest_day(self, shop: str) -> date | None:
        """The shop-local day of the shop's latest message, order or payment: the sheet's 'today'."""
        return self.cached(("latest_day", shop), lambda: self._latest_day(shop))

    def _latest_day(self, shop: str) -> date | None:
        with self._read() as con:
            if con is None:
                return None
            row = con.execute(
                "SELECT greatest((SELECT max(sent_at) FROM messages WHERE shop_id = $s),"
                " (SELECT max(greatest(created_at, paid_at)) FROM orders WHERE shop_id = $s))",
                {"s": shop},
            ).fetchone()
        if not row or row[0] is None:
            return None
        moment: datetime = row[0]
        if moment.tzinfo is None:  # stored as UTC
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def quarantine(
        self, shop: str, import_ids: Sequence[int] | None = None, owned: Sequence[int] = ()
    ) -> list[dict]:
        """Quarantined rows of the shop: rows naming it, and rows of imports made for it
        (``owned``: a file without a shop_id column is the uploader's shop). Raw cells are
        masked by the importer already."""
        with self._read() as con:
            if con is None:
                return []
            has_shop = con.execute(
                "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'quarantine'"
                " AND column_name = 'shop_id'"
            ).fetchone()
            # newer warehouses keep the row's shop; older ones only have it in the raw row
            shop_of_row = (
                "coalesce(shop_id, json_extract_string(raw_json, '$.shop_id'))"
                if has_shop and has_shop[0]
                else "json_extract_string(raw_json, '$.shop_id')"
            )
            rows = con.execute(
                "SELECT import_id, table_name, file, source_row, column_name, reason, raw_json"
                f" FROM quarantine WHERE ({shop_of_row} = $s"
                " OR list_contains($owned, import_id))"
                " AND ($ids IS NULL OR list_contains($ids, import_id))"
                " ORDER BY import_id DESC, source_row LIMIT 500",
                {
                    "s": shop,
                    "owned": [int(i) for i in owned],
                    "ids": [int(i) for i in import_ids] if import_ids is not None else None,
                },
            ).fetchall()
        names = ("import_id", "table", "file", "row", "column", "reason", "raw")
        out = [dict(zip(names, r, strict=True)) for r in rows]
        for r in out:
            r["file"] = Path(str(r["file"])).name  # the server's temp path means nothing to users
            r["raw"] = mask_text(r["raw"])
        return out

    # --- reports (cached) -------------------------------------------------------------------

    def report(
        self,
        shop: str,
        start: date,
        end: date,
        *,
        profile: str | None = None,
        as_of: str | None = None,
        metrics: Sequence[str] | None = None,
        by_agent_day: bool = False,
    ) -> dict[str, Any]:
        rules = self.rules_of(shop, profile)
        key = (
            "report",
            shop,
            start,
            end,
            profile,
            # the shop's saved windows: a change in the settings is a new report
            tuple(sorted((k, repr(v)) for k, v in rules.items())) if rules else None,
            as_of,
            tuple(metrics) if metrics else None,
            by_agent_day,
        )
        options = services.ReportOptions(
            start=start.isoformat(),
            end=end.isoformat(),
            profile=profile,
            as_of=as_of,
            shop=shop,
            metrics=list(metrics) if metrics else None,
            by_agent_day=by_agent_day,
            rule_overrides=rules,
        )

        def compute() -> dict[str, Any]:
            with self.lock.read():
                return services.build_report(services.ReportSource(db=self.path), options)

        return self.cached(key, compute)

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()`` once per key and warehouse import (LRU); concurrent askers of the same
        key wait for the first one's result instead of computing it again."""
        key = (*key, self.import_id())
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            result = compute()
            with self._cache_lock:
                self._cache[key] = result
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
                self._key_locks.pop(key, None)
        return result

    def explain(
        self,
        shop: str,
        metric: str,
        start: date,
        end: date,
        *,
        agent_id: str | None = None,
        profile: str | None = None,
        as_of: str | None = None,
        limit: int = 200,
    ) -> dict[str, Any]:
        options = services.ReportOptions(
            start=start.isoformat(),
            end=end.isoformat(),
            profile=profile,
            as_of=as_of,
            shop=shop,
            rule_overrides=self.rules_of(shop, profile),
        )
        with self.lock.read():
            result = services.explain_metric(
                services.ReportSource(db=self.path), options, metric, agent_id=agent_id, limit=limit
            )
        return mask_explanation(result.to_dict())

    # --- imports ----------------------------------------------------------------------------

    def import_file(self, path: Path, *, shop: str, **options: Any) -> services.ImportResult:
        """Import one file uploaded to ``shop``: rows of that shop only (a row naming another
        refuses the file). Readers wait (DuckDB allows no writer beside them)."""
        with self.lock.write():
            try:
                return services.import_path(
                    path, db=self.path, shop=shop, own_shop_only=True, **options
                )
            finally:
                self._import_id_at = -IMPORT_ID_TTL_S  # the next request sees the new import


# --- buyers are shown masked -----------------------------------------------------------------

_BUYER_COLUMNS = ("buyer_id", "buyer", "buyer_nick")


def mask_buyer(value: Any) -> Any:
    """``tb12345678`` -> ``t***8``: enough to tell rows apart on screen, not to find the buyer.
    Pseudonyms (``b_...``, already keyed hashes) are shown as they are."""
    if not isinstance(value, str) or value.startswith("b_"):
        return value
    if len(value) <= 2:
        return value[:1] + "***"
    return f"{value[0]}***{value[-1]}"


def mask_explanation(data: dict[str, Any]) -> dict[str, Any]:
    for row in data.get("rows", []):
        for column, value in row.items():
            if column in _BUYER_COLUMNS:
                row[column] = mask_buyer(value)
            elif isinstance(value, str):
                row[column] = mask_text(value)
    for child in data.get("inputs", []):
        mask_explanation(child)
    return data


def month_period(month: str) -> tuple[date, date]:
    first, last = services.parse_period(None, None, month)
    return first, last


def trailing_days(end: date, days: int) -> tuple[date, date]:
    return end - timedelta(days=days - 1), end
