"""All the management configuration a supervisor edits, with its versions (YAML for the CLI; the
store persists the same models as versioned JSON).

A YAML file holds any of ``plans``, ``pay_terms``, ``grading`` (lists of versions, each with
``valid_from: YYYY-MM``), ``allowances`` and ``adjustments`` (entries of one month). A file that is
just a plan (``role`` and ``indicators``) or a list of plans works too. The shipped defaults stay
in force for a role (terms, grading) until the file's first version of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from jinpai.management.grading import GradingRules
from jinpai.management.pay import Adjustment, Allowance, PayTerms
from jinpai.management.plans import KpiPlan, default_plans
from jinpai.management.versions import in_force


class ManagementConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plans: list[KpiPlan] = Field(default_factory=list)
    pay_terms: list[PayTerms] = Field(default_factory=list)
    grading: list[GradingRules] = Field(default_factory=list)
    allowances: list[Allowance] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)

    def plan_for(self, role: str, month: str) -> KpiPlan | None:
        versions = [*default_plans(), *self.plans]
        return in_force([p for p in versions if p.role == role], month)

    def roles(self) -> list[str]:
        return sorted({p.role for p in [*default_plans(), *self.plans]})

    def terms_for(self, month: str) -> PayTerms:
        return in_force([PayTerms(), *self.pay_terms], month) or PayTerms()

    def grading_for(self, month: str) -> GradingRules:
        return in_force([GradingRules(), *self.grading], month) or GradingRules()


def parse_config(data: Any) -> ManagementConfig:
    if data is None:
        return ManagementConfig()
    if isinstance(data, list):
        return ManagementConfig(plans=data)
    if isinstance(data, dict) and "indicators" in data:
        return ManagementConfig(plans=[data])
    if not isinstance(data, dict):
        raise ValueError("a management file holds a mapping (plans, pay_terms, grading, ...)")
    return ManagementConfig.model_validate(data)


def load_config(path: Path | str | None) -> ManagementConfig:
    """The configuration of a YAML file (None: the shipped defaults)."""
    if path is None:
        return ManagementConfig()
    text = Path(path).read_text(encoding="utf-8")
    return parse_config(yaml.safe_load(text))
