"""The one resolver of a shop's rule settings (metrics.md, Settings).

What wins, first to last: a typed value the caller passes (a ``--profile`` and/or ``--settings``
file read by :func:`chosen_rules`), the shop's stored profile and overrides (the settings page),
the installation's default profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from jinpai.services.errors import ReportInputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from jinpai.metrics.rules import RuleSettings


def chosen_rules(profile: str | None, settings_file: Path | None) -> RuleSettings | None:
    """The rules a person chose: a profile, a YAML settings file (its profile and overrides; the
    profile argument wins), both, or None when neither is given."""
    from jinpai.metrics.rules import load_rule_settings

    if profile is None and settings_file is None:
        return None
    if settings_file is not None and not Path(settings_file).is_file():
        raise ReportInputError(f"no settings file at {settings_file}")
    return _checked(lambda: load_rule_settings(settings_file, profile))


def resolve_rules(
    chosen: RuleSettings | None, stored: Mapping[str, Any] | None, default_profile: str
) -> RuleSettings:
    """The rules in force: ``chosen`` > the shop's ``stored`` profile and overrides > the
    default profile."""
    from jinpai.metrics.rules import rule_settings

    if chosen is not None:
        return chosen
    data = dict(stored or {})
    profile = data.pop("profile", None) or default_profile
    return _checked(lambda: rule_settings(profile, **data))


def stored_rules(store: Engine, shop: str) -> dict[str, Any] | None:
    """A shop's stored rule profile and overrides (None: the store does not know the shop)."""
    from jinpai.store.db import session_scope
    from jinpai.store.shops import stored_rules as read

    with session_scope(store) as session:
        return read(session, shop)


def _checked(build: Any) -> RuleSettings:
    try:
        return build()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ReportInputError(f"bad settings: {problems}") from None
    except (ValueError, OSError) as exc:
        raise ReportInputError(str(exc).splitlines()[0]) from None
