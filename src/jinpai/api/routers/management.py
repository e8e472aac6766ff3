"""Scorecards, pay sheets and grades of a month (owners and supervisors; an agent gets their
own row), as JSON or as the Excel sheet supervisors already use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from jinpai.api import schemas
from jinpai.api.deps import ApiUser, State
from jinpai.api.params import Month, ShopId
from jinpai.exports import management_sheets
from jinpai.services.access import check_manager
from jinpai.services.plans import month_result

router = APIRouter(prefix="/api/v1", tags=["management"], responses=schemas.ERRORS)

Kind = Annotated[str, Path(pattern="^(score|pay|grade)$", description="score, pay or grade")]
Role = Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# the .xlsx route is registered first: {kind} would otherwise swallow 'pay.xlsx'
@router.get(
    "/shops/{shop}/management/{kind}.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def month_sheet_xlsx(
    shop: ShopId, kind: Kind, user: ApiUser, state: State, month: Month = None, role: Role = None
) -> Response:
    """The same sheet as an Excel file (owners and supervisors)."""
    check_manager(user, shop)
    result = month_result(state, user, kind, shop, month, role)
    try:
        body = management_sheets.xlsx_bytes(kind, result)
    except (KeyError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    name = f"jinpai-{kind}-{result.get('month', 'month')}.xlsx"
    return Response(
        body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/shops/{shop}/management/{kind}", response_model=dict[str, Any])
def month_sheet(
    shop: ShopId, kind: Kind, user: ApiUser, state: State, month: Month = None, role: Role = None
) -> dict[str, Any]:
    """``score`` (KPI scorecards), ``pay`` (pay sheet) or ``grade`` of a month: the JSON of
    ``jinpai score|pay|grade --format json``."""
    return month_result(state, user, kind, shop, month, role)
