"""``jinpai serve``: the web app and REST API."""

from __future__ import annotations

from typing import Annotated

import typer

from jinpai.cli.common import console, settings

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port", min=1, max=65535)] = 8000,
) -> None:
    """The web app and REST API (OpenAPI at /docs) on the settings' warehouse and store."""
    import uvicorn

    from jinpai.server.app import create_app

    console.print(f"jinpai on http://{host}:{port} (API docs: /docs)", highlight=False)
    uvicorn.run(create_app(settings()), host=host, port=port, log_level="info", access_log=False)
