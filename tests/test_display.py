"""One rounding per unit for the web, the terminal and Excel alike (jinpai.display)."""

from __future__ import annotations

import re

import pytest

from jinpai.display import UNITS, excel_format, format_number, format_value, unit_label
from jinpai.metrics.base import Unit
from jinpai.web.render import fmt

SAMPLES = (0, 2, 0.123456, 2.5, 426.6666, 1234.5, 98765.4321)


def test_every_unit_has_its_display() -> None:
    assert set(UNITS) == set(Unit)
    assert unit_label(Unit.SECONDS) == "秒" and unit_label(Unit.SECONDS, "en") == "s"


@pytest.mark.parametrize("unit", [*(u for u in Unit if u is not Unit.OBJECT), None])
@pytest.mark.parametrize("value", SAMPLES)
def test_excel_rounds_as_the_text_does(unit: Unit | None, value: float) -> None:
    text, number_format = format_number(value, unit), excel_format(unit, value)
    assert number_format is not None
    decimals = re.search(r"\.(\d+)", text)
    excel_decimals = re.search(r"\.(0+)", number_format)
    assert (len(decimals.group(1)) if decimals else 0) == (
        len(excel_decimals.group(1)) if excel_decimals else 0
    )
    assert text.endswith("%") == number_format.endswith("%")
    assert ("," in text) == (value >= 1000 and "," in number_format)


def test_one_rounding_per_unit() -> None:
    assert format_number(0.123456, Unit.RATE) == "12.35%"
    assert format_number(1426.666, Unit.SECONDS) == "1,426.7"
    assert format_number(12.25, Unit.HOURS) == "12.3"  # a half away from zero, as in Excel
    assert format_number(2, Unit.DAYS) == "2" and format_number(37.25, Unit.DAYS) == "37.3"
    assert format_number(0.00005, Unit.RATE) == "0.01%" and format_number(-0.0001) == "0.00"
    assert format_number(1234.5, Unit.YUAN) == "1,234.50"
    assert format_number(1.0, Unit.INDEX) == "1.00"
    assert format_number(2.5, Unit.ITEMS) == "2.50" and format_number(3.0, Unit.ITEMS) == "3"
    assert format_number(12345, Unit.COUNT) == "12,345"
    assert format_number(30.0) == "30" and format_number(0.123456) == "0.12"
    assert format_number({"1-09": {}}, Unit.OBJECT) == "{…}"
    assert format_number(float("nan"), Unit.RATE) == format_number(None, Unit.RATE) == "—"
    assert format_number("a1") == "a1"


def test_the_web_adds_the_unit_in_the_readers_language() -> None:
    assert format_value(1234.5, Unit.YUAN) == "¥1,234.50"
    assert format_value(426.6666, Unit.SECONDS) == "426.7秒"
    assert format_value(426.6666, Unit.SECONDS, lang="en") == "426.7 s"
    assert format_value(None, Unit.SECONDS) == "—"
    # the page reads the unit from the metric's declaration
    assert fmt(0.5, "reply_rate") == "50.00%"
    assert fmt(426.6666, "avg_response_s", lang="en") == "426.7 s"
    assert fmt(0.5, unit="rate") == "50.00%"  # a sheet column's unit
