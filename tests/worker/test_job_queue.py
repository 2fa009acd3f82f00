"""Durable analysis jobs: claimed once, leased, retried on lease expiry, failed when exhausted."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.worker.jobs import NOW, seed_and_enqueue

from slo_scout.control.analysis import repository
from slo_scout.control.analysis.recommending import Recommender
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import AnalysisResult
from slo_scout.worker.loop import Worker

LEASE = timedelta(seconds=30)


def _worker(sessions, name: str, clock) -> Worker:  # type: ignore[no-untyped-def]
    return Worker(
        sessions, Recommender(FAMILIES[FamilyKind.SPANMETRICS]), name=name,
        lease_seconds=LEASE.total_seconds(), clock=clock,
    )


def test_a_worker_runs_a_queued_job_to_a_versioned_result_linked_to_it(migrated_url: str) -> None:
    async def scenario() -> None:
        [job_id] = await seed_and_enqueue(migrated_url)
        engine = create_engine(migrated_url)
        sessions = session_factory(engine)
        try:
            worker = _worker(sessions, "w1", lambda: NOW)
            assert await worker.run_once() is True
            assert await worker.run_once() is False
            async with sessions() as session:
                job = await repository.get_job(session, job_id)
                assert job is not None
                assert (job.status, job.stage, job.progress, job.attempts) == (
                    "succeeded", "done", 1.0, 1
                )
                assert job.error is None and job.lease_owner is None
                assert set(job.timings) == {"load_s", "recommend_s"}
                result = await session.get(AnalysisResult, job.result_id)
                assert result is not None and result.job_id == job_id and result.version == 1
                assert result.summary["journeys"] == 2
                keys = [r["journey_key"] for r in result.recommendations]
                assert keys == ["j-browse", "j-checkout"]
                kinds = [r["kind"] for r in result.recommendations[0]["recommendations"]]
                assert kinds == ["availability", "latency"]
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_two_workers_never_claim_the_same_job(migrated_url: str) -> None:
    async def scenario() -> None:
        ids = await seed_and_enqueue(migrated_url, jobs=6)
        engine = create_engine(migrated_url)
        sessions = session_factory(engine)
        try:
            workers = [_worker(sessions, f"w{i}", lambda: NOW) for i in range(4)]
            claims = await asyncio.gather(*(w.claim() for w in workers for _ in range(2)))
            claimed = [job.id for job in claims if job is not None]
            assert len(claimed) == len(set(claimed)) == 6
            assert set(claimed) == set(ids)
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_an_expired_lease_lets_another_worker_take_the_job_and_fences_the_first(
    migrated_url: str,
) -> None:
    async def scenario() -> None:
        [job_id] = await seed_and_enqueue(migrated_url)
        engine = create_engine(migrated_url)
        sessions = session_factory(engine)
        try:
            first = _worker(sessions, "w1", lambda: NOW)
            taken = await first.claim()
            assert taken is not None and taken.attempts == 1
            second = _worker(sessions, "w2", lambda: NOW + LEASE / 2)
            assert await second.claim() is None  # lease still held
            later = _worker(sessions, "w2", lambda: NOW + LEASE * 2)
            retaken = await later.claim()
            assert retaken is not None and retaken.id == job_id and retaken.attempts == 2
            async with sessions() as session:  # the first worker can no longer write
                assert not await repository.update_held(session, job_id, "w1", 1, progress=0.5)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_a_job_whose_worker_keeps_dying_ends_failed_after_its_attempts(migrated_url: str) -> None:
    async def scenario() -> None:
        [job_id] = await seed_and_enqueue(migrated_url, max_attempts=2)
        engine = create_engine(migrated_url)
        sessions = session_factory(engine)
        try:
            for attempt in (1, 2):
                at = NOW + LEASE * 2 * attempt
                claimed = await _worker(sessions, f"w{attempt}", lambda at=at: at).claim()
                assert claimed is not None and claimed.attempts == attempt
            late = _worker(sessions, "w3", lambda: NOW + LEASE * 10)
            assert await late.claim() is None
            async with sessions() as session:
                job = await repository.get_job(session, job_id)
                assert job is not None and job.status == "failed" and job.attempts == 2
                assert "last allowed attempt" in (job.error or "")
        finally:
            await engine.dispose()

    asyncio.run(scenario())
