"""Rule settings and the four rule profiles of metrics.md (taobao, pdd, jd, raw).

A profile is a named set of windows and thresholds. A settings file (YAML) may name a profile and
override any setting: ``{profile: pdd, round_cap_s: 300}``.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from jinpai.settings import DEFAULT_PROFILE

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND


class RuleSettings(BaseModel):
    """Every window and threshold the metric catalogue uses (metrics.md, Settings)."""

    # inf/nan would pass the bounds and then break the store's JSON and numeric columns
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    profile: str = Field(
        DEFAULT_PROFILE, title="规则口径", description="taobao, pdd, jd or raw (metrics.md)"
    )
    service_hours: tuple[time, time | None] = Field(
        default=(time(8), time(23)),
        title="服务时间",
        description="rounds beginning outside [start, end) are not counted; end None = 24:00",
    )
    round_cap_s: float | None = Field(
        600,
        gt=0,
        le=86_400,
        title="单轮时长上限（秒）",
        description="counted round duration cap; None = no cap",
    )
    fast_response_s: float = Field(
        180, gt=0, title="快速响应阈值（秒）", description="threshold of fast_response_rate"
    )
    slow_response_s: float = Field(
        100, gt=0, title="慢响应阈值（秒）", description="a round longer than this is slow"
    )
    reply_within_s: float | None = Field(
        None,
        gt=0,
        title="回复时限（秒）",
        description="a buyer-day counts as replied only if every counted round met it",
    )
    order_window_days: int = Field(
        2,
        ge=1,
        le=60,
        title="下单窗口（天）",
        description="conversion window and credit lookback",
    )
    after_sales_days: int = Field(
        15,
        ge=0,
        le=365,
        title="售后排除期（天）",
        description="0 disables the after-sales exclusion",
    )
    reminder_success_hours: float = Field(
        72,
        gt=0,
        le=24 * 30,
        title="催付成功时限（小时）",
        description="a reminder succeeds if paid within",
    )
    shift_only: bool = Field(
        False, title="仅计排班时段", description="count only rounds inside the agent's shifts"
    )
    churn_lookback_days: int = Field(
        180,
        ge=1,
        title="流失回看期（天）",
        description="old_customer_churn: buyers of these days before the period, lost if none in it",
    )
    repurchase_days: int = Field(
        30, ge=1, title="复购统计天数", description="N of new_customer_repurchase_nd"
    )
    retention_days: int = Field(
        7, ge=1, title="留存统计天数", description="N of new_customer_retention_nd"
    )
    case_sla_hours: float = Field(
        48, gt=0, title="售后工单时限（小时）", description="case_sla_rate threshold"
    )

    @field_validator("service_hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> Any:
        if isinstance(value, str):
            start, end = (part.strip() for part in value.split("-"))
            return (_parse_clock(start), None if end in ("24:00", "24") else _parse_clock(end))
        return value

    @property
    def service_start_s(self) -> int:
        start = self.service_hours[0]
        return start.hour * 3600 + start.minute * 60 + start.second

    @property
    def service_end_s(self) -> int:
        end = self.service_hours[1]
        return 86_400 if end is None else end.hour * 3600 + end.minute * 60 + end.second

    def service_hours_text(self) -> str:
        def fmt(seconds: int) -> str:
            return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

        return f"{fmt(self.service_start_s)}-{fmt(self.service_end_s)}"


def _parse_clock(text: str) -> time:
    parts = [int(p) for p in text.split(":")]
    return time(*parts)


PROFILES: dict[str, dict[str, Any]] = {
    "taobao": {},
    "pdd": {"reply_within_s": 3600, "order_window_days": 3},
    "jd": {"service_hours": "09:00-23:00", "round_cap_s": None, "fast_response_s": 30},
    "raw": {
        "service_hours": "00:00-24:00",
        "round_cap_s": None,
        "order_window_days": 3,
        "after_sales_days": 0,
    },
}


def rule_settings(profile: str = DEFAULT_PROFILE, **overrides: Any) -> RuleSettings:
    """The settings of a profile with overrides applied."""
    if profile not in PROFILES:
        raise ValueError(f"unknown rule profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return RuleSettings(**{**PROFILES[profile], **overrides, "profile": profile})


def load_rule_settings(path: Path | None, profile: str | None = None) -> RuleSettings:
    """Settings from a YAML file (``profile`` plus overrides); ``profile`` argument wins."""
    data: dict[str, Any] = {}
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: a settings file holds a mapping of setting: value")
        data = dict(loaded)
    chosen = profile or data.pop("profile", None) or DEFAULT_PROFILE
    data.pop("profile", None)
    return rule_settings(chosen, **data)
