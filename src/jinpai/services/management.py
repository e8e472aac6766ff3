"""Management of a month (``jinpai score | pay | grade | rank``, the app's sheets): scorecards,
pay, grading and ranks, with the plans, terms and rules in force that month."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinpai.management.month import DEFAULT_SETTLE_DAYS
from jinpai.services.errors import ReportInputError
from jinpai.services.rules import resolve_rules
from jinpai.services.sources import BoundTables, ReportSource, open_tables
from jinpai.settings import Settings

if TYPE_CHECKING:
    from jinpai.metrics.rules import RuleSettings


@dataclass(frozen=True)
class ManagementOptions:
    """A management command's input as typed. ``as_of`` applies to ``month`` only: earlier months
    (last month's grade, KPI history) use their own default as_of, as when they were paid."""

    month: str  # YYYY-MM
    role: str | None = None
    rules: RuleSettings | None = None  # None: the shop's stored rules, else the default profile
    as_of: datetime | None = None
    shop: str | None = None
    plan_file: Path | None = None
    settle_days: int | None = None  # None: the store's pay settings, else 4
    # The application store (an Engine or URL) whose plans, terms, grading rules, adjustments
    # and shop settings apply; None: the plan file or the shipped defaults only.
    store: Any = None


def shop_setup(store: Any, shop_id: str, month: str) -> Any:
    """The store's setup of a shop for a month (jinpai.store.setup.ShopSetup), or None without
    a store; a broken plan in the store is bad input, not a crash."""
    from sqlalchemy.exc import SQLAlchemyError

    from jinpai.store.db import display_url
    from jinpai.store.setup import open_store
    from jinpai.store.setup import shop_setup as read_setup

    try:
        engine = open_store(store)
    except SQLAlchemyError as exc:  # a team server that is down: one line, not a traceback
        where = store if not isinstance(store, str | None) else display_url(store)
        raise ReportInputError(f"cannot read the store {where}: {exc.__class__.__name__}") from None
    if engine is None:
        return None
    try:
        return read_setup(engine, shop_id, month)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ReportInputError(
            f"bad configuration of shop {shop_id!r} in the store: {exc}"
        ) from None
    finally:
        if engine is not store:
            engine.dispose()


class _Months:
    """Month figures of one shop, computed on demand and cached (a month is a full engine run)."""

    def __init__(
        self,
        bound: BoundTables,
        options: ManagementOptions,
        settings: Settings,
        shop: str | None,
        shop_id: str | None = None,
    ) -> None:
        from jinpai.management.configuration import load_config

        self.bound, self.options, self.shop = bound, options, shop
        setup = None
        if options.plan_file is None and options.store is not None:
            setup = shop_setup(options.store, shop_id or shop or "default", options.month)
        self.setup = setup
        stored_rules = None
        if setup is not None and setup.profile is not None:
            stored_rules = {**setup.rules, "profile": setup.profile}
        self.rules = resolve_rules(options.rules, stored_rules, settings.profile)
        try:
            self.config = setup.config if setup is not None else load_config(options.plan_file)
        except (OSError, ValueError) as exc:
            raise ReportInputError(f"bad plan file {options.plan_file}: {exc}") from None
        self.timezone = bound.timezone_of(shop)
        self._cache: dict[tuple[str, frozenset[str]], Any] = {}
        self._first: date | None = None

    def settle_days(self, month: str) -> int:
        """The option, else the pay settings in force in ``month`` (each month its own), else
        the default."""
        stored = self.setup.settle_days(month) if self.setup is not None else None
        return next(
            d for d in (self.options.settle_days, stored, DEFAULT_SETTLE_DAYS) if d is not None
        )

    def metrics(self, month: str, *extra: str) -> set[str]:
        """Catalogue figures the month's plans and pay terms read, plus ``extra``."""
        from jinpai.management.plans import KPI_SCORE

        wanted = {"sales", "secured_silent_sales", "recovered_sales", *extra} - {KPI_SCORE}
        for role in self.config.roles():
            plan = self.config.plan_for(role, month)
            wanted.update(plan.metrics if plan else ())
        wanted.update(r.metric for r in self.config.terms_for(month).bonus_pool.deductions)
        return wanted

    def figures(self, month: str, metrics: set[str]) -> Any:
        from jinpai.management.month import compute_month

        key = (month, frozenset(metrics))
        if key not in self._cache:
            as_of = self.options.as_of if month == self.options.month else None
            self._cache[key] = compute_month(
                self.bound.tables,
                month,
                self.rules,
                sorted(metrics),
                shop=self.shop,
                as_of=as_of,
                settle_days=self.settle_days(month),
                timezone=self.timezone,
                sales_targets=self.config.terms_for(month).sales_targets(),
            )
            if self.setup is not None:
                _apply_roster(self._cache[key], self._roster(month))
        return self._cache[key]

    def _roster(self, month: str) -> Mapping[str, Any]:
        """The store's roster terms in force in ``month`` (earlier months: their own)."""
        from jinpai.store.setup import roster_of

        if self.setup is None:
            return {}
        if month == self.options.month:
            return self.setup.roster
        return roster_of(self.options.store, self.setup.shop_id, month)

    def has_data(self, month: str) -> bool:
        """Whether the chats reach back into ``month`` (older months are not scored: zeros
        everywhere would rank every agent first)."""
        from jinpai.management.versions import month_bounds

        if self._first is None:
            self._first = self.bound.first_chat_day(self.shop, self.timezone) or date.max
        return month_bounds(month)[1] >= self._first


def _apply_roster(figures: Any, roster: Mapping[str, Any]) -> None:
    """The store's roster terms in force win over the warehouse ``agents`` table's columns."""
    for agent in figures.agents:
        terms = roster.get(agent.agent_id)
        if terms is None:
            continue
        for name in ("role", "level", "base_salary", "commission_rate", "hired_on", "left_on"):
            value = getattr(terms, name)
            if value is not None:
                setattr(agent, name, value)


def _management(
    source: ReportSource, options: ManagementOptions, settings: Settings, run: Any
) -> dict[str, Any]:
    """Run ``run(months) -> dict`` for the shop asked for, or each shop of the data in turn."""
    from jinpai.management.versions import normalise_month

    try:
        month = normalise_month(options.month)
    except ValueError as exc:
        raise ReportInputError(str(exc)) from None
    options = dataclasses.replace(options, month=month)
    with open_tables(source, settings) as bound:
        bound.check_shop(options.shop)
        shops = [options.shop] if options.shop else bound.shop_ids()
        # one shop's data is reported whole (shop None), as `jinpai report` does
        scoped = len(shops) > 1 or options.shop is not None
        results = [
            run(_Months(bound, options, settings, shop if scoped else None, shop)) for shop in shops
        ]
    if len(results) == 1:
        return results[0]
    shops_as_of = [{"shop_id": r["shop_id"], "as_of": r["as_of"]} for r in results]
    merged = {**results[0], "shop_id": None, "shops": shops_as_of}
    merged["agents"] = [row for r in results for row in r["agents"]]
    for key in ("promotion_candidates", "bottom", "changes"):
        if key in merged:
            merged[key] = [{"shop_id": r["shop_id"], **row} for r in results for row in r[key]]
    if "totals" in merged:
        merged["totals"] = {k: sum(r["totals"][k] for r in results) for k in merged["totals"]}
    return merged


def _check_role(months: _Months, role: str | None) -> None:
    if role is not None and role not in months.config.roles():
        raise ReportInputError(
            f"no KPI plan for role {role!r} (plans: {', '.join(months.config.roles())})"
        )


def score_month(
    source: ReportSource, options: ManagementOptions, settings: Settings
) -> dict[str, Any]:
    """The KPI scorecards of a month (management.md, Contracts: jinpai score)."""
    from jinpai.management.results import score_result, scorecards

    def run(months: _Months) -> dict[str, Any]:
        _check_role(months, options.role)
        month = months.options.month
        figures = months.figures(month, months.metrics(month))
        return score_result(figures, scorecards(figures, months.config, options.role))

    return _management(source, options, settings, run)


def pay_month(
    source: ReportSource, options: ManagementOptions, settings: Settings
) -> dict[str, Any]:
    """The pay sheet of a month, every part with its inputs (jinpai pay)."""
    from jinpai.management.results import pay_result, scorecards

    def run(months: _Months) -> dict[str, Any]:
        month = months.options.month
        figures = months.figures(month, months.metrics(month))
        # the award compares the whole role, so every scorecard is built before any filter
        return pay_result(figures, scorecards(figures, months.config), months.config, options.role)

    return _management(source, options, settings, run)


def grade_month(
    source: ReportSource, options: ManagementOptions, settings: Settings
) -> dict[str, Any]:
    """Grades with last month's and the changes, promotion candidates and bottom flags."""
    from jinpai.management.grading import needs_more_history
    from jinpai.management.results import grade_result, role_scores, scorecards
    from jinpai.management.versions import shift_month

    def run(months: _Months) -> dict[str, Any]:
        month = months.options.month
        rules = months.config.grading_for(month)
        dims = rules.metrics
        figures = months.figures(month, months.metrics(month, *dims))
        previous_month = shift_month(month, -1)
        previous = None
        if months.has_data(previous_month):
            prev_dims = months.config.grading_for(previous_month).metrics
            previous = months.figures(previous_month, months.metrics(previous_month, *prev_dims))

        def kpis(m: str) -> Any:
            f = figures if m == month else previous if m == previous_month else None
            f = f or months.figures(m, months.metrics(m))
            return role_scores(scorecards(f, months.config))

        history = [kpis(month)]
        while months.has_data(shift_month(month, -len(history))) and (
            len(history) < rules.promotion_months or needs_more_history(history, rules)
        ):
            history.append(kpis(shift_month(month, -len(history))))
        return grade_result(figures, previous, months.config, history, options.role)

    return _management(source, options, settings, run)


def rank_month(
    source: ReportSource, options: ManagementOptions, settings: Settings, metric: str
) -> dict[str, Any]:
    """Dense ranks per role and month on a metric (direction-aware) or ``kpi_score``."""
    from jinpai.management.plans import KPI_SCORE, known_metric
    from jinpai.management.results import rank_result, scorecards

    if metric != KPI_SCORE and not known_metric(metric):
        raise ReportInputError(
            f"unknown metric {metric!r}: a catalogue id, a rating kind, "
            "sales_target_completion or kpi_score"
        )

    def run(months: _Months) -> dict[str, Any]:
        month = months.options.month
        if metric == KPI_SCORE:
            figures = months.figures(month, months.metrics(month))
            return rank_result(figures, metric, scorecards(figures, months.config), options.role)
        figures = months.figures(month, {metric})
        return rank_result(figures, metric, role=options.role)

    return _management(source, options, settings, run)
