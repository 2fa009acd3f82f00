"""What the commands show people: progress, tables and errors, all on stderr.

Standard output stays free for data (``--out -``). Errors are one line each, with the core's
hint, so a user sees which file, record and field to fix, and never a traceback for bad input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys.model import Journey

# Inputs smaller than this finish before a bar would be readable.
PROGRESS_MIN_BYTES = 8 * 1024 * 1024


def stderr() -> Console:
    # Built per call: CliRunner swaps sys.stderr between invocations.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(exc: SloScoutError) -> NoReturn:
    """Report a domain error in one line and exit 1."""
    fail_message(exc.message, exc.hint)


def fail_message(message: str, hint: str) -> NoReturn:
    stderr().print(f"[bold red]error:[/] {escape(message)} [dim]({escape(hint)})[/]")
    raise typer.Exit(1)


def usage_error(message: str) -> NoReturn:
    stderr().print(f"[bold red]usage:[/] {escape(message)}")
    raise typer.Exit(2)


def note(message: str) -> None:
    stderr().print(message)


@contextmanager
def byte_progress(total: int, *, enabled: bool) -> Iterator[Progress | None]:
    """A bytes-read bar on stderr, or ``None`` when the input is small or stderr is no terminal."""
    console = stderr()
    if not enabled or total < PROGRESS_MIN_BYTES:
        yield None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with progress:
        yield progress


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000.0:,.1f}"


def journeys_table(journeys: Sequence[Journey], *, limit: int = 50) -> Table:
    """Busiest first; the name already says the entry and the services reached."""
    table = Table(title=f"{len(journeys)} journeys", title_justify="left")
    table.add_column("journey", overflow="fold", ratio=1)
    for name in ("requests", "req/s", "err %", "p50 ms", "p99 ms", "svcs"):
        table.add_column(name, justify="right", no_wrap=True)
    ordered = sorted(journeys, key=lambda j: (-j.requests, j.name, j.id))
    for j in ordered[:limit]:
        table.add_row(
            j.name,
            f"{j.requests:,}",
            f"{j.rate_per_s:,.2f}",
            f"{j.error_ratio * 100:.2f}",
            _ms(j.quantile(0.5)),
            _ms(j.quantile(0.99)),
            str(len(j.services)),
        )
    if len(ordered) > limit:
        table.caption = f"{len(ordered) - limit} quieter journeys are in journeys.json"
    return table


def print_table(table: Table) -> None:
    stderr().print(table)
