"""The worker is built from settings: a named family is used as is, an unnamed one is left for
the analysis to detect from the Prometheus server; lease, polling and retention follow them."""

from __future__ import annotations

import asyncio

from tests.worker.jobs import (
    NOW,
    RETENTION_DAYS,
    seed_old_and_recent_traffic,
    stored_minutes,
    until_old_minutes_are_dropped,
)

from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import HistorySettings, JobSettings, Settings
from slo_scout.worker.factory import build_recommender, build_worker


def test_a_configured_family_is_used_as_configured() -> None:
    settings = Settings(history=HistorySettings(metric_family=FamilyKind.TEMPO.value))
    recommender = build_recommender(settings)
    assert recommender.configured is not None
    assert recommender.configured.family == FAMILIES[FamilyKind.TEMPO]


def test_without_a_configured_family_the_prometheus_server_is_asked() -> None:
    settings = Settings(history=HistorySettings(prometheus_url="http://127.0.0.1:9"))
    recommender = build_recommender(settings)
    assert recommender.configured is None
    assert recommender.history is not None


def test_the_built_worker_drops_statistics_older_than_the_retention_setting(
    migrated_url: str,
) -> None:
    """``slo-scout worker`` and ``serve --with-worker`` both run this worker: its loop begins
    with the retention pass, which keeps what is younger than ``stats_retention_days``."""
    settings = Settings(database_url=migrated_url, stats_retention_days=RETENTION_DAYS,
                        jobs=JobSettings(lease_seconds=12.0, poll_seconds=0.05))

    async def scenario() -> None:
        await seed_old_and_recent_traffic(migrated_url, NOW)
        assert await stored_minutes(migrated_url, NOW) == (60, 60)
        engine = create_engine(migrated_url)
        worker = build_worker(settings, session_factory(engine), name="w-retention",
                              clock=lambda: NOW)
        assert (worker.name, worker.lease_seconds, worker.poll_seconds,
                worker.retention_days) == ("w-retention", 12.0, 0.05, RETENTION_DAYS)
        running = asyncio.create_task(worker.run_forever())
        try:
            assert await until_old_minutes_are_dropped(migrated_url, NOW) == (0, 60)
        finally:
            worker.stop()
            await running
            await engine.dispose()

    asyncio.run(scenario())
