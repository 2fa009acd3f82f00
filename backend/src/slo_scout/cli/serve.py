"""``slo-scout serve``: the control plane's HTTP API (uvicorn, one process).

uvicorn's "auto" loop and HTTP parser are uvloop and httptools (pinned dependencies), and access
logs are off: request counts and latencies are on ``/metrics``.
"""

from __future__ import annotations

import gc

import typer
import uvicorn

from slo_scout.db import migrate
from slo_scout.settings import get_settings


def serve_command(
    host: str | None = typer.Option(None, help="Listen address (default SLO_SCOUT_HOST)."),
    port: int | None = typer.Option(None, help="Listen port (default SLO_SCOUT_PORT)."),
    migrate_first: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Upgrade the database to the latest schema first."
    ),
    with_worker: bool = typer.Option(
        False, "--with-worker", help="Also run analysis jobs in this process (embedded mode)."
    ),
) -> None:
    """Serve the REST API under /api/v1 with its OpenAPI document at /docs."""
    settings = get_settings()
    if migrate_first:
        migrate.upgrade(settings.sqlalchemy_url())
    from slo_scout.api.app import create_app

    app = create_app(settings, run_worker=with_worker)
    # The imported framework is ~150,000 long-lived objects: a full collection walks them all and
    # stalls every request in flight for tens of milliseconds. Frozen, they are never walked.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
        access_log=False,
        workers=1,
    )
