"""Validation of imported values against the canonical schemas: one place for every importer.

Importers stage each file as text columns in DuckDB; :func:`validation_sql` turns them into typed
canonical columns plus, per row, the list of problems found. Everything is one vectorised SQL
statement (a million rows take about a second), built only from schema identifiers and code
constants; user values (timezone, shop, time format) are bound as parameters.

Rules (spec/data.md, "Import rules"):

- text: surrounding blanks (also the ideographic space) are trimmed (:func:`clean_cells`, while
  staging), ``="..."`` (Excel-safe ids as Taobao writes them) is unwrapped, an empty value is
  missing;
- timestamps: ISO 8601 with ``T`` or a space, with or without fractions and offset;
  ``2024/3/15 8:46:47``; ``20240315084647``; epoch seconds or milliseconds. A value without an
  offset is shop-local in the import's timezone. Stored as naive UTC;
- booleans: true/false, 1/0, 是/否, yes/no, y/n, t/f, 对/错 (any case);
- decimals: ¥/￥/元 and thousands separators accepted, never negative; rates (scale > 2) may end
  in ``%``;
- integers: whole numbers >= 0 (``2.0`` is 2);
- choices: any accepted spelling of the schema's ``choices`` (case-insensitive);
- scores: 0-100; csat and dsr are given on 1-5 and stored x 20;
- row rules: paid before created, a shift ending at or before its start, a case resolved before
  it was opened, an agent who left before being hired.

A refund larger than the amount is accepted as is (shipping compensation and the like are real);
metrics take refund_amount >= amount as fully refunded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from jinpai.canonical.phones import mask_phones_sql
from jinpai.canonical.schema import (
    FIVE_POINT_RATINGS,
    Column,
    Kind,
    TableSchema,
)

if TYPE_CHECKING:
    import duckdb

TRUE_WORDS = ("true", "1", "是", "yes", "y", "t", "对", "真")
FALSE_WORDS = ("false", "0", "否", "no", "n", "f", "错", "假")

# free-text columns: phone numbers typed into them (canonical/phones.py) are masked before storing
FREE_TEXT_COLUMNS = frozenset({"content", "note", "title"})
PHONE_MASK = "[手机号]"

# extra stored columns besides the canonical ones
EXTRA_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (("status_raw", "VARCHAR"),),
}

_TRIM_CHARS = " \t\r\n\u3000\ufeff"


@dataclass(frozen=True)
class RowRule:
    """A rule over the parsed values of one row; ``failing`` is SQL true when the row is bad."""

    column: str
    failing: str
    reason: str


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "orders": (RowRule("paid_at", "paid_at < created_at", "paid before it was created"),),
    "shifts": (RowRule("ends_at", "ends_at <= starts_at", "the shift ends before it starts"),),
    "cases": (RowRule("resolved_at", "resolved_at < opened_at", "resolved before it was opened"),),
    "agents": (RowRule("left_on", "left_on < hired_on", "left before being hired"),),
}


def sql_type(column: Column) -> str:
    """The DuckDB type a canonical column is stored as."""
    match column.kind:
        case Kind.TIMESTAMP:
            return "TIMESTAMP"
        case Kind.DATE:
            return "DATE"
        case Kind.BOOL:
            return "BOOLEAN"
        case Kind.DECIMAL:
            return f"DECIMAL(18, {int(column.scale)})"
        case Kind.INTEGER:
            return "INTEGER"
        case Kind.SCORE:
            return "DOUBLE"
        case _:
            return "VARCHAR"


def _q(name: str) -> str:
    """Quote a schema identifier (``group`` is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    """A SQL string literal: for code constants, and for the paths of DuckDB statements that
    take no parameters (ATTACH, SET, COPY, read_parquet lists)."""
    return "'" + value.replace("'", "''") + "'"


def set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Cap DuckDB's memory on ``con`` at ``limit`` (like '1500MB' or '2GB'); beyond it, temp
    tables and large operators spill to the connection's temp_directory."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit):
        raise ValueError(f"memory_limit {limit!r} is not like '1200MB' or '2GB'")
    con.execute(f"SET memory_limit = {sql_string(limit)}")


def _lits(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(sql_string(v) for v in values)


def clean_cells(cells: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Trim blanks (also the ideographic space) and turn empty cells into NULL.

    Done in Arrow while staging: ten times faster than DuckDB's ``trim`` with a character set.
    """
    trimmed = pc.utf8_trim_whitespace(cells)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def clean_text_sql(expr: str) -> str:
    """Unwrap ``="..."`` (on cells already cleaned by :func:`clean_cells`)."""
    unwrapped = f"regexp_replace({expr}, '^=\"(.*)\"$', '\\1', 's')"
    return (
        f"CASE WHEN starts_with({expr}, '=\"') "
        f"THEN NULLIF(trim({unwrapped}, {sql_string(_TRIM_CHARS)}), '') ELSE {expr} END"
    )


def timestamp_sql(x: str, time_format: bool) -> str:
    """Parse the cleaned text ``x`` into a naive UTC TIMESTAMP (NULL when it is no time).

    ``$tz`` is the shop's timezone; ``$time_format`` (when ``time_format``) a strptime format
    tried first.
    """
    number = f"TRY_CAST({x} AS DOUBLE)"
    local = f"timezone('UTC', timezone($tz, TRY_CAST({x} AS TIMESTAMP)))"
    general = (
        f"CASE WHEN {x} IS NULL THEN NULL "
        # the common form first, without regular expressions
        f"WHEN {x} LIKE '____-__-__ __:__:__' OR {x} LIKE '____-__-__T__:__:__' THEN {local} "
        # epoch seconds (>= 2001-09-09) or milliseconds, UTC by definition
        f"WHEN regexp_full_match({x}, '[0-9]{{9,13}}(\\.[0-9]+)?') THEN "
        f"CASE WHEN {number} >= 1e12 THEN make_timestamp(CAST({number} * 1000 AS BIGINT)) "
        f"WHEN {number} >= 1e9 AND {number} < 1e11 "
        f"THEN make_timestamp(CAST({number} * 1000000 AS BIGINT)) END "
        f"WHEN regexp_full_match({x}, '(19|20)[0-9]{{12}}') "
        f"THEN timezone('UTC', timezone($tz, try_strptime({x}, '%Y%m%d%H%M%S'))) "
        f"WHEN regexp_matches({x}, '([Zz]|[+-][0-9]{{2}}:?[0-9]{{2}})$') "
        f"THEN timezone('UTC', TRY_CAST({x} AS TIMESTAMPTZ)) "
        f"ELSE {local} END"
    )
    if not time_format:
        return general
    # a format with %z gives TIMESTAMPTZ, one without a local TIMESTAMP: the CASE picks
    custom = (
        "CASE WHEN contains($time_format, '%z') OR contains($time_format, '%Z') "
        f"THEN timezone('UTC', try_strptime({x}, $time_format)::TIMESTAMPTZ) "
        f"ELSE timezone('UTC', timezone($tz, try_strptime({x}, $time_format)::TIMESTAMP)) END"
    )
    return f"COALESCE({custom}, {general})"


def date_sql(x: str) -> str:
    return (
        f"COALESCE(TRY_CAST({x} AS DATE), CAST(TRY_CAST({x} AS TIMESTAMP) AS DATE), "
        f"CAST(try_strptime({x}, '%Y%m%d') AS DATE))"
    )


def decimal_sql(x: str, column: Column) -> str:
    bare = f"regexp_replace({x}, '[¥￥元,，\\s]', '', 'g')"
    typ = sql_type(column)
    value = f"TRY_CAST({bare} AS {typ})"
    if column.scale > 2:  # a rate: "3.5%" is 0.035
        pct = f"TRY_CAST(TRY_CAST(rtrim({bare}, '%') AS DOUBLE) / 100 AS {typ})"
        return f"CASE WHEN ends_with({bare}, '%') THEN {pct} ELSE {value} END"
    return value


def integer_sql(x: str) -> str:
    num = f"TRY_CAST(regexp_replace({x}, '[,，\\s]', '', 'g') AS DECIMAL(38, 6))"
    return f"CASE WHEN {num} = floor({num}) THEN TRY_CAST({num} AS INTEGER) END"


def bool_sql(x: str) -> str:
    low = f"lower({x})"
    return (
        f"CASE WHEN {low} IN ({_lits(TRUE_WORDS)}) THEN true "
        f"WHEN {low} IN ({_lits(FALSE_WORDS)}) THEN false END"
    )


def choice_sql(x: str, column: Column) -> str:
    """Canonical value of a choice (NULL when unknown) from the schema's spellings."""
    whens = " ".join(
        f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in column.choices.items()
    )
    return f"CASE lower({x}) {whens} END"


def _default_sql(column: Column) -> str | None:
    d = column.default
    if d is None:
        return None
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, int | float):
        return str(d)
    return sql_string(str(d))


def _parse(column: Column, x: str, time_format: bool) -> str:
    match column.kind:
        case Kind.TIMESTAMP:
            return timestamp_sql(x, time_format)
        case Kind.DATE:
            return date_sql(x)
        case Kind.BOOL:
            return bool_sql(x)
        case Kind.DECIMAL:
            return decimal_sql(x, column)
        case Kind.INTEGER:
            return integer_sql(x)
        case Kind.SCORE:
            return f"TRY_CAST(regexp_replace({x}, '[\\s%]', '', 'g') AS DOUBLE)"
        case Kind.CHOICE:
            return choice_sql(x, column)
        case _:
            if column.name in FREE_TEXT_COLUMNS:
                return mask_phones_sql(x, PHONE_MASK)
            return x


_KIND_WORDS = {
    Kind.TIMESTAMP: "not a valid time",
    Kind.DATE: "not a valid date",
    Kind.BOOL: "not a yes/no value",
    Kind.DECIMAL: "not a number",
    Kind.INTEGER: "not a whole number",
    Kind.SCORE: "not a number",
}


def _error(column: Column) -> str:
    """SQL for the problem of one value (a STRUCT(column, reason)) or NULL."""
    n, raw = _q(column.name), _q(column.name + "__in")
    col = sql_string(column.name)
    whens = []
    if column.required:
        whens.append(f"WHEN {raw} IS NULL THEN {{'column': {col}, 'reason': 'missing value'}}")
    if column.kind == Kind.CHOICE:
        allowed = ", ".join(sorted(set(column.choices.values())))
        reason = f"'unknown value ''' || {raw} || ''' (accepted: {allowed})'"
        whens.append(
            f"WHEN {raw} IS NOT NULL AND {n} IS NULL THEN {{'column': {col}, 'reason': {reason}}}"
        )
    elif column.kind in _KIND_WORDS:
        reason = f"{sql_string(_KIND_WORDS[column.kind])} || ': ''' || {raw} || ''''"
        whens.append(
            f"WHEN {raw} IS NOT NULL AND {n} IS NULL THEN {{'column': {col}, 'reason': {reason}}}"
        )
    if column.kind in (Kind.DECIMAL, Kind.INTEGER):
        whens.append(
            f"WHEN {n} < 0 THEN {{'column': {col}, 'reason': 'negative value: ' || {raw}}}"
        )
    if not whens:
        return "NULL"
    return "CASE " + " ".join(whens) + " END"


def _score_rules(table: TableSchema) -> list[str]:
    if "score" not in table.column_names or "kind" not in table.column_names:
        return []
    five = _lits(sorted(FIVE_POINT_RATINGS))
    return [
        f"CASE WHEN score IS NULL THEN NULL "
        f"WHEN kind IN ({five}) AND NOT (score BETWEEN 1 AND 5) "
        f"THEN {{'column': 'score', 'reason': 'a ' || kind || ' score is on the 1-5 scale, got ' || score__in}} "
        f"WHEN kind NOT IN ({five}) AND NOT (score BETWEEN 0 AND 100) "
        f"THEN {{'column': 'score', 'reason': 'score out of 0-100: ' || score__in}} END"
    ]


def validation_sql(
    table: TableSchema,
    sources: Mapping[str, str],
    raw_table: str,
    *,
    time_format: bool = False,
) -> str:
    """One SELECT turning ``raw_table`` into typed canonical columns and the problems per row.

    ``sources`` maps canonical column names (and ``shop_id``) to text columns of ``raw_table``
    (names the importer made, such as ``r3``); a canonical column without a source is empty.
    Parameters: ``$tz``, ``$shop`` and, when ``time_format``, ``$time_format``.
    The result has ``_row``, ``shop_id``, the canonical columns (typed, defaults applied), the
    table's extra columns and ``_errors`` (a list of ``{column, reason}``; NULL when valid).
    """
    cleaned = ["_row"]
    shop_src = sources.get("shop_id")
    shop = clean_text_sql(_q(shop_src)) if shop_src else "NULL"
    cleaned.append(f"COALESCE({shop}, $shop) AS shop_id")
    for c in table.columns:
        src = sources.get(c.name)
        expr = clean_text_sql(_q(src)) if src else "CAST(NULL AS VARCHAR)"
        cleaned.append(f"{expr} AS {_q(c.name + '__in')}")

    parsed = ["_row", "shop_id"]
    for c in table.columns:
        raw = _q(c.name + "__in")
        value = _parse(c, raw, time_format)
        default = _default_sql(c)
        if default is not None:
            value = f"CASE WHEN {raw} IS NULL THEN {default} ELSE {value} END"
        parsed.append(f"CAST({value} AS {sql_type(c)}) AS {_q(c.name)}")
        parsed.append(raw)

    errors = [_error(c) for c in table.columns]
    errors += [
        f"CASE WHEN {r.failing} THEN {{'column': {sql_string(r.column)}, 'reason': {sql_string(r.reason)}}} END"
        for r in ROW_RULES.get(table.name, ())
    ]
    errors += _score_rules(table)

    final = ["_row", "shop_id"]
    for c in table.columns:
        if c.kind == Kind.SCORE:  # 1-5 scales are stored x 20
            five = _lits(sorted(FIVE_POINT_RATINGS))
            final.append(f"CASE WHEN kind IN ({five}) THEN score * 20 ELSE score END AS score")
        else:
            final.append(_q(c.name))
    if table.name == "orders":
        final.append("status__in AS status_raw")
    errors = [e for e in errors if e != "NULL"]
    if errors:  # the list is built only for bad rows
        final.append(
            f"CASE WHEN coalesce({', '.join(errors)}) IS NOT NULL "
            f"THEN list_filter([{', '.join(errors)}], lambda e: e IS NOT NULL) END AS _errors"
        )
    else:
        final.append('NULL::STRUCT("column" VARCHAR, reason VARCHAR)[] AS _errors')
    return (
        f"WITH c AS (SELECT {', '.join(cleaned)} FROM {_q(raw_table)}), "
        f"p AS (SELECT {', '.join(parsed)} FROM c) "
        f"SELECT {', '.join(final)} FROM p"
    )


def check_timezone(name: str) -> str:
    """The timezone name if zoneinfo knows it, else ValueError in plain words."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown timezone {name!r} (use a name such as Asia/Shanghai)") from e
    return name
