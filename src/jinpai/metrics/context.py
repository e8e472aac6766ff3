"""What a metric is computed against: the canonical tables as of a moment, the rules, the period.

The engine binds the canonical tables as Ibis tables in which every timestamp column ``X`` comes as
three columns (the engine is the only code that knows how a backend converts time zones):

- ``X_us``  UTC epoch microseconds (durations and the order of events),
- ``X_lus`` shop-local wall time as epoch microseconds (time of day, day boundaries),
- ``X_day`` the shop-local day as whole days since 1970-01-01.

Rows also carry ``shop_id`` and ``seq``: the import order, unique within a table (the tie-break of
equal timestamps, and the least seq of a chat-day is its key).
Here the tables are cut at ``as_of``: nothing after it exists (metrics.md, Conventions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from jinpai.metrics.base import Level
from jinpai.metrics.rules import RuleSettings

EPOCH = date(1970, 1, 1)

TABLE_NAMES = ("messages", "orders", "agents", "reminders", "cases", "shifts", "ratings")


def day_index(day: date) -> int:
    return (day - EPOCH).days


def day_from_index(index: int) -> date:
    return EPOCH + timedelta(days=int(index))


@dataclass(frozen=True)
class Period:
    """Shop-local dates, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def first_day(self) -> int:
        return day_index(self.start)

    @property
    def last_day(self) -> int:
        return day_index(self.end)

    def contains(self, day_column: ir.IntegerValue) -> ir.BooleanValue:
        return day_column.between(self.first_day, self.last_day)


BlockBuilder = Callable[["MetricContext", Level], ir.Table]
BLOCKS: dict[str, BlockBuilder] = {}
VIEWS: set[str] = set()  # blocks recomputed on every use rather than stored


def block(name: str, stored: bool = True) -> Callable[[BlockBuilder], BlockBuilder]:
    """Register a building block: a derived table defined once and reused by many metrics.

    A block is stored (computed once per context) unless ``stored=False``: a cheap filter or
    projection of a stored block is not worth a copy."""

    def register(builder: BlockBuilder) -> BlockBuilder:
        if name in BLOCKS:
            raise ValueError(f"block {name!r} is defined twice")
        BLOCKS[name] = builder
        if not stored:
            VIEWS.add(name)
        return builder

    return register


@dataclass
class MetricContext:
    tables: dict[str, ir.Table]  # as bound by the engine (see module docstring)
    rules: RuleSettings
    period: Period
    as_of_us: int  # UTC epoch microseconds
    as_of_day: int  # the day of as_of in the report's timezone
    cache_blocks: bool = True
    # the day of as_of in each shop's own timezone, where the shops' zones differ
    shop_as_of_days: Mapping[str, int] = field(default_factory=dict)
    _blocks: dict[tuple[str, Level], ir.Table] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.tables = _cut_at(self.tables, self.as_of_us)

    def block(self, name: str, level: Level = Level.AGENT) -> ir.Table:
        key = (name, level)
        if key not in self._blocks:
            table = BLOCKS[name](self, level)
            # a level-free block returns the other level's (already cached) table: keep it as is
            built = any(table is t for t in self._blocks.values())
            store = self.cache_blocks and not built and name not in VIEWS
            self._blocks[key] = table.cache() if store else table
        return self._blocks[key]

    def as_of_day_of(self, shop_id: ir.StringValue) -> ir.IntegerValue | int:
        """The shop-local day of as_of for each row's shop: a shop in another timezone than the
        report's may already (or still) be on another day."""
        other = {s: d for s, d in self.shop_as_of_days.items() if d != self.as_of_day}
        if not other:
            return self.as_of_day
        return ibis.cases(*((shop_id == s, d) for s, d in other.items()), else_=self.as_of_day)

    @property
    def messages(self) -> ir.Table:
        return self.tables["messages"]

    @property
    def orders(self) -> ir.Table:
        return self.tables["orders"]


def _null_after(us: ir.IntegerValue, as_of_us: int) -> ir.IntegerValue:
    return ibis.ifelse(us <= as_of_us, us, ibis.null("int64"))


def _cut_at(tables: dict[str, ir.Table], as_of_us: int) -> dict[str, ir.Table]:
    """Nothing after as_of exists: later messages, reminders, orders and cases are gone, and a
    later payment or resolution is not yet made. Excluded orders (补单) never exist."""
    out = dict(tables)
    m = tables["messages"]
    out["messages"] = m.filter(m.sent_us <= as_of_us)
    o = tables["orders"]
    o = o.filter(~o.exclude, o.created_us <= as_of_us)
    paid = o.paid_us <= as_of_us
    out["orders"] = o.mutate(
        paid_us=_null_after(o.paid_us, as_of_us),
        paid_lus=ibis.ifelse(paid, o.paid_lus, ibis.null("int64")),
        paid_day=ibis.ifelse(paid, o.paid_day, ibis.null("int64")),
    )
    if "reminders" in tables:
        r = tables["reminders"]
        out["reminders"] = r.filter(r.sent_us <= as_of_us)
    if "cases" in tables:
        c = tables["cases"]
        c = c.filter(c.opened_us <= as_of_us)
        resolved = c.resolved_us <= as_of_us
        out["cases"] = c.mutate(
            resolved_us=_null_after(c.resolved_us, as_of_us),
            resolved_lus=ibis.ifelse(resolved, c.resolved_lus, ibis.null("int64")),
            resolved_day=ibis.ifelse(resolved, c.resolved_day, ibis.null("int64")),
        )
    return out
