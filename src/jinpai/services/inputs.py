"""What a person types, read into the typed values the use cases take: a period, a day, an
instant, metric ids, a column mapping. The CLI and the API share these readers, so a bad value
gets the same words on both."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinpai.services.errors import ImportInputError, ReportInputError


def parse_period(start: str | None, end: str | None, month: str | None) -> tuple[date, date]:
    """``--from/--to`` (both, shop-local dates) or ``--month YYYY-MM``."""
    if month is not None:
        if start is not None or end is not None:
            raise ReportInputError("give --month or --from/--to, not both")
        return month_period(month)
    if start is None or end is None:
        raise ReportInputError("give the period: --from D1 --to D2 (or --month YYYY-MM)")
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise ReportInputError(f"the period ends ({last}) before it starts ({first})")
    return first, last


def month_period(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``."""
    try:
        year, number = (int(part) for part in month.split("-"))
        last = calendar.monthrange(year, number)[1]
        return date(year, number, 1), date(year, number, last)
    except ValueError:
        raise ReportInputError(f"bad month {month!r}: expected YYYY-MM") from None


def parse_date(text: str, option: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportInputError(f"bad {option} {text!r}: expected YYYY-MM-DD") from None


def parse_as_of(text: str | None) -> datetime | None:
    """An ISO timestamp; without an offset it is shop-local time."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportInputError(
            f"bad --as-of {text!r}: expected an ISO time such as 2024-03-31T23:59:59"
        ) from None


def parse_metrics(text: str | Sequence[str] | None) -> list[str] | None:
    """Catalogue ids from ``a,b,c`` (or a list); None = the whole catalogue."""
    from jinpai.metrics.catalogue import CATALOGUE

    if text is None:
        return None
    parts = text.split(",") if isinstance(text, str) else list(text)
    ids = [p.strip() for p in parts if p.strip()]
    unknown = [m for m in ids if m not in CATALOGUE]
    if unknown:
        raise ReportInputError(
            f"unknown metric {unknown[0]!r} (see docs/metrics.md for the catalogue ids)"
        )
    if not ids:
        raise ReportInputError("--metrics names no metric")
    return ids


def column_mapping(
    columns_map: str | dict[str, str] | None,
    map_file: Path | str | None = None,
    time_format: str | None = None,
) -> Any:
    """The column mapping of ``--map canonical=column,...`` and/or a YAML ``--map-file``
    (:class:`jinpai.ingest.adapters.mapped.Mapping`), or None when neither is given."""
    from jinpai.ingest.adapters.base import AdapterError
    from jinpai.ingest.adapters.mapped import Mapping, load_mapping_file, parse_map_option

    if columns_map is None and map_file is None:
        return None
    try:
        mapping = load_mapping_file(Path(map_file)) if map_file is not None else Mapping()
        if columns_map:
            extra = parse_map_option(columns_map) if isinstance(columns_map, str) else columns_map
            mapping.columns.update(extra)
    except (AdapterError, ValueError) as e:
        raise ImportInputError(str(e)) from None
    if time_format:
        mapping.time_format = time_format
    return mapping
