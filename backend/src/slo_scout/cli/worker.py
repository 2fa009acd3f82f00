"""``slo-scout worker``: runs durable analysis jobs from the database."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from slo_scout.cli._console import usage_error
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import get_settings
from slo_scout.worker.endpoint import MetricsEndpoint
from slo_scout.worker.factory import build_worker
from slo_scout.worker.metrics import WorkerMetrics


async def _run(name: str | None, once: bool, metrics: WorkerMetrics | None) -> None:
    settings = get_settings()
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
    """Run analysis jobs from the database until stopped (SIGTERM finishes the current job)."""
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
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
        asyncio.run(_run(name, once, metrics))
    finally:
        if endpoint is not None:
            endpoint.close()
