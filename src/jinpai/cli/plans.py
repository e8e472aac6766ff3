"""``jinpai plan set|show`` and ``jinpai adjust add``: a supervisor's versions in the store.

What is saved here is what ``jinpai score|pay|grade --db`` and the web app compute with; a plan
saved from a month leaves the months before it as they were.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

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
from jinpai.cli.common import store_url as resolve_store_url

plan_app = typer.Typer(
    help="KPI plan versions kept in the application store.", no_args_is_help=True
)
adjust_app = typer.Typer(
    help="Manual pay adjustments (always with a reason).", no_args_is_help=True
)


@plan_app.command("set")
def plan_set(
    file: Annotated[Path, typer.Argument(help="YAML: a plan (indicators, optional name)")],
    role: Annotated[str, typer.Option("--role", help="presale, aftersale, ...")],
    valid_from: Annotated[str, typer.Option("--from", help=f"first month in force, {MONTH_HELP}")],
    shop: ShopOfStoreOpt = None,
    db: WarehouseOfShopOpt = None,
    store_url: StoreUrlOpt = None,
    by: ByOpt = None,
) -> None:
    """Save a KPI plan for a role from a month on (that month's version is replaced)."""
    from jinpai.management.plans import KpiPlan
    from jinpai.store import versioned as repo
    from jinpai.store.db import session_scope

    month = month_of(valid_from)
    shop = shop or only_shop(db)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None
    if not isinstance(data, dict):
        raise fail(f"{file}: a plan is a mapping with indicators")
    try:
        plan = KpiPlan.model_validate({**data, "role": role, "valid_from": month})
    except ValidationError as exc:
        problems = "; ".join(e["msg"] for e in exc.errors())
        raise fail(f"bad plan in {file}: {problems}") from None
    with saving_store(store_url) as engine, session_scope(engine) as session:
        document = plan.model_dump(mode="json", exclude={"valid_from"})
        repo.save_plan(session, shop, role, month, document, by or getpass.getuser())
    console.print(f"saved the {role} plan of {shop} from {month}", highlight=False)


@plan_app.command("show")
def plan_show(
    role: Annotated[str | None, typer.Option("--role", help="one role (default: all)")] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="only the version in force in this month")
    ] = None,
    shop: ShopOfStoreOpt = None,
    db: WarehouseOfShopOpt = None,
    store_url: StoreUrlOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
) -> None:
    """The plan versions of the store (shipped defaults where the shop has none)."""
    from jinpai.services.errors import ReportInputError
    from jinpai.services.management import shop_setup

    if fmt not in ("yaml", "json"):
        raise fail(f"unknown --format {fmt!r}: choose yaml or json")
    from jinpai.management.versions import LAST_MONTH

    wanted = month_of(month) if month else LAST_MONTH
    shop = shop or only_shop(db)
    try:
        setup = shop_setup(resolve_store_url(store_url), shop, wanted)
    except ReportInputError as exc:
        raise fail(str(exc)) from None
    from jinpai.management.configuration import ManagementConfig

    config = setup.config if setup is not None else ManagementConfig()
    roles = [role] if role else config.roles()
    if month:
        plans = [p for r in roles if (p := config.plan_for(r, wanted)) is not None]
    else:
        plans = [p for p in config.plans if p.role in roles] or [
            p for r in roles if (p := config.plan_for(r, wanted)) is not None
        ]
    data = [p.model_dump(mode="json") for p in plans]
    if fmt == "json":
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), nl=False)


@adjust_app.command("add")
def adjust_add(
    agent: Annotated[str, typer.Option("--agent", help="the agent id")],
    month: Annotated[str, typer.Option("--month", help=f"the pay month, {MONTH_HELP}")],
    amount: Annotated[float, typer.Option("--amount", help="yuan; negative deducts")],
    reason: Annotated[str, typer.Option("--reason", help="why (required, shown on the pay sheet)")],
    shop: ShopOfStoreOpt = None,
    db: WarehouseOfShopOpt = None,
    store_url: StoreUrlOpt = None,
    by: ByOpt = None,
) -> None:
    """Add a manual pay adjustment for one agent and month."""
    from jinpai.store.adjustments import add_adjustment
    from jinpai.store.db import session_scope
    from jinpai.store.roster import get_agent, upsert_agent

    pay_month = month_of(month)
    shop = shop or only_shop(db)
    if not reason.strip():
        raise fail("a pay adjustment needs a reason (--reason)")
    if not abs(amount) < 1e9:  # also refuses nan/inf, which the money column cannot hold
        raise fail(f"--amount {amount} is not a sensible amount of yuan")
    try:
        with saving_store(store_url) as engine, session_scope(engine) as session:
            if get_agent(session, shop, agent) is None:
                known = _warehouse_agent(db, shop, agent)
                if known is None:
                    raise fail(f"no agent {agent!r} in shop {shop!r} (store or warehouse)")
                upsert_agent(session, shop, agent, **known)
            row = add_adjustment(
                session, shop, agent, pay_month, amount, reason, by or getpass.getuser()
            )
    except ValueError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"adjustment #{row.id}: {agent} {pay_month} {amount:+.2f} ({row.reason})", highlight=False
    )


def _warehouse_agent(db: Path | None, shop: str, agent_id: str) -> dict[str, Any] | None:
    """The agent's roster row in the warehouse ``agents`` table (name and dates), if any."""
    import duckdb

    from jinpai.warehouse.reads import agent_row

    path = warehouse_path(db)
    if not path.is_file():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        row = agent_row(con, shop, agent_id)
    if row is None:
        return None
    return {"name": row["name"], "hired_on": row["hired_on"], "left_on": row["left_on"]}
