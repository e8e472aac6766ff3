"""How a metric is declared. Each catalogue metric is one of these, defined once in its family.

- :class:`Aggregate`: an Ibis aggregate over the rows of a building block (see ``blocks``),
  filtered to the period by the block's attribution-day column and grouped by the grain.
- :class:`Ratio`: numerator / denominator of two other metrics; ``None`` when the denominator is 0.
- :class:`Formula`: a plain function of other metrics of the same row (and of the shop's row).
- :class:`Composite`: a figure with a query of its own (the customers' window figures, and the
  figures that are objects in JSON: hourly load, per-script rates).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from jinpai.metrics.context import MetricContext


def exact_mean(
    micros: ir.IntegerColumn, micros_per_unit: int, where: ir.BooleanValue | None = None
) -> ir.FloatingScalar:
    """The mean of a duration held in whole microseconds, in units of ``micros_per_unit``: the sum
    is exact and divided once, so the figure never depends on the order rows are read in (a sum
    of floats does, in its last digits, with the thread count or a memory cap)."""
    total = micros.sum(where=where).cast("float64")
    return total / (micros.count(where=where) * micros_per_unit).nullif(0)


def entries(table: ir.Table, keys: Sequence[str], entry: Sequence[str]) -> ir.Table:
    """One row per ``keys`` whose ``value`` is the list of its rows' ``entry`` columns (structs):
    the rows of an object figure, read back by the figure's ``shape`` (in no set order)."""
    import ibis  # here: declarations are read without loading Ibis (the CLI's start-up)

    value = ibis.struct({name: table[name] for name in entry}).collect()
    return table.group_by(list(keys)).aggregate(value=value)


class Unit(StrEnum):
    COUNT = "count"
    RATE = "rate"  # a fraction in [0, 1]
    SECONDS = "seconds"
    HOURS = "hours"
    DAYS = "days"
    YUAN = "yuan"
    INDEX = "index"  # a ratio of two like figures
    ITEMS = "items"
    POINTS = "points"  # a score (a KPI score out of 100 and its weighted points)
    OBJECT = "object"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEUTRAL = "neutral"


class Level(StrEnum):
    SHOP = "shop"
    AGENT = "agent"


@dataclass(frozen=True)
class Grain:
    """Who and when a figure is for: the shop or each agent, over the period or each day."""

    level: Level
    by_day: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        keys = ("shop_id", "agent_id") if self.level is Level.AGENT else ("shop_id",)
        return (*keys, "day") if self.by_day else keys


# A tag puts a metric on a list that a surface shows; each tag is read where it says, and
# ``catalogue.validate()`` flags any other. The lists follow the catalogue's order.
TAGS: dict[str, str] = {
    "daily_sheet": "a column of the daily sheet (dashboard, GET /daily) and of the agents' "
    "ranking page (api/sheets.py, web/pages.py)",
    "trend": "a 30-day line on the dashboard, and on the agent page where the metric is per "
    "agent (api/sheets.py)",
    "summary": "a headline figure of the demo's printout (demo/job.py)",
}


@dataclass(frozen=True, kw_only=True)
class Metric:
    id: str
    zh: str
    unit: Unit
    direction: Direction
    family: str
    description: str
    settings: tuple[str, ...] = ()
    shop_only: bool = False
    tags: tuple[str, ...] = ()  # keys of TAGS

    @property
    def inputs(self) -> tuple[str, ...]:
        """Other metrics this one is computed from."""
        return ()

    def available(self, level: Level) -> bool:
        return not (self.shop_only and level is Level.AGENT)


@dataclass(frozen=True, kw_only=True)
class Aggregate(Metric):
    """``value(rows)`` aggregated over the rows of block ``source`` whose ``day`` is in the period.

    ``empty`` is the figure of a grain row with no source rows (0 for counts and sums, ``None``
    for means).
    """

    source: str
    day: str = "day"
    value: Callable[[ir.Table], ir.Scalar]
    empty: float | None = 0


@dataclass(frozen=True, kw_only=True)
class Ratio(Metric):
    numerator: str
    denominator: str

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)


@dataclass(frozen=True, kw_only=True)
class Formula(Metric):
    """``compute(row, shop_row)`` from figures of the same grain row (``shop_row``: the shop's
    figures for the same period/day, for indices against the shop)."""

    uses: tuple[str, ...]
    compute: Callable[[Mapping[str, Any], Mapping[str, Any]], float | None]

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.uses


@dataclass(frozen=True, kw_only=True)
class Composite(Metric):
    """A figure computed by its own query: ``compute(ctx, grain)`` returns an Ibis table with one
    row per grain key (the grain's key columns, ``day`` as a day index) and a column ``value``.
    The engine runs it, as it runs aggregates, and ``shape(value)`` turns each value it reads
    back into the figure (the JSON object of an object figure; a number as it is).

    An object figure maps keys (matching the regular expression ``keys``) to entries whose
    ``parts`` are figures of the given units. ``rows(ctx, level)``: the rows behind the figure of
    the context's whole period, one table with ``shop_id`` (and ``agent_id`` per agent), for
    ``jinpai explain``. ``empty()`` is the figure of a grain row with nothing behind it (an
    object of zero counts; ``None`` where the figure is a mean or a rate)."""

    compute: Callable[[MetricContext, Grain], ir.Table]
    rows: Callable[[MetricContext, Level], ir.Table]
    empty: Callable[[], Any] = lambda: None
    shape: Callable[[Any], Any] = lambda value: value
    keys: str = ""
    parts: Mapping[str, Unit] = field(default_factory=dict)


def ratio(numerator: Any, denominator: Any) -> float | None:
    """A ratio whose denominator is 0 (or missing) is undefined (``None``), never 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)
