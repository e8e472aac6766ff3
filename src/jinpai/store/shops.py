"""Shops: one installation serves many; per-shop settings (timezone, profile) live here."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from jinpai.store.models import Shop


def get_shop(session: Session, shop_id: str) -> Shop | None:
    return session.get(Shop, shop_id)


def ensure_shop(
    session: Session,
    shop_id: str,
    *,
    name: str | None = None,
    timezone: str | None = None,
    profile: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Shop:
    """The shop ``shop_id``, created with the defaults (Asia/Shanghai, taobao) if it is new.

    Given values overwrite stored ones; omitted values are left as they are.
    """
    shop = session.get(Shop, shop_id)
    if shop is None:
        shop = Shop(shop_id=shop_id, name=name or shop_id, settings=dict(settings or {}))
        session.add(shop)
    elif name is not None:
        shop.name = name
    if settings is not None:
        shop.settings = dict(settings)
    if timezone is not None:
        _check_timezone(timezone)
        shop.timezone = timezone
    if profile is not None:
        shop.profile = profile
    session.flush()
    return shop


def stored_rules(session: Session, shop_id: str) -> dict[str, Any] | None:
    """The shop's rule profile and setting overrides as report overrides; None: no such shop."""
    row = get_shop(session, shop_id)
    if row is None:
        return None
    return {**(row.settings or {}), "profile": row.profile}


def list_shops(session: Session) -> list[Shop]:
    return list(session.scalars(select(Shop).order_by(Shop.shop_id)))


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone: {name!r}") from error
