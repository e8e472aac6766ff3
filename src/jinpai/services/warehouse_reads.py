"""The app's view of the warehouse: read-only per request, reports cached per import.

Every figure comes from the use cases (build_report, explain_metric, import_path); this
module adds what a long-running server needs around them: a readers-writer lock (DuckDB refuses a
writer while read-only handles of the same file are open in the process), a small LRU cache of
reports keyed by (shop, period, profile, as_of, metrics, warehouse import id) so a new import
invalidates it by itself, and one computation per key even when 20 users ask at once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import duckdb

from jinpai.ingest.personal import mask_text
from jinpai.services.errors import WarehouseBusy
from jinpai.services.imports import ImportResult, import_path
from jinpai.services.inputs import month_period as month_period
from jinpai.services.reports import ReportOptions, build_report, explain_metric
from jinpai.services.rules import chosen_rules
from jinpai.services.sources import ReportSource
from jinpai.settings import Settings
from jinpai.warehouse import RETRY_EVERY_S, WarehouseLocked, exclusively, open_waiting, reads
from jinpai.warehouse.reads import RosterAgent

T = TypeVar("T")
IMPORT_ID_TTL_S = 1.0
# another process (``jinpai import``) may hold the file: a request waits this long for it, then
# answers 503 with Retry-After; the server's own import (in the background) waits longer
READ_WAIT_S = 2.0
BUSY_RETRY_AFTER_S = 5
IMPORT_WAIT_S = 60.0
BUSY = "仓库正在导入数据，请稍后再试 / the warehouse is being imported into by another process: try again shortly"


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


class Warehouse:
    """One warehouse file, shared by every request of the app."""

    def __init__(self, settings: Settings, cache_size: int = 32) -> None:
        self.settings = settings
        self.path = Path(settings.warehouse_path)
        self.timezone = settings.timezone
        self.lock = RWLock()
        self._import_lock = threading.Lock()  # one import of the app at a time
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

    def read_patiently(self, work: Callable[[], T]) -> T:
        """``work()`` (a use case opening the file itself) under the read lock, retried for a
        moment while another process imports (then a 503, never a 500)."""
        with self.lock.read():
            return _patiently(work)

    # --- small read-only queries (always parameterised) -------------------------------------

    @contextlib.contextmanager
    def _read(self, wait_s: float = READ_WAIT_S) -> Iterator[duckdb.DuckDBPyConnection | None]:
        with self.lock.read():
            if not self.path.is_file():
                yield None
                return
            try:
                con = open_waiting(self.path, read_only=True, wait_s=wait_s)
            except WarehouseLocked:
                raise WarehouseBusy(BUSY, BUSY_RETRY_AFTER_S) from None
            try:
                yield con
            finally:
                con.close()

    def import_id(self) -> int:
        """The latest import's id: part of every cache key, so an import refreshes the app.

        Re-read at most once a second (opening the file per request halved the throughput);
        an import through the app resets it at once, one by the CLI shows within a second.
        While another process imports, the file is unchanged until it commits (and lets go):
        the last id known stands, so cached figures are still answered meanwhile.
        """
        now = time.monotonic()
        if now - self._import_id_at < IMPORT_ID_TTL_S:
            return self._import_id
        try:
            with self._read(wait_s=0) as con:
                found = reads.latest_import_id(con) if con else 0
        except WarehouseBusy:
            return self._import_id
        self._import_id, self._import_id_at = found, now
        return self._import_id

    def shops(self) -> list[str]:
        with self._read() as con:
            return [] if con is None else reads.shop_ids(con)

    def roster(self, shop: str) -> list[RosterAgent]:
        return self.cached(("roster", shop), lambda: self._roster(shop))

    def _roster(self, shop: str) -> list[RosterAgent]:
        with self._read() as con:
            return [] if con is None else reads.read_roster(con, shop)

    def latest_day(self, shop: str) -> date | None:
        """The shop-local day of the shop's latest message, order or payment: the sheet's 'today'."""
        return self.cached(("latest_day", shop), lambda: self._latest_day(shop))

    def _latest_day(self, shop: str) -> date | None:
        with self._read() as con:
            moment = reads.latest_event(con, shop) if con else None
        if moment is None:
            return None
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
            out = reads.shop_quarantine(con, shop, import_ids, owned)
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
        as_of: datetime | None = None,
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
        options = ReportOptions(
            start=start,
            end=end,
            rules=chosen_rules(profile, None),
            as_of=as_of,
            shop=shop,
            metrics=list(metrics) if metrics else None,
            by_agent_day=by_agent_day,
            stored_rules=rules,
        )

        def compute() -> dict[str, Any]:
            return self.read_patiently(
                lambda: build_report(ReportSource(db=self.path), options, self.settings)
            )

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
        as_of: datetime | None = None,
        limit: int = 200,
    ) -> dict[str, Any]:
        options = ReportOptions(
            start=start,
            end=end,
            rules=chosen_rules(profile, None),
            as_of=as_of,
            shop=shop,
            stored_rules=self.rules_of(shop, profile),
        )
        result = self.read_patiently(
            lambda: explain_metric(
                ReportSource(db=self.path), options, self.settings, metric, agent_id, limit
            )
        )
        return mask_explanation(result.to_dict())

    # --- imports ----------------------------------------------------------------------------

    def import_file(self, path: Path, *, shop: str, **options: Any) -> ImportResult:
        """Import one file uploaded to ``shop``: rows of that shop only (a row naming another
        refuses the file).

        The import writes into a copy of the warehouse file, swapped in under the write lock
        when it is done: DuckDB allows no writer beside the readers' handles, and readers
        waiting for a whole import were every figure request for minutes. Meanwhile readers
        are answered from the previous state. A warehouse changed by another process during
        the import (a CLI import) is imported into again in place, readers waiting.
        """
        with self._import_lock:
            if not self.path.is_file():  # nothing to read yet: nothing to copy
                with self.lock.write():
                    return self._import(path, self.path, shop, options)
            copy = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.importing")
            try:
                with self.lock.read():  # app writers hold the write lock: a consistent copy
                    stamp = _stamp(self.path)
                    for src, dst in _with_wal(self.path, copy):
                        shutil.copyfile(src, dst)
                result = self._import(path, copy, shop, options)
                if not self._swap(copy, stamp):
                    with self.lock.write():
                        return self._import(path, self.path, shop, options)
                result.db = self.path
                return result
            finally:
                for _, dst in _with_wal(copy, copy):
                    dst.unlink(missing_ok=True)
                self._import_id_at = -IMPORT_ID_TTL_S  # the next request sees the new import

    def _swap(self, copy: Path, stamp: tuple[int, int, int]) -> bool:
        """Put the imported copy in place of the file, unless another process wrote the file
        since it was copied (False: import again in place).

        Under the write lock no reader of the app has the file open, and holding the file's own
        lock no other process has it (one with it open would commit into the replaced file,
        lost). While another process holds it, readers are let in between tries.
        """
        deadline = time.monotonic() + IMPORT_WAIT_S
        while True:
            with self.lock.write():
                try:
                    with exclusively(self.path, wait_s=0):
                        if _stamp(self.path) != stamp:
                            return False
                        Path(f"{self.path}.wal").unlink(missing_ok=True)  # replayed in the copy
                        os.replace(copy, self.path)
                        return True
                except WarehouseLocked:
                    if time.monotonic() >= deadline:
                        raise WarehouseBusy(BUSY, BUSY_RETRY_AFTER_S) from None
            time.sleep(RETRY_EVERY_S)

    def _import(self, path: Path, db: Path, shop: str, options: dict[str, Any]) -> ImportResult:
        try:
            return import_path(
                path,
                self.settings,
                db=db,
                shop=shop,
                own_shop_only=True,
                wait_s=IMPORT_WAIT_S,
                **options,
            )
        except WarehouseBusy:  # the job's error, in the server's words (not the CLI's)
            raise WarehouseBusy(BUSY, BUSY_RETRY_AFTER_S) from None


def _patiently(work: Callable[[], T]) -> T:
    """``work()``, retried for a moment while another process holds the warehouse file (an
    import by the CLI commits between two tries); still held: a 503 with Retry-After."""
    deadline = time.monotonic() + READ_WAIT_S
    while True:
        try:
            return work()
        except WarehouseBusy:
            if time.monotonic() >= deadline:
                raise WarehouseBusy(BUSY, BUSY_RETRY_AFTER_S) from None
        time.sleep(RETRY_EVERY_S)


def _stamp(path: Path) -> tuple[int, int, int]:
    """What changes when another process writes the file."""
    found = path.stat()
    return found.st_ino, found.st_size, found.st_mtime_ns


def _with_wal(src: Path, dst: Path) -> list[tuple[Path, Path]]:
    """The file and its write-ahead log, if any, with their names at ``dst``."""
    pairs = [(src, dst)]
    wal = Path(f"{src}.wal")
    if wal.exists() or src == dst:
        pairs.append((wal, Path(f"{dst}.wal")))
    return pairs


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


def trailing_days(end: date, days: int) -> tuple[date, date]:
    return end - timedelta(days=days - 1), end
