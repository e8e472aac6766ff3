"""Upload a file into the warehouse through the real importers, and list quarantined rows."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile

from jinpai.api import models
from jinpai.api.params import ShopId, input_errors
from jinpai.api.security import ApiUser, AppState, State, check_manager
from jinpai.canonical.schema import TABLES
from jinpai.ingest.readers import SUFFIXES
from jinpai.services.inputs import column_mapping

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=models.ERRORS)

_CHUNK = 1 << 20
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def safe_filename(name: str | None) -> str:
    """The upload's own name without any folder part, so the quarantine names the user's file."""
    base = Path((name or "upload").replace("\\", "/")).name
    base = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    return base[-120:]


async def save_upload(upload: UploadFile, folder: Path, max_bytes: int) -> Path:
    name = safe_filename(upload.filename)
    if Path(name).suffix.lower() not in SUFFIXES:
        raise HTTPException(400, f"unknown file type: upload {', '.join(SUFFIXES)}")
    target = folder / name
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise HTTPException(413, f"the file is larger than {max_bytes >> 20} MB")
            out.write(chunk)
    return target


async def run_import(
    state: AppState,
    shop: str,
    username: str,
    upload: UploadFile,
    table: str | None,
    columns_map: str | None,
    time_format: str | None,
) -> dict[str, Any]:
    """Save the upload, import it for ``shop``, return the counts and its quarantined rows."""
    folder = Path(tempfile.mkdtemp(prefix="jinpai-upload-"))
    try:
        path = await save_upload(upload, folder, state.web.max_upload_mb << 20)
        chosen = table or path.stem.lower()
        if chosen not in TABLES:
            raise HTTPException(400, f"choose the table the file fills ({', '.join(TABLES)})")
        from starlette.concurrency import run_in_threadpool

        # the warehouse refuses a file naming another shop than ``shop`` (a 400), whichever
        # column or mapping names it: the importer's own reading of a row's shop decides
        with input_errors():
            result = await run_in_threadpool(
                state.warehouse.import_file,
                path,
                shop=shop,
                table=chosen,
                mapping=column_mapping(columns_map or None),
                time_format=time_format or None,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    import_ids = sorted({f.import_id for f in result.files})
    record_import(state, shop, path.name, username, result.to_json(), import_ids)
    quarantined = (
        state.warehouse.quarantine(shop, import_ids, owned=import_ids) if import_ids else []
    )
    return {**result.to_json(), "errors": result.errors, "quarantined": quarantined}


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
    engine = getattr(state.accounts, "engine", None)
    if engine is None:
        return
    from jinpai.store import imports as history
    from jinpai.store.db import session_scope

    with session_scope(engine) as session:
        run = history.start_import(session, source, shop_id=shop, created_by=username)
        history.finish_import(
            session, run.id, "ok", {**summary, "warehouse_import_ids": import_ids}
        )


def owned_imports(state: AppState, shop: str) -> list[int]:
    engine = getattr(state.accounts, "engine", None)
    if engine is None:
        return []
    from jinpai.store import imports as history
    from jinpai.store.db import session_scope

    with session_scope(engine) as session:
        runs = history.recent_imports(session, limit=200, shop_id=shop)
        return [int(i) for r in runs for i in (r.summary or {}).get("warehouse_import_ids", [])]


TableName = Annotated[
    str | None, Form(pattern="^(" + "|".join(TABLES) + ")$", description="the table it fills")
]
ColumnsMap = Annotated[
    str | None,
    Form(max_length=2000, pattern=r"^[^=,]+=[^=,]+(,[^=,]+=[^=,]+)*$", description="a=b,..."),
]
TimeFormat = Annotated[str | None, Form(max_length=64, description="strptime format")]


@router.post(
    "/shops/{shop}/imports",
    response_model=models.ImportOutcome,
    status_code=201,
    responses={413: {"model": models.Problem, "description": "file too large"}},
)
async def import_file(
    shop: ShopId,
    user: ApiUser,
    state: State,
    file: Annotated[UploadFile, File(description="CSV, Excel or Parquet")],
    table: TableName = None,
    columns_map: ColumnsMap = None,
    time_format: TimeFormat = None,
) -> dict[str, Any]:
    """Import one file for the shop: rows read, stored, updated, quarantined (with the rows)."""
    check_manager(user, shop)
    return await run_import(state, shop, user.username, file, table, columns_map, time_format)


@router.get("/shops/{shop}/quarantine", response_model=models.Page[models.QuarantineRow])
def quarantine(
    shop: ShopId,
    user: ApiUser,
    state: State,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The shop's quarantined rows, newest import first (the latest 500)."""
    check_manager(user, shop)
    rows = state.warehouse.quarantine(shop, owned=owned_imports(state, shop))
    first = (page - 1) * per_page
    return {
        "items": rows[first : first + per_page],
        "total": len(rows),
        "page": page,
        "per_page": per_page,
    }
