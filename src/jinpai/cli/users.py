"""``jinpai serve`` and ``jinpai user ...`` (add, passwd, disable, enable, list, tokens,
revoke-token): the web app's commands (wired into jinpai.cli)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from jinpai.cli.common import console, fail, settings

if TYPE_CHECKING:
    from jinpai.services.accounts import Principal

app = typer.Typer(help="Users of the web app and API (argon2 hashes in the store).")


def _warehouse_agent_name(shop: str, agent_id: str) -> str | None:
    """The agent's name from the warehouse's agents table, when there is one."""
    from jinpai.services.warehouse_reads import Warehouse

    for agent in Warehouse(settings()).roster(shop):
        if agent.agent_id == agent_id:
            return agent.name
    return None


def _store_accounts():  # type: ignore[no-untyped-def]
    from jinpai.services.store_accounts import StoreAccounts
    from jinpai.store import migrate

    database = settings().database
    migrate.upgrade(database)
    return StoreAccounts(database)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


def _shops_text(user: Principal) -> str:
    return "every shop" if user.every_shop else ", ".join(user.shops) or "no shop"


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


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
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user. The password is prompted for (twice) or read from stdin; never an argument,
    so it stays out of shell history and process lists."""
    from jinpai.services.accounts import AccountError

    password = _read_password(password_stdin)
    shops = list(shop or [])
    if role != "owner" and not shops:
        raise fail("give the user's shop with --shop S")
    accounts = _store_accounts()
    name = _warehouse_agent_name(shops[0], agent) if agent and shops else None
    try:
        user = accounts.add_user(username, password, role, shops, agent, agent_name=name)
    except AccountError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"added {user.username} ({user.role}) for {_shops_text(user)}"
        + (f", agent {user.agent_id}" if user.agent_id else ""),
        highlight=False,
    )


@app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="the sign-in name")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password (prompted for twice, or read from stdin). The user's sessions
    signed in with the old password and their API tokens end."""
    from jinpai.services.accounts import AccountError

    password = _read_password(password_stdin)
    try:
        _store_accounts().set_password(username, password)
    except AccountError as exc:
        raise fail(str(exc)) from None
    console.print(f"new password set for {username}", highlight=False)


def _set_active(username: str, active: bool) -> None:
    from jinpai.services.accounts import AccountError

    try:
        _store_accounts().set_active(username, active)
    except AccountError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"{username} {'may sign in again' if active else 'cannot sign in'}", highlight=False
    )


@app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="the sign-in name")]) -> None:
    """Stop a user's sign-in (an agent who left): their sessions and API tokens end at once
    (enabling them again gives no token back); their figures and history stay."""
    _set_active(username, False)


@app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="the sign-in name")]) -> None:
    """Let a disabled user sign in again."""
    _set_active(username, True)


@app.command("list")
def list_users(
    shop: Annotated[str | None, typer.Option("--shop", help="only users of this shop")] = None,
) -> None:
    """The users: role, shops, agent id and whether they may sign in."""
    from rich.table import Table

    accounts = _store_accounts()
    users = accounts.users([shop] if shop else None)
    table = Table("username", "role", "shops", "agent", "status")
    for u in sorted(users, key=lambda u: u.username):
        table.add_row(
            u.username,
            u.role,
            _shops_text(u),
            u.agent_id or "",
            "active" if u.active else "disabled",
        )
    console.print(table)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


@app.command("tokens")
def tokens(username: Annotated[str, typer.Argument(help="the sign-in name")]) -> None:
    """A user's API tokens that still work: id, name, created, last used, expires (never the
    token itself, which is not kept)."""
    from rich.table import Table

    from jinpai.services.accounts import AccountError

    try:
        found = _store_accounts().tokens(username)
    except AccountError as exc:
        raise fail(str(exc)) from None
    table = Table("id", "name", "created", "last used", "expires")
    for t in found:
        table.add_row(
            str(t.id), t.name, _when(t.created_at), _when(t.last_used_at), _when(t.expires_at)
        )
    console.print(table)


@app.command("revoke-token")
def revoke_token(
    username: Annotated[str, typer.Argument(help="the sign-in name")],
    token_id: Annotated[int, typer.Argument(help="the token's id (jinpai user tokens NAME)")],
) -> None:
    """Revoke one of a user's API tokens: it stops working at once."""
    from jinpai.services.accounts import AccountError

    try:
        revoked = _store_accounts().revoke_token(username, token_id)
    except AccountError as exc:
        raise fail(str(exc)) from None
    if not revoked:
        raise fail(f"{username} has no token {token_id} in use")
    console.print(f"token {token_id} of {username} revoked", highlight=False)
