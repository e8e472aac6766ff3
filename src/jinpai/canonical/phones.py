"""Phone numbers inside free text: one pattern that Python's ``re`` and DuckDB's RE2 both run.

Masked forms (spec/data.md, personal data): Chinese mobiles bare or grouped 3-4-4 with spaces or
hyphens, with or without ``+86``/``0086``/``86``, also in full-width digits; landlines with an
area code set off by a hyphen, a space or brackets (``0571-88886666``, ``(0571)88886666``,
``021 6666 8888``). A number is a phone only as a whole: a digit right before or after it means
it is part of something longer (an order id of 16-19 digits, a compact timestamp), which stays.
Prices, dates and times never match: their digits are grouped otherwise. A ``+`` before a
phone is masked with it.

RE2 has no lookaround, so the boundaries are matched as groups 1 and 3 and written back. A
match consumes the boundary after it, so of two phones set apart by one character the second
is missed by a first pass, or matched without its ``+86 `` (the space after 86 serving as its
boundary); a second pass catches the missed ones (their boundary is then free) and a last one
masks a country code left before a mask. :func:`mask_phones` and :func:`mask_phones_sql` run
the same three steps.
"""

from __future__ import annotations

import re

_DIGIT = "[0-9０-９]"
_SEP = "[ \u3000\\-－]?"  # one optional space (also ideographic) or hyphen between groups
_COUNTRY = f"(?:00)?86{_SEP}"
_MOBILE = f"(?:{_COUNTRY})?[1１][3-9３-９]{_DIGIT}{_SEP}{_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}}"
_AREA = f"[0０]{_DIGIT}{{2,3}}"
_LANDLINE = f"(?:[(（]{_AREA}[)）]{_SEP}|{_AREA}[ \u3000\\-－]){_DIGIT}{{3,4}}{_SEP}{_DIGIT}{{4}}"
# before a phone: the start, a character that is no digit and no plus (a plus belongs to the
# phone, so it is masked with it), or a digit and a plus (an addition, not a phone's prefix)
_BEFORE = f"(^|[^0-9０-９+＋]|{_DIGIT}[+＋])"
PHONE_PATTERN = f"{_BEFORE}([+＋]*(?:{_MOBILE}|{_LANDLINE}))([^0-9０-９]|$)"


def _steps(mask: str) -> tuple[tuple[str, str], ...]:
    """(pattern, replacement with groups as ``\\N``) of each step, in order."""
    country_left = f"(^|[^0-9０-９])[+＋]*{_COUNTRY}{re.escape(mask)}"
    phone = (PHONE_PATTERN, f"\\1{mask}\\3")
    return phone, phone, (country_left, f"\\1{mask}")


def mask_phones(text: str, mask: str) -> str:
    """``text`` with every phone number replaced by ``mask``."""
    for pattern, replacement in _steps(mask):
        # \g<N>: a mask starting with a digit must not read as a group number
        text = re.sub(pattern, re.sub(r"\\(\d)", r"\\g<\1>", replacement), text)
    return text


def mask_phones_sql(expr: str, mask: str) -> str:
    """SQL masking the phone numbers of the text expression ``expr`` (DuckDB, RE2)."""
    masked = expr
    for pattern, replacement in _steps(mask):
        pattern, replacement = pattern.replace("'", "''"), replacement.replace("'", "''")
        masked = f"regexp_replace({masked}, '{pattern}', '{replacement}', 'g')"
    # every form has three digits in a row: most chat lines have none and skip the three passes
    return f"CASE WHEN regexp_matches({expr}, '{_DIGIT}{{3}}') THEN {masked} ELSE {expr} END"
