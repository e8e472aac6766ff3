"""Upload a file into the warehouse through the real importers, and list quarantined rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile

from jinpai.api import models
from jinpai.api.deps import ApiUser, State
from jinpai.api.params import ShopId
from jinpai.services import uploads
from jinpai.services.access import check_manager
from jinpai.services.uploads import import_upload, owned_imports

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=models.ERRORS)

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
    return await import_upload(state, shop, user.username, file, table, columns_map, time_format)


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
