"""The per-minute time series: native monthly partitions on PostgreSQL (no TimescaleDB here),
merging on re-ingest, and retention, with the same queries on SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from tests.fixtures.control_plane import journey, seed_keys

from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.journeys import repository
from slo_scout.db.engine import create_engine, session_factory

START = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # 60 minutes across a month boundary


def test_stats_merge_on_reingest_and_old_data_is_dropped(migrated_url: str) -> None:
    async def scenario() -> None:
        engine = create_engine(migrated_url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                _, _, env = await ensure_environment(
                    session, team="t", service="s", environment="prod", now=START
                )
                for _ in range(2):  # the same traffic twice: counts add, sketches merge
                    await seed_keys(session, env.id, [journey(start=START, minutes=60)], START)
                await session.commit()
            async with sessions() as session:
                [row] = await repository.journeys_of_environment(session, env.id)
                stats = await repository.stats_between(
                    session, [row.id], START, START + timedelta(hours=1)
                )
                assert len(stats) == 60 and {s.requests for s in stats} == {200}
                assert row.requests == 2 * 60 * 100
                if session.bind.dialect.name == "postgresql":
                    parts = (await session.execute(text(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                        " JOIN pg_class p ON p.oid = i.inhparent"
                        " WHERE p.relname = 'journey_stats' ORDER BY 1"
                    ))).scalars().all()
                    assert parts == ["journey_stats_2026_10", "journey_stats_2026_11"]
                await repository.drop_stats_before(session, datetime(2026, 11, 1, tzinfo=UTC))
                await session.commit()
            async with sessions() as session:
                left = await repository.stats_between(
                    session, [row.id], START, START + timedelta(hours=1)
                )
                assert min(s.minute for s in left) == datetime(2026, 11, 1, tzinfo=UTC)
                assert len(left) == 30
        finally:
            await engine.dispose()

    asyncio.run(scenario())
