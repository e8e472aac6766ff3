"""The command line: ``jinpai import | quarantine | report | explain | demo ...`` (Typer + Rich)."""

from __future__ import annotations

import typer
from rich.console import Console

from jinpai import __version__

app = typer.Typer(
    name="jinpai",
    help="jinpai 金牌: customer-service analytics and management for online shops.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def main() -> None:
    """jinpai 金牌: customer-service analytics and management for online shops."""


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"jinpai {__version__}")


if __name__ == "__main__":  # pragma: no cover
    app()
