"""``slo-scout worker``: runs durable analysis jobs from the database."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from slo_scout.cli._config import database_location, load_settings
from slo_scout.cli._console import usage_error
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import Settings
from slo_scout.worker.endpoint import MetricsEndpoint
from slo_scout.worker.factory import build_worker
from slo_scout.worker.metrics import WorkerMetrics


async def _run(
    settings: Settings, name: str | None, once: bool, metrics: WorkerMetrics | None
) -> None:
    engine = create_engine(settings.sqlalchemy_url())
    worker = build_worker(settings, session_factory(engine), name=name, metrics=metrics)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        if once:
            while await worker.run_once():
                pass
        else:
            await worker.run_forever()
    finally:
        await engine.dispose()


def worker_command(
    name: str | None = typer.Option(None, help="Worker name in job leases (default host:pid)."),
    once: bool = typer.Option(False, "--once", help="Run the queued jobs, then exit."),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", min=0, max=65535,
        help="Serve /healthz, /readyz and /metrics on this port (default: no HTTP at all).",
    ),
    metrics_host: str = typer.Option(
        "127.0.0.1", "--metrics-host", help="Address for --metrics-port (0.0.0.0 in a pod)."
    ),
) -> None:
    """Run analysis jobs from the database until stopped (SIGTERM finishes the current job).

    The database is the control plane's (SLO_SCOUT_DATABASE_URL, else the embedded SQLite
    file), migrated first (`slo-scout migrate`). Run as many workers as you like: each job is
    leased to one.

    Examples:

        # beside `slo-scout serve`, on the same PostgreSQL
        SLO_SCOUT_DATABASE_URL=postgresql://slo@db:5432/slo_scout slo-scout worker

        # in a pod: probes and metrics on port 9090
        slo-scout worker --metrics-port 9090 --metrics-host 0.0.0.0

        # run what is queued, then exit (a cron job, a test)
        slo-scout worker --once
    """
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper() if settings.log_level != "trace" else 5,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("slo_scout.worker").info("database: %s", database_location(settings))
    metrics = endpoint = None
    if metrics_port is not None:
        # A loop silent for a whole lease has lost its job anyway: that is when it is stuck.
        stale = max(settings.jobs.lease_seconds, 3 * settings.jobs.poll_seconds)
        metrics = WorkerMetrics(stale_after_s=stale)
        try:
            endpoint = MetricsEndpoint(metrics, metrics_host, metrics_port).start()
        except OSError as exc:
            usage_error(f"--metrics-port {metrics_port} on {metrics_host}: {exc.strerror}")
        logging.getLogger("slo_scout.worker").info(
            "serving /healthz, /readyz and /metrics on %s:%d", metrics_host, endpoint.port
        )
    try:
        asyncio.run(_run(settings, name, once, metrics))
    finally:
        if endpoint is not None:
            endpoint.close()
