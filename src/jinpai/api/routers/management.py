"""Scorecards, pay sheets and grades of a month (owners and supervisors; an agent gets their
own row), as JSON or as the Excel sheet supervisors already use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from jinpai.api import models
from jinpai.api.params import Month, ShopId, input_errors
from jinpai.api.security import ApiUser, AppState, State, check_manager, check_shop
from jinpai.exports import management_sheets
from jinpai.services import plans as management
from jinpai.services.daily_sheet import default_month

router = APIRouter(prefix="/api/v1", tags=["management"], responses=models.ERRORS)

Kind = Annotated[str, Path(pattern="^(score|pay|grade)$", description="score, pay or grade")]
Role = Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def month_result(
    state: AppState, user: Any, kind: str, shop: str, month: str | None, role: str | None
) -> dict[str, Any]:
    check_shop(user, shop)
    with input_errors():
        result = management.run(
            state.warehouse,
            getattr(state.accounts, "engine", None),
            kind,
            shop,
            month or default_month(state.warehouse, shop),
            role,
        )
    if not user.manages:
        # an agent sees their own scorecard, pay and grade, never the team's
        result = {
            **result,
            "agents": [a for a in result["agents"] if a.get("agent_id") == user.agent_id],
        }
        for key in ("totals", "promotion_candidates", "bottom", "changes"):
            result.pop(key, None)
    return result


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
