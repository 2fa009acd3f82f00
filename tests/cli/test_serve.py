"""``slo-scout serve --with-worker`` runs the same worker as ``slo-scout worker``, built from the
same settings, in the API's event loop: jobs and the statistics retention pass included."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from tests.worker.jobs import (
    RETENTION_DAYS,
    seed_old_and_recent_traffic,
    stored_minutes,
    until_old_minutes_are_dropped,
)

from slo_scout.cli.serve import build_app
from slo_scout.settings import JobSettings, Settings


def _settings(url: str) -> Settings:
    return Settings(database_url=url, stats_retention_days=RETENTION_DAYS,
                    jobs=JobSettings(poll_seconds=0.05))


def test_the_embedded_worker_drops_statistics_older_than_the_retention_setting(
    migrated_url: str,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    asyncio.run(seed_old_and_recent_traffic(migrated_url, now))
    with TestClient(build_app(_settings(migrated_url), with_worker=True)) as client:
        assert client.get("/readyz").status_code == 200
        assert asyncio.run(until_old_minutes_are_dropped(migrated_url, now)) == (0, 60)


def test_without_the_worker_the_api_leaves_stored_statistics_alone(migrated_url: str) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    asyncio.run(seed_old_and_recent_traffic(migrated_url, now))
    with TestClient(build_app(_settings(migrated_url), with_worker=False)) as client:
        assert client.get("/readyz").status_code == 200
    assert asyncio.run(stored_minutes(migrated_url, now)) == (60, 60)
