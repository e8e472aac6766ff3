"""How a figure of each unit is shown: one rounding per unit for every surface that rounds (the
web pages, Rich tables in the terminal, Excel cells). JSON and CSV keep exact values and never
come here (architecture.md, Contracts); an Excel cell holds the exact figure under the number
format that rounds it as the text does.

- rate: a percent with 2 decimals, ``12.35%`` (Excel ``0.00%``), as 赤兔 and the platforms'
  dashboards show conversion, so a supervisor compares like with like
- seconds, hours: 1 decimal, ``1,426.7`` (``#,##0.0``)
- days: 1 decimal, a whole number without, ``3.5``, ``2`` (``#,##0.0``, ``#,##0``)
- yuan, index: 2 decimals, ``1,234.50`` (``#,##0.00``)
- items: 2 decimals, a whole number without (``#,##0.00``, ``#,##0``)
- count: whole, ``1,234`` (``#,##0``)
- points (a KPI score): 1 decimal, ``98.5`` (``#,##0.0``)
- no unit (a weight, a rating, a day count of the pay sheet): as items
- object: ``{…}`` (an Excel cell holds its JSON text)

Thousands are grouped with commas (not in a percent); a half rounds away from zero, as Excel
does (12.25 s shows 12.3); a missing value (``None``, NaN) is ``—``.
:func:`format_number` is the figure alone, for tables whose header names the unit (terminal,
sheets); :func:`format_value` adds the unit's sign in the reader's language (``¥1,234.50``,
``426.7 s`` / ``426.7秒``), for the web pages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinpai.metrics.base import Unit

MISSING = "—"


@dataclass(frozen=True)
class UnitDisplay:
    zh: str  # the unit's name in a Chinese header (单位)
    en: str
    decimals: int
    percent: bool = False  # a fraction shown x100 with %
    whole_plain: bool = False  # a whole number drops its decimals (2 days, not 2.0)
    prefix: str = ""  # the sign before the number on the web (both languages)
    suffix_zh: str = ""  # the sign after it, in Chinese and in English
    suffix_en: str = ""


UNITS: dict[Unit, UnitDisplay] = {
    Unit.RATE: UnitDisplay("%", "%", 2, percent=True),
    Unit.SECONDS: UnitDisplay("秒", "s", 1, suffix_zh="秒", suffix_en=" s"),
    Unit.HOURS: UnitDisplay("小时", "h", 1, suffix_zh="小时", suffix_en=" h"),
    Unit.DAYS: UnitDisplay("天", "days", 1, whole_plain=True, suffix_zh="天", suffix_en=" d"),
    Unit.YUAN: UnitDisplay("元", "yuan", 2, prefix="¥"),
    Unit.INDEX: UnitDisplay("指数", "index", 2),
    Unit.ITEMS: UnitDisplay("件", "items", 2, whole_plain=True, suffix_zh="件"),
    Unit.COUNT: UnitDisplay("个", "count", 0),
    Unit.POINTS: UnitDisplay("分", "points", 1, suffix_zh="分", suffix_en=" pts"),
    Unit.OBJECT: UnitDisplay("对象", "object", 0),
}
PLAIN = UnitDisplay("", "", 2, whole_plain=True)  # a number without a unit
if set(UNITS) != set(Unit):  # a new unit needs its display before anything shows it
    raise RuntimeError(f"no display for units {sorted(set(Unit) - set(UNITS))}")


def _of(unit: Unit | str | None) -> UnitDisplay:
    return UNITS[Unit(unit)] if unit else PLAIN


def unit_label(unit: Unit | str | None, lang: str = "zh") -> str:
    """The unit's name for a header or a unit column (单位)."""
    shown = _of(unit)
    return shown.zh if lang == "zh" else shown.en


def _number(value: Any) -> float | None:
    """The value as a number to round, or None when it is not one (text, bool, an object)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _decimals(shown: UnitDisplay, number: float) -> int:
    return 0 if shown.whole_plain and number.is_integer() else shown.decimals


def format_number(value: Any, unit: Unit | str | None = None) -> str:
    """The figure rounded for display, without its unit (a rate keeps its %)."""
    if _missing(value):
        return MISSING
    if isinstance(value, Mapping):
        return "{…}"
    if isinstance(value, list | tuple):
        return "[…]"
    number = _number(value)
    if number is None:
        return str(value)
    shown = _of(unit)
    decimals = _decimals(shown, number)
    exact = Decimal(repr(number)) * (100 if shown.percent else 1)  # the float as a cell reads
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    rounded = rounded.copy_abs() if rounded.is_zero() else rounded  # no "-0.0"
    if shown.percent:  # a share is at most 100%: no thousands, as in Excel's 0.00%
        return f"{rounded:.{decimals}f}%"
    return f"{rounded:,.{decimals}f}"


def format_value(value: Any, unit: Unit | str | None = None, *, lang: str = "zh") -> str:
    """The figure rounded as :func:`format_number`, with its unit's sign in ``lang``."""
    text = format_number(value, unit)
    if _missing(value) or _number(value) is None:
        return text
    shown = _of(unit)
    suffix = shown.suffix_zh if lang == "zh" else shown.suffix_en
    return f"{shown.prefix}{text}{suffix}"


def excel_format(unit: Unit | str | None, value: Any = None) -> str | None:
    """The Excel number format that shows ``value`` (of ``unit``) as :func:`format_number` does;
    None where the cell holds text (an object figure)."""
    shown = _of(unit)
    if unit and Unit(unit) is Unit.OBJECT:
        return None
    number = _number(value)
    decimals = _decimals(shown, number) if number is not None else shown.decimals
    digits = "." + "0" * decimals if decimals else ""
    return f"0{digits}%" if shown.percent else f"#,##0{digits}"
