"""``jinpai db upgrade | current``: bring the application database to the shipped schema."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from jinpai.cli.common import console, err_console, store_url
from jinpai.store import migrate
from jinpai.store.db import display_url

app = typer.Typer(help="The application database (users, roster, plans).", no_args_is_help=True)

_URL_HELP = "database URL (default: the settings' database, JINPAI_DATABASE_URL)"


@app.command()
def upgrade(
    url: Annotated[str | None, typer.Option("--url", help=_URL_HELP)] = None,
    revision: Annotated[str, typer.Option("--revision", help="target revision")] = "head",
) -> None:
    """Migrate the database to the newest schema (creating it if it is new)."""
    url = store_url(url)
    try:
        before = migrate.current(url)
        after = migrate.upgrade(url, revision)
    except SQLAlchemyError as error:
        err_console.print(
            f"[red]error:[/red] {display_url(url)}: {error.__class__.__name__}: {error}"
        )
        raise typer.Exit(1) from error
    if before == after:
        console.print(f"{display_url(url)}: already at {after}", highlight=False)
    else:
        console.print(f"{display_url(url)}: {before or 'empty'} -> {after}", highlight=False)


@app.command()
def current(url: Annotated[str | None, typer.Option("--url", help=_URL_HELP)] = None) -> None:
    """Print the database's revision and whether it is the newest one."""
    url = store_url(url)
    try:
        revision = migrate.current(url)
    except SQLAlchemyError as error:
        err_console.print(
            f"[red]error:[/red] {display_url(url)}: {error.__class__.__name__}: {error}"
        )
        raise typer.Exit(1) from error
    head = migrate.head()
    state = "head" if revision == head else f"behind head {head}: run `jinpai db upgrade`"
    console.print(f"{display_url(url)}: {revision or 'empty'} ({state})", highlight=False)
