"""``slo-scout serve``: the control plane's HTTP API (uvicorn, one process).

uvicorn's "auto" loop and HTTP parser are uvloop and httptools (pinned dependencies), and access
logs are off: request counts and latencies are on ``/metrics``.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import typer
import uvicorn

from slo_scout.db import migrate
from slo_scout.http_limits import header_deadline_protocol
from slo_scout.settings import Settings, get_settings
from slo_scout.worker.factory import build_worker
from slo_scout.worker.loop import Worker

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def build_app(settings: Settings, *, with_worker: bool) -> FastAPI:
    """The API, with the analysis worker running in its event loop when ``with_worker``: the
    same worker ``slo-scout worker`` runs (leases, polling, retention pass), from the same
    :func:`~slo_scout.worker.factory.build_worker`."""
    # imported here, not above: every command's module loads with `slo-scout`, and only this
    # one needs the web framework
    from slo_scout.api.app import create_app

    if not with_worker:
        return create_app(settings)

    def worker(sessions: async_sessionmaker[AsyncSession]) -> Worker:
        return build_worker(settings, sessions)

    return create_app(settings, background=worker)


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
    app = build_app(settings, with_worker=with_worker)
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
        # slow clients: headers within header_timeout_s (uvicorn has no such timeout of its
        # own), past max_connections new requests get 503; bodies: api.body_limits
        http=header_deadline_protocol(settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
    )
