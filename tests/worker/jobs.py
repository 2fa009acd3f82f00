"""Shared set-up for worker tests: a service with stored traffic and a queued analysis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.fixtures.control_plane import journey, seed_keys

from slo_scout.control.analysis import service as analysis
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.journeys import repository as journeys_repo
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
            await seed_keys(session, env.id, [
                journey("j-checkout", start=NOW - timedelta(hours=6), minutes=6 * 60),
                journey("j-browse", operation="GET /items", start=NOW - timedelta(hours=6),
                        minutes=6 * 60, errors_per_minute=1),
            ], NOW)
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


RETENTION_DAYS = 30


async def seed_old_and_recent_traffic(url: str, now: datetime) -> None:
    """An hour of traffic 120 days before ``now`` (past a 30-day retention) and one 2 hours
    before it (within)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            _, _, env = await ensure_environment(
                session, team="shop", service="shop-frontend", environment="prod", now=now
            )
            await seed_keys(session, env.id, [
                journey("j-old", start=now - timedelta(days=120), minutes=60),
                journey("j-recent", operation="GET /items", start=now - timedelta(hours=2),
                        minutes=60),
            ], now)
            await session.commit()
    finally:
        await engine.dispose()


async def stored_minutes(url: str, now: datetime) -> tuple[int, int]:
    """(minutes stored older than the retention, minutes stored within it)."""
    cutoff = now - timedelta(days=RETENTION_DAYS)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            _, _, env = await ensure_environment(
                session, team="shop", service="shop-frontend", environment="prod", now=now
            )
            ids = [r.id for r in await journeys_repo.journeys_of_environment(session, env.id)]
            old = await journeys_repo.stats_between(session, ids, now - timedelta(days=400),
                                                    cutoff)
            recent = await journeys_repo.stats_between(session, ids, cutoff, now)
        return len(old), len(recent)
    finally:
        await engine.dispose()


async def until_old_minutes_are_dropped(url: str, now: datetime) -> tuple[int, int]:
    """Waits (60 s at most, then answers anyway) for a running worker's retention pass."""
    for _ in range(1200):
        counts = await stored_minutes(url, now)
        if counts[0] == 0:
            return counts
        await asyncio.sleep(0.05)
    return await stored_minutes(url, now)
