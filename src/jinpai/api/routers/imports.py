"""Upload a file into the warehouse through the real importers, and list quarantined rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from jinpai.api import schemas
from jinpai.api.deps import ApiUser, State
from jinpai.api.params import ShopId
from jinpai.services import uploads
from jinpai.services.access import check_manager
from jinpai.services.errors import NotFound
from jinpai.services.uploads import job_outcome, owned_imports, start_import, wait_for

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=schemas.ERRORS)

TableName = Annotated[
    str | None, Form(pattern=uploads.TABLE_PATTERN, description="the table it fills")
]
ColumnsMap = Annotated[
    str | None,
    Form(
        max_length=uploads.COLUMNS_MAP_MAX,
        pattern=uploads.COLUMNS_MAP_PATTERN,
        description="a=b,...",
    ),
]
TimeFormat = Annotated[
    str | None, Form(max_length=uploads.TIME_FORMAT_MAX, description="strptime format")
]


@router.post(
    "/shops/{shop}/imports",
    response_model=schemas.ImportOutcome,
    status_code=201,
    responses={
        202: {"model": schemas.ImportJob, "description": "with wait=false: the job, queued"},
        413: {"model": schemas.Problem, "description": "file too large"},
    },
)
async def import_file(
    shop: ShopId,
    user: ApiUser,
    state: State,
    file: Annotated[UploadFile, File(description="CSV, Excel or Parquet")],
    table: TableName = None,
    columns_map: ColumnsMap = None,
    time_format: TimeFormat = None,
    wait: Annotated[
        bool,
        Query(
            description="true: answer when imported (201, the counts); false: once the file "
            "is saved and checked (202, the job to poll at its url)"
        ),
    ] = True,
) -> Any:
    """Import one file for the shop: rows read, stored, updated, quarantined (with the rows).
    The import runs in the background either way: figures are answered meanwhile."""
    check_manager(user, shop)
    job = await start_import(state, shop, user.username, file, table, columns_map, time_format)
    if not wait:
        url = f"/api/v1/shops/{shop}/imports/{job.id}"
        body = schemas.ImportJob.model_validate(job.to_json()).model_dump(mode="json")
        return JSONResponse(body, status_code=202, headers={"Location": url})
    await wait_for(job)
    return job_outcome(job)


@router.get("/shops/{shop}/imports/{job_id}", response_model=schemas.ImportJob)
def import_job(
    shop: ShopId,
    user: ApiUser,
    state: State,
    job_id: Annotated[str, PathParam(pattern="^[0-9a-f]{32}$", description="the job's id")],
) -> dict[str, Any]:
    """An upload's import job: its state and progress, its outcome once done (jobs are kept
    while the app runs, the latest 200)."""
    check_manager(user, shop)
    job = state.jobs.get(shop, job_id)
    if job is None:
        raise NotFound("no such import job")
    return job.to_json()


@router.get("/shops/{shop}/quarantine", response_model=schemas.Page[schemas.QuarantineRow])
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
