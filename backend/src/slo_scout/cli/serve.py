"""``slo-scout serve``: the control plane's HTTP API (uvicorn, one process).

uvicorn's "auto" loop and HTTP parser are uvloop and httptools (pinned dependencies), and access
logs are off: request counts and latencies are on ``/metrics``.

A first run works on a bare machine: the embedded database's folder is created, the log says
where the database is and where the API listens, and, while no API key exists, how to make the
first admin key.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
from typing import TYPE_CHECKING

import typer
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from slo_scout.cli._config import config_error, database_location, load_settings
from slo_scout.cli._console import fail_message
from slo_scout.control.auth import service as auth
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.http_limits import header_deadline_protocol
from slo_scout.settings import Settings
from slo_scout.worker.factory import build_worker
from slo_scout.worker.loop import Worker
from slo_scout.worker.metrics import WorkerMetrics

if TYPE_CHECKING:
    from fastapi import FastAPI
    from prometheus_client import CollectorRegistry
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("slo_scout.serve")

FIRST_KEY_HINT = (
    "no API key exists yet: make the first admin key with `slo-scout keys create` (same "
    "environment as this server; it prints the key once), or start with "
    "SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY=ssk_<prefix>_<secret>"
)


def build_app(settings: Settings, *, with_worker: bool) -> FastAPI:
    """The API, with the analysis worker running in its event loop when ``with_worker``: the
    same worker ``slo-scout worker`` runs (leases, polling, retention pass), from the same
    :func:`~slo_scout.worker.factory.build_worker`."""
    # imported here, not above: every command's module loads with `slo-scout`, and only this
    # one needs the web framework
    from slo_scout.api.app import create_app

    if not with_worker:
        return create_app(settings)

    def worker(sessions: async_sessionmaker[AsyncSession], registry: CollectorRegistry) -> Worker:
        # the embedded worker's jobs and model counters are served on the API's /metrics
        stale = max(settings.jobs.lease_seconds, 3 * settings.jobs.poll_seconds)
        return build_worker(settings, sessions,
                            metrics=WorkerMetrics(stale_after_s=stale, registry=registry))

    return create_app(settings, background=worker)


async def _has_keys(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return await auth.has_keys(session)
    finally:
        await engine.dispose()


def _first_run(settings: Settings, migrate_first: bool) -> None:
    """Creates the data dir, migrates, and logs the database and, when needed, the first-key
    hint."""
    url = settings.sqlalchemy_url()
    where = database_location(settings)
    try:
        if migrate_first:
            migrate.upgrade(url)
        no_keys = settings.auth.bootstrap_admin_key is None and not asyncio.run(_has_keys(url))
    except (SQLAlchemyError, OSError) as exc:
        fail_message(f"cannot open the database ({where}): {type(exc).__name__}: {exc}",
                     "check that it is reachable, the credentials are right and it is "
                     "migrated (`slo-scout migrate`)")
    log.info("database: %s", where)
    if no_keys:
        log.warning(FIRST_KEY_HINT)


def serve_command(
    host: str | None = typer.Option(None, help="Listen address (default SLO_SCOUT_HOST)."),
    port: int | None = typer.Option(
        None, min=0, max=65535, help="Listen port (default SLO_SCOUT_PORT)."),
    migrate_first: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Upgrade the database to the latest schema first."
    ),
    with_worker: bool = typer.Option(
        False, "--with-worker", help="Also run analysis jobs in this process (embedded mode)."
    ),
) -> None:
    """Serve the REST API under /api/v1 with its OpenAPI document at /docs.

    The database is SLO_SCOUT_DATABASE_URL (or DATABASE_URL), else an embedded SQLite file
    under SLO_SCOUT_DATA_DIR (created on first run). On an empty database the log says how to
    make the first admin key.

    Examples:

        # a first try on one machine: embedded SQLite, analysis jobs in the same process
        slo-scout serve --with-worker
        slo-scout keys create            # in another shell: the first admin key

        # production: PostgreSQL, listening on every interface, workers run apart
        SLO_SCOUT_DATABASE_URL=postgresql://slo@db:5432/slo_scout slo-scout serve --host 0.0.0.0

        # migrations are run by a separate job (`slo-scout migrate`)
        slo-scout serve --no-migrate --port 8080
    """
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper() if settings.log_level != "trace" else 5,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    host, port = host or settings.host, port if port is not None else settings.port
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        config_error(f"cannot listen on {host!r} (--host or SLO_SCOUT_HOST): {exc}")
    _first_run(settings, migrate_first)
    app = build_app(settings, with_worker=with_worker)
    shown = f"[{host}]" if ":" in host else host
    log.info("serving http://%s:%d (API under /api/v1, OpenAPI at /docs)", shown, port)
    # The imported framework is ~150,000 long-lived objects: a full collection walks them all and
    # stalls every request in flight for tens of milliseconds. Frozen, they are never walked.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level,
        access_log=False,
        workers=1,
        # slow clients: headers within header_timeout_s (uvicorn has no such timeout of its
        # own), past max_connections new requests get 503; bodies: api.body_limits
        http=header_deadline_protocol(settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
    )
