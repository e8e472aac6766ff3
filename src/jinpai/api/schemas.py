"""Response models of the REST API (what /docs shows). Figures stay plain JSON objects keyed by
catalogue id: values exact, rates as fractions, ``null`` for 0/0 (architecture.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from jinpai.metrics.catalogue import CATALOGUE
from jinpai.services.daily_sheet import SORTABLE

# enums, so OpenAPI lists the valid ids and a bad one is a clean 422
MetricId = StrEnum("MetricId", {m: m for m in CATALOGUE})  # type: ignore[misc]
SortableMetric = StrEnum("SortableMetric", {m: m for m in SORTABLE})  # type: ignore[misc]

T = TypeVar("T")


class Problem(BaseModel):
    detail: str


class Refused(BaseModel):
    """A 422: one line from the rules that refuse the value, or the request's problems (each
    with its location) when the body does not fit the documented model."""

    detail: str | list[dict[str, Any]]


# documented on every route: bad parameters, not signed in, no access, nothing there
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "bad parameters (one line says which)"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "no access to this shop or agent, or no CSRF token"},
    404: {"model": Problem, "description": "no such agent or metric"},
}


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class Period(BaseModel):
    from_: str = Field(alias="from")
    to: str

    model_config = {"populate_by_name": True}


class Me(BaseModel):
    username: str
    role: str
    shops: list[str]
    agent_id: str | None


class TokenInfoOut(BaseModel):
    id: int = Field(description="what DELETE /api/v1/tokens/{id} takes")
    name: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="to the minute")
    expires_at: datetime | None


class TokenOut(TokenInfoOut):
    token: str = Field(description="shown once: send it as Authorization: Bearer <token>")


class MetricInfo(BaseModel):
    id: str
    zh: str
    unit: str
    direction: str
    family: str
    shop_only: bool
    description: str


class ShopReport(BaseModel):
    shop_id: str
    period: Period
    as_of: str
    profile: str
    shop: dict[str, Any]
    days: list[dict[str, Any]]


class AgentRow(BaseModel):
    agent_id: str
    name: str | None
    role: str | None
    figures: dict[str, Any]


class AgentReport(AgentRow):
    shop_id: str
    period: Period
    as_of: str
    profile: str
    days: list[dict[str, Any]]


class Figure(BaseModel):
    shop_id: str
    agent_id: str | None
    metric: str
    zh: str
    unit: str
    period: Period
    as_of: str
    value: Any


class Explanation(BaseModel):
    metric: str
    zh: str
    kind: str
    unit: str
    description: str
    shop_id: str | None
    agent_id: str | None
    period: Period
    value: Any
    settings: dict[str, Any]
    source: str | None
    day_column: str | None
    columns: list[str]
    row_count: int
    rows: list[dict[str, Any]]
    inputs: list[Explanation]
    shop_inputs: dict[str, Any]


class SheetAgent(BaseModel):
    agent_id: str
    name: str | None
    role: str | None
    today: dict[str, Any]
    yesterday: dict[str, Any]


class DailySheet(BaseModel):
    shop_id: str
    today: str
    yesterday: str
    as_of: str
    metrics: list[str]
    shop_today: dict[str, Any]
    shop_yesterday: dict[str, Any]
    agents: list[SheetAgent]
    trend_dates: list[str]
    trends: dict[str, list[Any]]
    heatmap: list[list[int]] = Field(description="[hour, weekday 0=Monday, inquiries]")


class Counts(BaseModel):
    read: int
    stored: int
    updated: int
    quarantined: int


class QuarantineRow(BaseModel):
    import_id: int
    table: str
    file: str
    row: int | None
    column: str | None
    reason: str
    raw: str | None


class ImportOutcome(BaseModel):
    tables: dict[str, Counts]
    errors: list[str]
    quarantined: list[QuarantineRow]


class ImportJob(BaseModel):
    job_id: str
    shop: str
    file: str
    state: str = Field(description="queued, running, done or failed")
    progress: float = Field(description="0 to 1: the file's bytes read")
    created_at: datetime
    finished_at: datetime | None
    outcome: ImportOutcome | None = Field(description="once done: what POST ?wait=true answers")
    error: str | None = Field(description="once failed: why, one line")


class UserOut(BaseModel):
    username: str
    role: str
    shops: list[str]
    agent_id: str | None
    active: bool = Field(description="false: the user cannot sign in")
