"""``jinpai serve`` and ``jinpai user add``: the web app's commands (wired into jinpai.cli)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Users of the web app and API (argon2 hashes in the store).")
console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(2)


def _warehouse_agent_name(shop: str, agent_id: str) -> str | None:
    """The agent's name from the warehouse's agents table, when there is one."""
    from jinpai.api.data import Warehouse
    from jinpai.settings import get_settings

    settings = get_settings()
    for agent in Warehouse(settings.warehouse_path, settings.timezone).roster(shop):
        if agent.agent_id == agent_id:
            return agent.name
    return None


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="the sign-in name")],
    role: Annotated[str, typer.Option("--role", help="owner, supervisor or agent")] = "supervisor",
    shop: Annotated[
        list[str] | None, typer.Option("--shop", help="a shop the user may see (repeatable)")
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="the agent id of an agent user (their figures)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Add a user. The password is prompted for (twice) or read from stdin; never an argument,
    so it stays out of shell history and process lists."""
    from jinpai.api.accounts import AccountError
    from jinpai.api.store_accounts import StoreAccounts
    from jinpai.settings import get_settings
    from jinpai.store import migrate

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    shops = list(shop or [])
    if role != "owner" and not shops:
        raise _fail("give the user's shop with --shop S")
    settings = get_settings()
    migrate.upgrade(settings.database)
    accounts = StoreAccounts(settings.database)
    name = _warehouse_agent_name(shops[0], agent) if agent and shops else None
    try:
        user = accounts.add_user(username, password, role, shops, agent, agent_name=name)
    except AccountError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"added {user.username} ({user.role}) for {', '.join(user.shops) or 'every shop'}"
        + (f", agent {user.agent_id}" if user.agent_id else ""),
        highlight=False,
    )


def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port", min=1, max=65535)] = 8000,
) -> None:
    """The web app and REST API (OpenAPI at /docs) on the settings' warehouse and store."""
    import uvicorn

    from jinpai.api.app import create_app

    console.print(f"jinpai on http://{host}:{port} (API docs: /docs)", highlight=False)
    uvicorn.run(create_app(), host=host, port=port, log_level="info", access_log=False)
