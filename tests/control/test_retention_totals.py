"""Retention never leaves a journey's totals and its statistics disagreeing (issue 11): the pass
takes the totals of every key that lost minutes again from the minutes it keeps, removes keys
left without any, and folds the environment again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.fixtures.control_plane import (  # noqa: F401
    database_url,
    journey,
    migrated_url,
    seed_keys,
)

from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.journeys import repository, retention
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import Slo

NOW = datetime(2026, 11, 20, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=30)


def test_the_retention_pass_leaves_every_journeys_totals_equal_to_its_statistics(
    migrated_url: str,  # noqa: F811
) -> None:
    async def scenario() -> None:
        engine = create_engine(migrated_url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                _, _, env = await ensure_environment(
                    session, team="shop", service="shop-frontend", environment="prod", now=NOW)
                await seed_keys(session, env.id, [
                    journey("j-gone", operation="GET /gone", start=CUTOFF - timedelta(days=2),
                            minutes=60),
                    journey("j-named", operation="GET /named", start=CUTOFF - timedelta(days=3),
                            minutes=30),
                    journey("j-straddle", operation="POST /checkout",
                            start=CUTOFF - timedelta(minutes=40), minutes=100,
                            errors_per_minute=2),
                    journey("j-recent", operation="GET /items", start=NOW - timedelta(hours=2),
                            minutes=60),
                ], NOW)
                rows = {r.entry_operation: r for r in
                        await repository.journeys_of_environment(session, env.id)}
                session.add(Slo(
                    journey_id=rows["/named"].id, environment_id=env.id, name="named",
                    sli_kind="availability", objective=0.99, threshold_seconds=None,
                    window_days=30, description="", status="proposed", version=1,
                    source="manual", result_id=None, last_changed_by="t", created_at=NOW,
                    updated_at=NOW))
                await session.commit()
            async with sessions() as session:
                dropped = await retention.drop_statistics(session, cutoff=CUTOFF, now=NOW)
                await session.commit()
            assert (dropped.keys_refreshed, dropped.keys_removed, dropped.environments) == (
                1, 2, 1)
            async with sessions() as session:
                after = {r.entry_operation: r for r in
                         await repository.journeys_of_environment(session, env.id)}
                assert sorted(after) == ["/checkout", "/items", "/named"]  # /gone went
                for row in after.values():
                    stats = await repository.stats_between(
                        session, [row.id], NOW - timedelta(days=400), NOW)
                    assert row.requests == sum(s.requests for s in stats), row.entry_operation
                    assert row.errors == sum(s.errors for s in stats), row.entry_operation
                assert after["/named"].requests == 0  # an SLO names it: kept, empty
                straddle = after["/checkout"]
                assert (straddle.requests, straddle.errors) == (60 * 100, 60 * 2)
                assert straddle.first_seen == CUTOFF
                assert after["/items"].requests == 60 * 100
        finally:
            await engine.dispose()

    asyncio.run(scenario())
