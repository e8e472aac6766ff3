"""The command line ``jinpai`` (Typer + Rich): one module per command group, assembled here.

The root callback builds the installation's settings once (:func:`jinpai.cli.common.settings`
hands them to every command); command modules import the use cases lazily, so ``jinpai --help``
starts without loading the engine.
"""

from __future__ import annotations

import typer

from jinpai import __version__
from jinpai.cli import db, demo, imports, management, plans, reports, serve, terms, users
from jinpai.cli.common import console
from jinpai.settings import get_settings

app = typer.Typer(
    name="jinpai",
    help="jinpai 金牌: customer-service analytics and management for online shops.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main(ctx: typer.Context) -> None:
    """jinpai 金牌: customer-service analytics and management for online shops."""
    ctx.obj = get_settings()


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"jinpai {__version__}")


# the order of `jinpai --help`: reports, import, management, the web app, the store's versions
for group in (reports, imports, management):
    app.registered_commands += group.app.registered_commands
app.add_typer(demo.app, name="demo")
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="user")
app.registered_commands += serve.app.registered_commands
app.add_typer(plans.plan_app, name="plan")
app.add_typer(plans.adjust_app, name="adjust")
app.add_typer(terms.terms_app, name="terms")
app.add_typer(terms.pay_settings_app, name="pay-settings")
