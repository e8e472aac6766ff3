"""``jinpai demo ...``: build the demo shop's data folder."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jinpai.demo.generator import DEFAULT_MESSAGES, GenerationSummary, generate_shop
from jinpai.demo.job import DEMO_MONTH_START

app = typer.Typer(
    help="The demo shop (a 10-agent Tmall team): generate a believable month of data."
)
# a log (not a terminal) gets wide tables rather than the 80-column default
console = Console(width=None if sys.stdout.isatty() else 160)


class FileFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _print(summary: GenerationSummary) -> None:
    table = Table(title=f"demo shop -> {summary.out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"{summary.days} days from {summary.start}, campaign {summary.campaign}, seed "
        f"{summary.seed}: {summary.seconds:.1f} s ({summary.throughput:,.0f} messages/s)"
    )


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="data folder to write")] = Path("demo-shop"),
    seed: Annotated[int, typer.Option(help="random seed; same arguments, same bytes")] = 0,
    days: Annotated[int, typer.Option(min=1, help="days to simulate")] = 31,
    messages: Annotated[
        int, typer.Option(min=1, help="approximate number of chat messages")
    ] = DEFAULT_MESSAGES,
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="first day (shop-local)")
    ] = datetime(2024, 3, 1),
    fmt: Annotated[FileFormat, typer.Option("--format", help="file format")] = FileFormat.parquet,
) -> None:
    """Write messages, orders, agents, reminders, cases, shifts and ratings into a folder."""
    summary = generate_shop(out, seed, days, messages, start.date(), fmt.value)
    _print(summary)


@app.command()
def run(
    folder: Annotated[Path, typer.Option("--folder", help="data folder to write")] = Path(
        "demo-shop"
    ),
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    db: Annotated[
        Path | None, typer.Option("--db", help="warehouse file (default: the settings' path)")
    ] = None,
) -> None:
    """The job of ``make demo``: build the demo shop, import it, print its month and write the
    month's workbook (report, scorecard, pay and grades)."""
    from jinpai.cli.common import settings
    from jinpai.demo.job import run_demo_month

    _print(generate_shop(folder, seed=seed, start=DEMO_MONTH_START))
    run_demo_month(folder, db, settings(), console)
