"""``jinpai terms set|show`` and ``jinpai pay-settings set|show``: an agent's pay terms and the
shop's pay settings in the store, from a month on.

They save through :mod:`jinpai.services.shop_settings`, the same code as the settings page and the
JSON API, so every surface refuses the same values with the same message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import BaseModel, ValidationError

from jinpai.cli.common import (
    MONTH_HELP,
    ByOpt,
    ShopOfStoreOpt,
    StoreUrlOpt,
    WarehouseOfShopOpt,
    console,
    fail,
    month_of,
    only_shop,
    saving_store,
    warehouse_path,
)

terms_app = typer.Typer(
    help="An agent's pay terms (salary, rates, target, allowances, mentees) from a month on.",
    no_args_is_help=True,
)
pay_settings_app = typer.Typer(
    help="The shop's pay settings (mode, award, reminder rate, coaching allowance, bonus pool).",
    no_args_is_help=True,
)
_Format = Annotated[str, typer.Option("--format", help="table or json")]
SHORT = {  # column headers that fit a terminal
    "agent_id": "agent",
    "valid_from": "from",
    "base_salary": "base",
    "commission_rate": "commission",
    "sales_target": "target",
    "reminder_commission_rate": "reminder",
    "mentor_of": "coaches",
}


def _roster(db: Path | None, shop: str) -> list[Any]:
    """The warehouse roster of the shop (what the settings page offers)."""
    import duckdb

    from jinpai.warehouse.reads import read_roster

    path = warehouse_path(db)
    if not path.is_file():
        return []
    with duckdb.connect(str(path), read_only=True) as con:
        return read_roster(con, shop)


def _save(build: Any, save: Any, store_url: str | None) -> Any:
    """Validate with the API's model and save; a refused value is one line and exit 2."""
    from jinpai.services.shop_settings import SettingsError

    try:
        change = build()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
        )
        raise fail(problems) from None
    try:
        with saving_store(store_url) as engine:
            return save(engine, change)
    except SettingsError as exc:
        raise fail(str(exc)) from None


def _show(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=title)
    columns = list(rows[0]) if rows else []
    for c in columns:
        table.add_column(SHORT.get(c, c), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row[c]) for c in columns))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise fail(f"unknown --format {fmt!r}: choose table or json")


def _allowances(items: list[str] | None, none: bool) -> dict[str, str] | None:
    from jinpai.services.shop_settings import SettingsError, parse_allowances

    if none:
        return {}
    try:
        return parse_allowances(items) if items else None
    except SettingsError as exc:
        raise fail(str(exc)) from None


@terms_app.command("set")
def terms_set(
    agent: Annotated[str, typer.Argument(help="the agent id")],
    valid_from: Annotated[str, typer.Option("--from", help=f"first month in force, {MONTH_HELP}")],
    base_salary: Annotated[float | None, typer.Option("--base-salary", help="yuan a month")] = None,
    commission_rate: Annotated[
        float | None, typer.Option("--commission-rate", help="share of sales, e.g. 0.01")
    ] = None,
    sales_target: Annotated[
        float | None, typer.Option("--sales-target", help="yuan a month")
    ] = None,
    reminder_rate: Annotated[
        float | None,
        typer.Option("--reminder-rate", help="the agent's own reminder commission rate"),
    ] = None,
    allowance: Annotated[
        list[str] | None,
        typer.Option("--allowance", help="NAME=AMOUNT, a standing monthly allowance (repeat)"),
    ] = None,
    no_allowances: Annotated[
        bool, typer.Option("--no-allowances", help="no standing allowance from this month")
    ] = False,
    mentor_of: Annotated[
        list[str] | None,
        typer.Option("--mentor-of", help="a new agent this one coaches (repeat)"),
    ] = None,
    no_mentees: Annotated[
        bool, typer.Option("--no-mentees", help="coaches nobody from this month")
    ] = False,
    shop: ShopOfStoreOpt = None,
    db: WarehouseOfShopOpt = None,
    store_url: StoreUrlOpt = None,
) -> None:
    """Save an agent's pay terms from a month on; what is not given is carried over."""
    from jinpai.services import shop_settings as ss

    month = month_of(valid_from)
    shop = shop or only_shop(db)
    roster = _roster(db, shop)
    data: dict[str, Any] = {
        "valid_from": month,
        "agent_id": agent,
        "base_salary": base_salary,
        "commission_rate": commission_rate,
        "sales_target": sales_target,
        "reminder_commission_rate": reminder_rate,
        "allowances": _allowances(allowance, no_allowances),
        "mentor_of": [] if no_mentees else (mentor_of or None),
    }
    saved = _save(
        lambda: ss.AgentTermsIn.model_validate(data),
        lambda engine, change: ss.save_terms(engine, shop, change, roster),
        store_url,
    )
    console.print(f"saved the terms of {agent} in {shop} from {month}", highlight=False)
    _show([saved.model_dump()], "table", f"{agent} from {month}")


@terms_app.command("show")
def terms_show(
    month: Annotated[str, typer.Option("--month", help=f"the month in force, {MONTH_HELP}")],
    shop: ShopOfStoreOpt = None,
    db: WarehouseOfShopOpt = None,
    store_url: StoreUrlOpt = None,
    fmt: _Format = "table",
) -> None:
    """Every agent's pay terms in force in a month (blank: the warehouse roster's values)."""
    from jinpai.services import shop_settings as ss

    _check_format(fmt)
    month = month_of(month)
    shop = shop or only_shop(db)
    with saving_store(store_url) as engine:
        rows = [t.model_dump() for t in ss.terms_of_month(engine, shop, month, _roster(db, shop))]
    _show(rows, fmt, f"pay terms of {shop} in {month}")


@pay_settings_app.command("set")
def pay_settings_set(
    valid_from: Annotated[str, typer.Option("--from", help=f"first month in force, {MONTH_HELP}")],
    mode: Annotated[str | None, typer.Option("--mode", help="kpi or bonus_pool")] = None,
    award: Annotated[float | None, typer.Option("--award", help="the monthly award, yuan")] = None,
    reminder_rate: Annotated[
        float | None, typer.Option("--reminder-rate", help="reminder commission rate")
    ] = None,
    half_rate: Annotated[
        bool,
        typer.Option("--reminder-rate-half", help="reminder rate: half each agent's commission"),
    ] = False,
    settle_days: Annotated[
        int | None, typer.Option("--settle-days", help="days after the month for late payments")
    ] = None,
    coaching: Annotated[
        float | None,
        typer.Option("--coaching-allowance", help="yuan a month per new agent coached"),
    ] = None,
    bonus_pool: Annotated[
        Path | None,
        typer.Option(
            "--bonus-pool", help="YAML: deductions (metric, when, target, share), max_deduction"
        ),
    ] = None,
    shop: ShopOfStoreOpt = None,
    db: WarehouseOfShopOpt = None,
    store_url: StoreUrlOpt = None,
    by: ByOpt = None,
) -> None:
    """Save the shop's pay settings from a month on; what is not given is carried over."""
    import getpass

    from jinpai.services import shop_settings as ss

    month = month_of(valid_from)
    shop = shop or only_shop(db)
    data: dict[str, Any] = {"valid_from": month}
    given = {"mode": mode, "monthly_award": award, "settle_days": settle_days,
             "coaching_allowance": coaching, "reminder_commission_rate": reminder_rate}  # fmt: skip
    data.update({k: v for k, v in given.items() if v is not None})
    if half_rate:
        data["reminder_commission_rate"] = None
    if bonus_pool is not None:
        try:
            data["bonus_pool"] = yaml.safe_load(bonus_pool.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise fail(f"cannot read {bonus_pool}: {exc}") from None
    saved = _save(
        lambda: ss.PaySettingsIn.model_validate(data),
        lambda engine, change: ss.save_pay(engine, shop, change, by or getpass.getuser()),
        store_url,
    )
    console.print(f"saved the pay settings of {shop} from {month}", highlight=False)
    typer.echo(_settings_json(saved))


@pay_settings_app.command("show")
def pay_settings_show(
    month: Annotated[str, typer.Option("--month", help=f"the month in force, {MONTH_HELP}")],
    shop: ShopOfStoreOpt = None,
    db: WarehouseOfShopOpt = None,
    store_url: StoreUrlOpt = None,
) -> None:
    """The pay settings in force in a month (JSON), the shipped defaults filled in."""
    from jinpai.services import shop_settings as ss

    month = month_of(month)
    shop = shop or only_shop(db)
    with saving_store(store_url) as engine:
        typer.echo(_settings_json(ss.pay_in_force(engine, shop, month)))


def _settings_json(settings: dict[str, Any]) -> str:
    plain = {k: v.model_dump() if isinstance(v, BaseModel) else v for k, v in settings.items()}
    return json.dumps(plain, ensure_ascii=False, indent=2)
