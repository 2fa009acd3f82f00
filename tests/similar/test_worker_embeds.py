"""The control plane embeds new journeys too: the worker, after each analysis, stores vectors
for the environment's journeys that are new or changed (SLO_SCOUT_VECTORS__EMBED_AFTER_ANALYSIS).
Real worker, real database, real Milvus Lite, the real model."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (the 'streaming' extra)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed")
pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")

from tests.worker.jobs import NOW, seed_and_enqueue

from slo_scout.control.analysis import repository
from slo_scout.control.vectors import JourneyVectors
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import Settings
from slo_scout.worker.factory import build_worker


def _run_jobs(url: str, milvus: str, jobs: int = 1) -> list[str]:
    settings = Settings(database_url=url, vectors={
        "uri": milvus, "collection": "journeys", "embed_after_analysis": True})

    async def go() -> list[str]:
        ids = await seed_and_enqueue(url, jobs=jobs)
        engine = create_engine(url)
        sessions = session_factory(engine)
        try:
            worker = build_worker(settings, sessions, name="w-embed", clock=lambda: NOW)
            while await worker.run_once():
                pass
            statuses = []
            async with sessions() as session:
                for job_id in ids:
                    job = await repository.get_job(session, job_id)
                    assert job is not None
                    statuses.append(job.status)
            return statuses
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_an_analysis_embeds_its_environments_journeys_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo-scout.db'}"
    migrate.upgrade(url)
    milvus = str(tmp_path / "milvus.db")
    caplog.set_level(logging.INFO)
    assert _run_jobs(url, milvus, jobs=2) == ["succeeded", "succeeded"]
    said = [r.getMessage() for r in caplog.records if "journey vectors" in r.getMessage()]
    assert said[0].endswith("2 embedded, 0 unchanged")
    assert said[1].endswith("0 embedded, 2 unchanged")  # the second analysis embeds nothing
    with JourneyVectors(milvus, "journeys") as store:
        assert store.count() == 2
        near = store.nearest_to_journey("prod", "j-checkout", k=3)
    assert [(n.journey_key, n.service) for n in near] == [("j-browse", "shop-frontend")]


def test_milvus_unreachable_leaves_the_analysis_succeeded_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo-scout.db'}"
    migrate.upgrade(url)
    assert _run_jobs(url, "http://127.0.0.1:9") == ["succeeded"]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("not stored: VectorStoreUnavailable" in m and "http://127.0.0.1:9" in m
               for m in warned)
