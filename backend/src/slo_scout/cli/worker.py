"""``slo-scout worker``: runs durable analysis jobs from the database."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import get_settings
from slo_scout.worker.factory import build_recommender
from slo_scout.worker.loop import Worker


async def _run(name: str | None, once: bool) -> None:
    settings = get_settings()
    engine = create_engine(settings.sqlalchemy_url())
    worker = Worker(
        session_factory(engine),
        build_recommender(settings),
        name=name,
        lease_seconds=settings.jobs.lease_seconds,
        poll_seconds=settings.jobs.poll_seconds,
        retention_days=settings.stats_retention_days,
    )
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
) -> None:
    """Run analysis jobs from the database until stopped (SIGTERM finishes the current job)."""
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    asyncio.run(_run(name, once))
