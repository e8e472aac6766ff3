"""Imports of uploaded files as background jobs of the app: the upload answers once the file is
saved and checked, one worker thread imports (one writer at a time), and the page and the API
poll the job for its progress and outcome. (An import on the request path, holding the
warehouse's write lock, once blocked every figure request for minutes.)"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("jinpai.imports")
KEEP_JOBS = 200  # finished jobs remembered for polling, newest kept


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class ImportJob:
    """One uploaded file's import: ``queued``, ``running``, then ``done`` or ``failed``."""

    shop: str
    username: str
    file: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = "queued"
    done_bytes: int = 0
    total_bytes: int = 0
    outcome: dict[str, Any] | None = None
    error: Exception | None = None  # a ServiceError carries the HTTP status to answer with
    created_at: datetime = field(default_factory=_now)
    finished_at: datetime | None = None
    future: Future[None] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def progress(self) -> float:
        """0 to 1: the file's bytes read (1 once finished)."""
        if self.finished:
            return 1.0
        return min(self.done_bytes / self.total_bytes, 0.99) if self.total_bytes else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "shop": self.shop,
            "file": self.file,
            "state": self.state,
            "progress": round(self.progress, 3),
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "outcome": self.outcome,
            "error": str(self.error) if self.error is not None else None,
        }


class JobProgress:
    """The importer's progress (``ImportProgress``) written onto the job the page polls."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job

    def start(self, label: str, total: int) -> Callable[[int], None]:
        self.job.total_bytes, self.job.done_bytes = max(total, 1), 0

        def tick(done: int) -> None:
            self.job.done_bytes += done

        return tick

    def finish(self) -> None:
        self.job.done_bytes = self.job.total_bytes


class ImportJobs:
    """The app's import jobs: one worker thread, so app imports never run two at a time."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jinpai-import")
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, job: ImportJob, work: Callable[[ImportJob], dict[str, Any]]) -> ImportJob:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                oldest = next(iter(self._jobs.values()))
                if not oldest.finished:
                    break
                self._jobs.popitem(last=False)
        job.future = self._pool.submit(self._run, job, work)
        return job

    def get(self, shop: str, job_id: str) -> ImportJob | None:
        """The job, if it is one of ``shop``'s (a job id of another shop is not found)."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.shop == shop else None

    @staticmethod
    def _run(job: ImportJob, work: Callable[[ImportJob], dict[str, Any]]) -> None:
        job.state = "running"
        try:
            job.outcome = work(job)
            job.state = "done"
        except Exception as e:  # the job reports it; the worker lives on for the next one
            if not hasattr(e, "status"):
                log.exception("import job %s of %s failed", job.id, job.file)
            job.error, job.state = e, "failed"
        finally:
            job.finished_at = _now()
