"""Shared set-up for worker tests: a service with stored traffic and a queued analysis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fixtures.control_plane import journey

from slo_scout.control.analysis import service as analysis
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.journeys.store import store_journeys
from slo_scout.db.engine import create_engine, session_factory

NOW = datetime(2026, 11, 2, tzinfo=UTC)


async def seed_and_enqueue(url: str, *, max_attempts: int = 3, jobs: int = 1) -> list[str]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            _, _, env = await ensure_environment(
                session, team="shop", service="shop-frontend", environment="prod", now=NOW
            )
            await store_journeys(session, env.id, [
                journey("j-checkout", start=NOW - timedelta(hours=6), minutes=6 * 60),
                journey("j-browse", operation="GET /items", start=NOW - timedelta(hours=6),
                        minutes=6 * 60, errors_per_minute=1),
            ])
            ids = []
            for _ in range(jobs):
                job = await analysis.enqueue(
                    session, environment_id=env.id, lookback_seconds=24 * 3600,
                    strategy="balanced", requested_by="key:test", max_attempts=max_attempts,
                    now=NOW,
                )
                ids.append(job.id)
            await session.commit()
        return ids
    finally:
        await engine.dispose()
