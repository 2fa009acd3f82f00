"""Runs queued analysis jobs to the end with a real worker, for tests that need a result."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import NOW, seed
from tests.fixtures.control_plane import journey

from slo_scout.control.analysis.recommending import Recommender
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.worker.loop import Worker


def run_worker(url: str) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            worker = Worker(session_factory(engine), Recommender(FAMILIES[FamilyKind.SPANMETRICS]),
                            name="test-worker", clock=lambda: NOW)
            while await worker.run_once():
                pass
        finally:
            await engine.dispose()

    asyncio.run(go())


def analyzed(client: TestClient, url: str) -> dict[str, object]:
    """Seeds a day of steady checkout traffic, analyzes it and returns the result body."""
    seed(url, journeys=[journey(start=NOW - timedelta(hours=24), minutes=24 * 60,
                                requests_per_minute=200)])
    job = client.post("/api/v1/analyze", json={
        "service": "shop-frontend", "environment": "prod", "lookback": "1d"}).json()
    run_worker(url)
    status = client.get(f"/api/v1/analyze/{job['id']}").json()
    assert status["status"] == "succeeded", status
    result: dict[str, object] = client.get(status["links"]["result"]).json()
    return result
