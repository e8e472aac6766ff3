"""History of warehouse imports: who loaded which export when, and what came of it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jinpai.store.models import IMPORT_STATUSES, ImportRun
from jinpai.store.types import utcnow


def start_import(
    session: Session, source: str, shop_id: str | None = None, created_by: str | None = None
) -> ImportRun:
    run = ImportRun(source=source, shop_id=shop_id, created_by=created_by, status="running")
    session.add(run)
    session.flush()
    return run


def finish_import(
    session: Session, run_id: int, status: str, summary: dict[str, Any] | None = None
) -> ImportRun:
    """Close a run as ``ok`` or ``failed`` with the import's summary (rows read, stored, ...)."""
    if status not in IMPORT_STATUSES or status == "running":
        raise ValueError(f"an import finishes as ok or failed, not {status!r}")
    run = session.get(ImportRun, run_id)
    if run is None:
        raise LookupError(f"no import run {run_id}")
    run.status = status
    run.summary = dict(summary or {})
    run.finished_at = utcnow()
    session.flush()
    return run


def recent_imports(
    session: Session, limit: int = 50, shop_id: str | None = None
) -> list[ImportRun]:
    statement = select(ImportRun).order_by(ImportRun.started_at.desc(), ImportRun.id.desc())
    if shop_id is not None:
        statement = statement.where(ImportRun.shop_id == shop_id)
    return list(session.scalars(statement.limit(limit)))
