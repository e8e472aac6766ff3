"""``jinpai import`` and ``jinpai quarantine``: files into the warehouse, and the rows it could not read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jinpai.cli.common import (
    console,
    err_console,
    fail,
    settings,
    warehouse_path,
)

app = typer.Typer()
# a server holds the warehouse only while it answers a request: minutes cover a busy moment
DEFAULT_WAIT_S = 300.0
BUSY_EXIT_CODE = 3
WAITING = (
    "仓库正被占用（jinpai serve？），等待中… / the warehouse is in use (jinpai serve?): waiting…"
)


class _RichImportProgress:
    """A Rich progress bar per file, in bytes (only on a terminal, never in json mode)."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        )
        self._task: int | None = None

    def start(self, label: str, total: int):  # type: ignore[no-untyped-def]
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)
        task = self._task
        return lambda n: self._progress.advance(task, n)

    def finish(self) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        self._progress.stop()


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="a data folder (one file per table) or one file")],
    db: Annotated[
        Path | None, typer.Option("--db", help="warehouse DuckDB file (default: settings)")
    ] = None,
    shop: Annotated[
        str | None, typer.Option("--shop", help="shop of rows without shop_id (default: default)")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="the table a file fills (default: its name)")
    ] = None,
    columns_map: Annotated[
        str | None,
        typer.Option("--map", help="column mapping canonical=column,...: sent_at=created_at"),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map-file", help="YAML mapping file (see docs/importing.md)")
    ] = None,
    time_format: Annotated[
        str | None, typer.Option("--time-format", help="strptime format of the times")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="shop timezone of times without offset (Asia/Shanghai)"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="seconds to wait while another process (jinpai serve) has the warehouse open",
        ),
    ] = DEFAULT_WAIT_S,
) -> None:
    """Import a data folder or file into the warehouse: per table rows read, stored, updated and
    quarantined. Exits non-zero only when nothing at all could be read."""
    import json

    from rich.table import Table

    from jinpai.services.errors import ImportInputError, WarehouseBusy
    from jinpai.services.imports import import_path
    from jinpai.services.inputs import column_mapping

    if fmt not in ("table", "json"):
        raise fail(f"unknown --format {fmt!r} (table or json)")
    progress = _RichImportProgress() if fmt == "table" and err_console.is_terminal else None
    try:
        result = import_path(
            path,
            settings(),
            db=db,
            shop=shop,
            table=table,
            mapping=column_mapping(columns_map, map_file, time_format),
            time_format=time_format,
            timezone=timezone,
            progress=progress,
            wait_s=wait,
            on_wait=lambda: err_console.print(
                WAITING, highlight=False, markup=False, soft_wrap=True
            ),
        )
    except ImportInputError as e:
        raise fail(str(e)) from None
    except WarehouseBusy as e:
        # one line however narrow stderr is, and its own exit code: a script may retry on it
        err_console.print(
            f"[red]error:[/red] {e}: try again later, or --wait longer",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(BUSY_EXIT_CODE) from None
    for message in result.errors:
        err_console.print(f"[red]error:[/red] {message}", highlight=False)
    if fmt == "json":
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        out = Table(title=f"imported into {result.db}" if result.db else "imported")
        for name in ("table", "read", "stored", "updated", "quarantined"):
            out.add_column(name, justify="left" if name == "table" else "right")
        for name, c in result.tables.items():
            q = f"[yellow]{c.quarantined}[/yellow]" if c.quarantined else "0"
            out.add_row(name, str(c.read), str(c.stored), str(c.updated), q)
        console.print(out)
        if any(c.quarantined for c in result.tables.values()):
            console.print("see the quarantined rows with: jinpai quarantine", highlight=False)
    if not result.read_anything:
        if not result.errors:
            err_console.print("[red]error:[/red] no rows could be read", highlight=False)
        raise typer.Exit(1)


@app.command("quarantine")
def quarantine_command(
    db: Annotated[
        Path | None, typer.Option("--db", help="warehouse DuckDB file (default: settings)")
    ] = None,
    import_id: Annotated[
        int | None, typer.Option("--import-id", help="only the rows of this import")
    ] = None,
    shop: Annotated[str | None, typer.Option("--shop", help="only the rows of this shop")] = None,
    unmatched: Annotated[
        bool,
        typer.Option("--unmatched", help="list reminders of orders not imported (yet) instead"),
    ] = False,
    export: Annotated[
        Path | None, typer.Option("--export", help="write the rows to FILE.csv or FILE.xlsx")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List (or export) the rows imports could not read, with file, row, column and reason."""
    import json

    from rich.table import Table

    from jinpai.exports.quarantine import write_quarantine
    from jinpai.services.errors import ImportInputError
    from jinpai.services.imports import list_quarantine, list_unmatched_reminders

    if fmt not in ("table", "json"):
        raise fail(f"unknown --format {fmt!r} (table or json)")
    try:
        if unmatched:
            rows = list_unmatched_reminders(warehouse_path(db))
        else:
            rows = list_quarantine(warehouse_path(db), import_id=import_id, shop=shop)
        if export is not None:
            if unmatched:
                raise ImportInputError("--export applies to quarantined rows")
            write_quarantine(rows, export)
            err_console.print(f"wrote {len(rows)} rows to {export}", highlight=False)
            return
    except (ImportInputError, ValueError) as e:
        raise fail(str(e)) from None
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    if not rows:
        console.print("no unmatched reminders" if unmatched else "the quarantine is empty")
        return
    out = Table(title="unmatched reminders" if unmatched else "quarantine")
    for name in rows[0]:
        out.add_column(name, overflow="fold")
    for r in rows:
        out.add_row(*("" if v is None else str(v) for v in r.values()))
    console.print(out)
