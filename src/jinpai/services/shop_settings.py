"""A shop's editable settings (rule profile and windows, grading, pay settings, agents' pay terms):
the request models of the API and the forms, and their reads and writes in the store.

Everything is validated by the management and metric models before it is stored, so a bad value
is a :class:`SettingsError` (a 422 with one clear line), never a half-saved version. Versions
from a month leave earlier months as they were (the store's ``valid_from``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    field_validator,
)

from jinpai.management.grading import GradingRules, Rule
from jinpai.management.pay import BonusPool, DeductionRule, PayTerms
from jinpai.management.versions import MONTH_PATTERN, normalise_month
from jinpai.metrics.rules import RuleSettings
from jinpai.services.errors import InputError
from jinpai.settings import DEFAULT_PROFILE

Profile = Literal["taobao", "pdd", "jd", "raw"]
HOURS_PATTERN = r"^\d{1,2}(:\d{2})?-\d{1,2}(:\d{2})?$"
# the windows the settings page shows and edits (the API takes any RuleSettings field)
RULE_FIELDS = (
    "service_hours",
    "round_cap_s",
    "order_window_days",
    "after_sales_days",
    "reminder_success_hours",
    "fast_response_s",
    "reply_within_s",
    "case_sla_hours",
    "repurchase_days",
    "retention_days",
)


class SettingsError(ValueError):
    """A value the rules refuse: the surface answers 422 with this message."""


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
    )


# --- request and response models (OpenAPI) ----------------------------------------------------


def _rules_in() -> type[BaseModel]:
    """``RulesIn``: every field of :class:`RuleSettings` with its bounds, optional (a field left
    out keeps the profile's value), so a bound is written once, on the domain model; the service
    hours as the text the forms send."""
    fields: dict[str, Any] = {"profile": (Profile, DEFAULT_PROFILE)}
    for name, field in RuleSettings.model_fields.items():
        if name == "profile":
            continue
        if name == "service_hours":
            hours = Field(None, examples=["08:00-23:00"], pattern=HOURS_PATTERN)
            fields[name] = (str | None, hours)
            continue
        base = field.annotation
        if get_origin(base) in (UnionType, Union):  # float | None: the bounds are the float's
            base = next(a for a in get_args(base) if a is not type(None))
        bounded = Annotated[base, *field.metadata] if field.metadata else base
        fields[name] = (bounded | None, Field(None, description=field.description))
    return create_model(
        "RulesIn",
        __config__=ConfigDict(extra="forbid", allow_inf_nan=False),
        __doc__="A rule profile and the windows that differ from it; a field left out keeps the "
        "profile's value. ``round_cap_s`` and ``reply_within_s`` take ``null`` for no cap / no "
        "threshold.",
        **fields,
    )


RulesIn = _rules_in()


class RulesOut(BaseModel):
    profile: str
    overrides: dict[str, Any] = Field(description="the values that differ from the profile")
    effective: dict[str, Any] = Field(description="every setting the reports use")


class ThresholdsIn(BaseModel):
    # inf/nan would pass ge=0 and then break the store's JSON and numeric columns
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    gold: float
    senior: float
    mid: float


class GradingIn(BaseModel):
    """Grading thresholds and combination rule from ``valid_from`` on; a dimension left out keeps
    the thresholds in force before."""

    # inf/nan would pass ge=0 and then break the store's JSON and numeric columns
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    valid_from: str = Field(pattern=MONTH_PATTERN)
    rule: Rule
    thresholds: dict[str, ThresholdsIn] = Field(default_factory=dict)


class BonusPoolIn(BaseModel):
    """The whole short list of the bonus pool: it replaces the list in force."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    deductions: list[DeductionRule] = Field(max_length=20)
    max_deduction: float = Field(ge=0, le=1)


class PaySettingsIn(BaseModel):
    """Pay settings from ``valid_from`` on. A field left out (or null) is carried over from the
    settings in force, the shipped defaults where none are stored; only
    ``reminder_commission_rate`` takes an explicit null (half the agent's commission rate)."""

    # inf/nan would pass ge=0 and then break the store's JSON and numeric columns
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    valid_from: str = Field(pattern=MONTH_PATTERN)
    mode: Literal["kpi", "bonus_pool"] | None = None
    monthly_award: float | None = Field(None, ge=0, le=1_000_000)
    reminder_commission_rate: float | None = Field(
        None, ge=0, le=1, description="null: half the agent's commission rate"
    )
    settle_days: int | None = Field(None, ge=0, le=31)
    coaching_allowance: float | None = Field(
        None, ge=0, le=1_000_000, description="yuan per mentee and month"
    )
    bonus_pool: BonusPoolIn | None = Field(
        None, description="the bonus pool's deduction list (bonus_pool mode)"
    )


class PaySettingsOut(BaseModel):
    mode: str
    monthly_award: float
    reminder_commission_rate: float | None
    settle_days: int
    coaching_allowance: float
    bonus_pool: BonusPool


AllowanceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
]
AgentIdText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Money = Annotated[float, Field(ge=0, le=1_000_000)]


class AgentTermsIn(BaseModel):
    """One agent's pay terms from ``valid_from`` on; a field left out (null) is carried over."""

    # inf/nan would pass ge=0 and then break the store's JSON and numeric columns
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    valid_from: str = Field(pattern=MONTH_PATTERN)
    agent_id: str = Field(min_length=1, max_length=128)
    base_salary: float | None = Field(None, ge=0, le=1_000_000)
    commission_rate: float | None = Field(None, ge=0, le=1)
    sales_target: float | None = Field(None, ge=0, le=1_000_000_000)
    reminder_commission_rate: float | None = Field(
        None, ge=0, le=1, description="null: carried over (none set: the shop's rate)"
    )
    allowances: dict[AllowanceName, Money] | None = Field(
        None,
        max_length=20,
        description='standing monthly allowances by name, e.g. {"全勤奖": 200}; null: carried '
        "over, {}: none",
    )
    mentor_of: list[AgentIdText] | None = Field(
        None,
        max_length=50,
        description="agent_ids of the new agents this one coaches (a coaching allowance each "
        "month both are employed); null: carried over, []: none",
    )

    @field_validator("valid_from")
    @classmethod
    def _month(cls, value: str) -> str:
        return normalise_month(value)


class AgentTermsOut(BaseModel):
    agent_id: str
    name: str | None
    role: str | None
    valid_from: str | None
    base_salary: float | None
    commission_rate: float | None
    sales_target: float | None
    reminder_commission_rate: float | None = None
    allowances: dict[str, float] = Field(default_factory=dict)
    mentor_of: list[str] = Field(default_factory=list)


# --- rule profile and windows -----------------------------------------------------------------


def _json_value(name: str, value: Any) -> Any:
    if name == "service_hours":
        start, end = value
        fmt = "{:%H:%M}"
        return f"{fmt.format(start)}-{'24:00' if end is None else fmt.format(end)}"
    return value.isoformat() if isinstance(value, time) else value


def effective_rules(profile: str, overrides: dict[str, Any]) -> RuleSettings:
    """The rules of ``profile`` with ``overrides``, through the one resolver of a shop's rules."""
    from jinpai.services.rules import resolve_rules

    try:
        return resolve_rules(None, {**overrides, "profile": profile}, profile)
    except InputError as exc:
        raise SettingsError(str(exc)) from None


def rules_overrides(rules: RulesIn) -> tuple[str, dict[str, Any]]:
    """The profile and the values that differ from it, checked by RuleSettings."""
    given = rules.model_dump(exclude_unset=True, exclude={"profile"})
    settings = effective_rules(rules.profile, given)
    base = effective_rules(rules.profile, {})
    overrides = {
        name: _json_value(name, getattr(settings, name))
        for name in given
        if getattr(settings, name) != getattr(base, name)
    }
    return rules.profile, overrides


def rules_out(profile: str, overrides: dict[str, Any]) -> RulesOut:
    settings = effective_rules(profile, overrides)
    effective = {k: _json_value(k, v) for k, v in settings.model_dump().items()}
    return RulesOut(profile=profile, overrides=overrides, effective=effective)


def read_rules(engine: Any, shop: str, default_profile: str) -> RulesOut:
    from jinpai.store.db import session_scope
    from jinpai.store.shops import get_shop

    with session_scope(engine) as session:
        row = get_shop(session, shop)
        if row is None:
            return rules_out(default_profile, {})
        return rules_out(row.profile, dict(row.settings or {}))


def save_rules(engine: Any, shop: str, rules: RulesIn) -> RulesOut:
    from jinpai.store.db import session_scope
    from jinpai.store.shops import ensure_shop

    profile, overrides = rules_overrides(rules)
    with session_scope(engine) as session:
        ensure_shop(session, shop, profile=profile, settings=overrides)
    return rules_out(profile, overrides)


# --- grading ------------------------------------------------------------------------------------


def grading_in_force(engine: Any, shop: str, month: str) -> GradingRules:
    from jinpai.store import versioned as repo
    from jinpai.store.db import session_scope

    with session_scope(engine) as session:
        stored = repo.grading_rules_in_force(session, shop, month)
    return GradingRules.model_validate(stored) if stored else GradingRules()


def save_grading(engine: Any, shop: str, change: GradingIn, user: str) -> GradingRules:
    from jinpai.store import versioned as repo
    from jinpai.store.db import session_scope

    month = normalise_month(change.valid_from)
    current = grading_in_force(engine, shop, month)
    known = {d.metric for d in current.dimensions}
    unknown = sorted(set(change.thresholds) - known)
    if unknown:
        raise SettingsError(
            f"no grading dimension {unknown[0]!r} (dimensions: {', '.join(sorted(known))})"
        )
    dimensions = []
    for d in current.dimensions:
        new = change.thresholds.get(d.metric)
        if new is not None:
            _check_order(d.metric, d.direction, new)
            d = d.model_copy(update=new.model_dump())
        dimensions.append(d.model_dump())
    try:
        rules = GradingRules.model_validate(
            {
                **current.model_dump(),
                "rule": change.rule,
                "dimensions": dimensions,
                "valid_from": month,
            }
        )
    except ValidationError as exc:
        raise SettingsError(f"bad grading rules: {_problems(exc)}") from None
    with session_scope(engine) as session:
        repo.save_grading_rules(
            session, shop, month, rules.model_dump(mode="json", exclude={"valid_from"}), user
        )
    return rules


def _check_order(metric: str, direction: str, t: ThresholdsIn) -> None:
    """Gold is the best level: above senior above mid (or below, for lower-is-better)."""
    ordered = t.gold > t.senior > t.mid if direction == "higher" else t.gold < t.senior < t.mid
    if not ordered:
        sign = ">" if direction == "higher" else "<"
        raise SettingsError(
            f"{metric}: thresholds must be gold {sign} senior {sign} mid "
            f"(got {t.gold:g}, {t.senior:g}, {t.mid:g})"
        )


# --- pay settings and agents' terms -----------------------------------------------------------


def pay_in_force(engine: Any, shop: str, month: str) -> dict[str, Any]:
    """The stored pay settings in force with the defaults filled in."""
    from jinpai.store import versioned as repo
    from jinpai.store.db import session_scope
    from jinpai.store.setup import pay_terms_document

    with session_scope(engine) as session:
        stored = repo.pay_settings_in_force(session, shop, month) or {}
    terms = PayTerms.model_validate(pay_terms_document(stored))
    return {
        "mode": terms.mode,
        "monthly_award": terms.monthly_award,
        "reminder_commission_rate": terms.reminder_commission_rate,
        "settle_days": stored.get("settle_days", 4),
        "coaching_allowance": terms.coaching_allowance,
        "bonus_pool": terms.bonus_pool,
    }


def save_pay(engine: Any, shop: str, change: PaySettingsIn, user: str) -> dict[str, Any]:
    from jinpai.store import versioned as repo
    from jinpai.store.db import session_scope
    from jinpai.store.setup import pay_terms_document

    month = normalise_month(change.valid_from)
    given = {
        name: value
        for name, value in change.model_dump(exclude={"valid_from"}, exclude_unset=True).items()
        if value is not None or name == "reminder_commission_rate"
    }
    with session_scope(engine) as session:
        document = {**(repo.pay_settings_in_force(session, shop, month) or {}), **given}
        document.pop("award", None)  # monthly_award is the one name from now on
        try:
            PayTerms.model_validate(pay_terms_document(document))
            repo.save_pay_settings(session, shop, month, document, created_by=user)
        except ValidationError as exc:
            raise SettingsError(f"bad pay settings: {_problems(exc)}") from None
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    return pay_in_force(engine, shop, month)


def terms_of_month(engine: Any, shop: str, month: str, roster: list[Any]) -> list[AgentTermsOut]:
    """Every agent of the warehouse roster and the store, with the terms in force in ``month``
    (the warehouse's columns where the store has no version)."""
    from jinpai.store.db import session_scope
    from jinpai.store.roster import roster_in_force

    with session_scope(engine) as session:
        stored = {t.agent_id: t for t in roster_in_force(session, shop, month)}
    out = {}
    for agent in roster:
        out[agent.agent_id] = AgentTermsOut(
            agent_id=agent.agent_id, name=agent.name, role=agent.role, valid_from=None,
            base_salary=None, commission_rate=None, sales_target=None,
        )  # fmt: skip
    for agent_id, t in stored.items():
        known = out.get(agent_id)
        out[agent_id] = _terms_out(t, known)
    return sorted(out.values(), key=lambda a: a.agent_id)


def _terms_out(t: Any, known: Any = None) -> AgentTermsOut:
    """A store terms view (``TermsInForce``) as the API shows it; ``known``: the warehouse
    roster's row of the agent, for what the store does not say."""
    return AgentTermsOut(
        agent_id=t.agent_id,
        name=t.name or (known.name if known else None),
        role=t.role or (known.role if known else None),
        valid_from=t.valid_from.strftime("%Y-%m") if t.valid_from else None,
        base_salary=t.base_salary,
        commission_rate=t.commission_rate,
        sales_target=t.sales_target,
        reminder_commission_rate=t.reminder_commission_rate,
        allowances=t.allowances or {},
        mentor_of=t.mentor_of or [],
    )


def save_terms(engine: Any, shop: str, change: AgentTermsIn, roster: list[Any]) -> AgentTermsOut:
    """A terms version of one agent; an agent the store does not list yet is added from the
    warehouse roster (name, role, level), so the store's roster stays complete."""
    from jinpai.store.db import session_scope
    from jinpai.store.roster import get_agent, set_terms, terms_in_force, upsert_agent

    month = change.valid_from
    known = next((a for a in roster if a.agent_id == change.agent_id), None)
    given = change.model_dump(exclude={"valid_from", "agent_id"}, exclude_none=True)
    with session_scope(engine) as session:
        _check_mentees(session, shop, change, {a.agent_id for a in roster})
        first = get_agent(session, shop, change.agent_id) is None
        if first:
            if known is None:
                raise SettingsError(f"no agent {change.agent_id!r} in shop {shop!r}")
            upsert_agent(session, shop, change.agent_id, name=known.name, group=known.group)
        in_force = terms_in_force(session, shop, change.agent_id, month)
        if known is not None and (in_force is None or in_force.role is None):
            # the first version takes the role from the warehouse roster: pay needs it
            given = {"role": known.role, "level": known.level, **given}
        try:
            set_terms(session, shop, change.agent_id, month, **given)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        t = terms_in_force(session, shop, change.agent_id, month)
    assert t is not None
    return _terms_out(t)


def parse_allowances(items: Iterable[str]) -> dict[str, str]:
    """``NAME=AMOUNT`` items (the form's list, the CLI's options) as the API's mapping."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, amount = item.replace("＝", "=").partition("=")
        name = name.strip()
        if not sep or not name:
            raise SettingsError(f"allowances: write NAME=AMOUNT, for example 全勤奖=200: {item!r}")
        if name in out:
            raise SettingsError(f"allowances: {name!r} is named twice")
        out[name] = amount.strip()
    return out


def _check_mentees(session: Any, shop: str, change: AgentTermsIn, roster: set[str]) -> None:
    """A mentee is another agent of the shop (warehouse roster or store), named once."""
    from jinpai.store.roster import get_agent

    mentees = change.mentor_of or []
    if len(set(mentees)) < len(mentees):
        raise SettingsError(f"mentor_of names an agent twice: {mentees}")
    for mentee in mentees:
        if mentee == change.agent_id:
            raise SettingsError(f"{change.agent_id!r} cannot coach themselves")
        if mentee not in roster and get_agent(session, shop, mentee) is None:
            raise SettingsError(f"mentor_of: no agent {mentee!r} in shop {shop!r}")
