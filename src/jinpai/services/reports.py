"""Reports and explanations (``jinpai report`` / ``jinpai explain``, the dashboard's figures)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from jinpai.services.errors import ReportInputError
from jinpai.services.rules import resolve_rules, stored_rules
from jinpai.services.sources import BoundTables, ReportSource, open_tables
from jinpai.settings import Settings

if TYPE_CHECKING:
    from jinpai.engine.explain import Explanation
    from jinpai.engine.report import ReportRequest
    from jinpai.metrics.rules import RuleSettings


@dataclass(frozen=True)
class ReportOptions:
    """What a surface asks of a report, typed (the surface has read what the person typed)."""

    start: date
    end: date
    rules: RuleSettings | None = None  # None: the shop's stored rules, else the default profile
    as_of: datetime | None = None  # without an offset: shop-local time
    shop: str | None = None
    metrics: Sequence[str] | None = None  # catalogue ids; None: the whole catalogue
    by_agent_day: bool = False
    # the shop's stored profile and overrides when the caller already has them (the app caches
    # them); None: read from the store for a warehouse report of one shop
    stored_rules: Mapping[str, Any] | None = None


def report_request(
    options: ReportOptions, settings: Settings, stored: Mapping[str, Any] | None = None
) -> ReportRequest:
    from jinpai.engine.report import ReportRequest
    from jinpai.metrics.catalogue import CATALOGUE
    from jinpai.metrics.context import Period

    if options.end < options.start:
        raise ReportInputError(
            f"the period ends ({options.end}) before it starts ({options.start})"
        )
    unknown = [m for m in options.metrics or () if m not in CATALOGUE]
    if unknown:
        raise ReportInputError(
            f"unknown metric {unknown[0]!r} (see docs/metrics.md for the catalogue ids)"
        )
    return ReportRequest(
        period=Period(options.start, options.end),
        rules=resolve_rules(options.rules, stored, settings.profile),
        as_of=options.as_of,
        shop=options.shop,
        metrics=list(options.metrics) if options.metrics is not None else None,
        by_agent_day=options.by_agent_day,
        timezone=settings.timezone,
    )


def build_report(
    source: ReportSource, options: ReportOptions, settings: Settings
) -> dict[str, Any]:
    """The report of architecture.md's JSON contract, values exact (never rounded).

    From a warehouse, a shop's rule profile and windows kept in the store apply (as on the web
    dashboard) unless the options name the rules."""
    from jinpai.engine.report import build_report as engine_report

    request = report_request(options, settings, options.stored_rules)  # fail before loading
    with open_tables(source, settings) as bound:
        bound.check_shop(options.shop)
        request = _with_timezones(request, bound, options.shop)
        if source.data is None and options.rules is None and options.stored_rules is None:
            shops = [options.shop] if options.shop else bound.shop_ids()
            stored = _stored_rules(settings, shops[0]) if len(shops) == 1 else None
            if stored is not None:
                request = report_request(options, settings, stored)
                request = _with_timezones(request, bound, options.shop)
        return engine_report(bound.tables, request)


def _stored_rules(settings: Settings, shop: str) -> dict[str, Any] | None:
    from jinpai.store.setup import open_store

    engine = open_store(settings.database)
    if engine is None:
        return None
    try:
        return stored_rules(engine, shop)
    finally:
        engine.dispose()


def explain_metric(
    source: ReportSource,
    options: ReportOptions,
    settings: Settings,
    metric_id: str,
    agent_id: str | None = None,
    limit: int | None = None,
) -> Explanation:
    """The figure of one metric for the shop or an agent over the period, with its rows."""
    from jinpai.engine.explain import explain
    from jinpai.metrics.catalogue import CATALOGUE

    if metric_id not in CATALOGUE:
        raise ReportInputError(
            f"unknown metric {metric_id!r} (see docs/metrics.md for the catalogue ids)"
        )
    if agent_id is not None and CATALOGUE[metric_id].shop_only:
        raise ReportInputError(f"metric {metric_id!r} is shop only: leave out --agent")
    request = report_request(options, settings, options.stored_rules)
    with open_tables(source, settings) as bound:
        bound.check_shop(options.shop)
        request = _with_timezones(request, bound, options.shop)
        try:
            return explain(bound.tables, request, metric_id, agent_id=agent_id, limit=limit)
        except ValueError as exc:
            raise ReportInputError(str(exc)) from None


def _with_timezones(request: ReportRequest, bound: BoundTables, shop: str | None) -> ReportRequest:
    """The report's timezone (the shop's, or the one all the shops share) and each shop's own."""
    return dataclasses.replace(
        request, timezone=bound.timezone_of(shop), timezones=dict(bound.timezones)
    )
