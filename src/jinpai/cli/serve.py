"""``jinpai serve``: the web app and REST API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from jinpai.cli.common import console, settings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from jinpai.settings import WebSettings

app = typer.Typer()


def uvicorn_config(app: FastAPI, host: str, port: int, web: WebSettings) -> uvicorn.Config:
    """How uvicorn serves the app. X-Forwarded-For is believed only from the proxies the
    ``trusted_proxies`` setting names: uvicorn would otherwise believe it from 127.0.0.1, so
    anything on the machine could pick the address sign-ins are counted against."""
    import uvicorn

    proxies = ",".join(p.strip() for p in web.trusted_proxies.split(",") if p.strip())
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or "",
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port", min=1, max=65535)] = 8000,
) -> None:
    """The web app and REST API (OpenAPI at /docs) on the settings' warehouse and store.
    Behind a reverse proxy, name it in JINPAI_WEB_TRUSTED_PROXIES."""
    import uvicorn

    from jinpai.server.app import create_app
    from jinpai.settings import WebSettings

    web = WebSettings()
    config = uvicorn_config(create_app(settings(), web=web), host, port, web)
    console.print(f"jinpai on http://{host}:{port} (API docs: /docs)", highlight=False)
    uvicorn.Server(config).run()
