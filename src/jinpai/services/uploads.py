"""A file uploaded to one shop through the app: saved with a cap and checked, imported for that
shop only as a background job (:mod:`jinpai.services.import_jobs`), recorded in the store's
import history with the quarantined rows it left."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

from jinpai.canonical.schema import TABLES
from jinpai.ingest.readers import SUFFIXES
from jinpai.services.app_state import AppState
from jinpai.services.errors import InputError, TooLarge
from jinpai.services.import_jobs import ImportJob, JobProgress
from jinpai.services.inputs import column_mapping

# what a form may send with an upload (the API and the page declare their fields with these)
TABLE_PATTERN = "^(" + "|".join(TABLES) + ")$"
COLUMNS_MAP_PATTERN = r"^[^=,]+=[^=,]+(,[^=,]+=[^=,]+)*$"
COLUMNS_MAP_MAX = 2000
TIME_FORMAT_MAX = 64

_CHUNK = 1 << 20
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


class Upload(Protocol):
    """An uploaded file as the web framework hands it over (Starlette's UploadFile)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


def safe_filename(name: str | None) -> str:
    """The upload's own name without any folder part, so the quarantine names the user's file."""
    base = Path((name or "upload").replace("\\", "/")).name
    base = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    return base[-120:]


async def save_upload(upload: Upload, folder: Path, max_bytes: int) -> Path:
    name = safe_filename(upload.filename)
    if Path(name).suffix.lower() not in SUFFIXES:
        raise InputError(f"unknown file type: upload {', '.join(SUFFIXES)}")
    target = folder / name
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"the file is larger than {max_bytes >> 20} MB")
            out.write(chunk)
    return target


async def import_upload(
    state: AppState,
    shop: str,
    username: str,
    upload: Upload,
    table: str | None,
    columns_map: str | None,
    time_format: str | None,
) -> dict[str, Any]:
    """Save the upload, import it for ``shop``, return the counts and its quarantined rows
    (the job's outcome, waited for; a refusal is raised as the job met it)."""
    job = await start_import(state, shop, username, upload, table, columns_map, time_format)
    await wait_for(job)
    return job_outcome(job)


async def start_import(
    state: AppState,
    shop: str,
    username: str,
    upload: Upload,
    table: str | None,
    columns_map: str | None,
    time_format: str | None,
) -> ImportJob:
    """Save and check the upload, then queue its import: returns at once with the job."""
    folder = Path(tempfile.mkdtemp(prefix="jinpai-upload-"))
    try:
        path = await save_upload(upload, folder, state.web.max_upload_mb << 20)
        chosen = table or path.stem.lower()
        if chosen not in TABLES:
            raise InputError(f"choose the table the file fills ({', '.join(TABLES)})")
        mapping = column_mapping(columns_map or None)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

    def work(job: ImportJob) -> dict[str, Any]:
        try:
            return _import(state, job, path, chosen, mapping, time_format or None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return state.jobs.submit(ImportJob(shop, username, path.name), work)


def _import(
    state: AppState,
    job: ImportJob,
    path: Path,
    table: str,
    mapping: Any,
    time_format: str | None,
) -> dict[str, Any]:
    # the warehouse refuses a file naming another shop than ``shop`` (a 400), whichever
    # column or mapping names it: the importer's own reading of a row's shop decides
    result = state.warehouse.import_file(
        path,
        shop=job.shop,
        table=table,
        mapping=mapping,
        time_format=time_format,
        progress=JobProgress(job),
    )
    import_ids = sorted({f.import_id for f in result.files})
    record_import(state, job.shop, path.name, job.username, result.to_json(), import_ids)
    quarantined = (
        state.warehouse.quarantine(job.shop, import_ids, owned=import_ids) if import_ids else []
    )
    return {**result.to_json(), "errors": result.errors, "quarantined": quarantined}


async def wait_for(job: ImportJob, timeout: float | None = None) -> bool:
    """Wait (off the event loop) until the job has finished, at most ``timeout`` seconds;
    True when it has."""
    from concurrent.futures import TimeoutError as Pending

    from starlette.concurrency import run_in_threadpool

    if job.future is None:
        return job.finished
    try:
        await run_in_threadpool(job.future.result, timeout)
    except Pending:
        return False
    return True


def job_outcome(job: ImportJob) -> dict[str, Any]:
    """A finished job's counts and quarantined rows; its refusal raised again (a ServiceError
    answers with its own status)."""
    if job.error is not None:
        raise job.error
    if job.outcome is None:
        raise InputError("the import has not finished")
    return job.outcome


def record_import(
    state: AppState,
    shop: str,
    source: str,
    username: str,
    summary: dict[str, Any],
    import_ids: list[int],
) -> None:
    """Import history in the store: who loaded which file for which shop (and the warehouse
    import ids, which tie a quarantined row without a shop_id column to its shop)."""
    if state.store is None:
        return
    from jinpai.store import imports as history
    from jinpai.store.db import session_scope

    with session_scope(state.store) as session:
        run = history.start_import(session, source, shop_id=shop, created_by=username)
        history.finish_import(
            session, run.id, "ok", {**summary, "warehouse_import_ids": import_ids}
        )


def owned_imports(state: AppState, shop: str) -> list[int]:
    if state.store is None:
        return []
    from jinpai.store import imports as history
    from jinpai.store.db import session_scope

    with session_scope(state.store) as session:
        runs = history.recent_imports(session, limit=200, shop_id=shop)
        return [int(i) for r in runs for i in (r.summary or {}).get("warehouse_import_ids", [])]
