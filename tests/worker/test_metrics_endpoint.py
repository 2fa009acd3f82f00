"""The worker's HTTP endpoint: job counters by outcome, a duration histogram, liveness from the
loop's beats and readiness from its last pass, served on /metrics, /healthz and /readyz."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.worker.jobs import NOW, seed_and_enqueue

from slo_scout.control.analysis import repository
from slo_scout.control.analysis.history import PrometheusHistory
from slo_scout.control.analysis.recommending import Recommender
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.worker.endpoint import MetricsEndpoint
from slo_scout.worker.loop import Worker
from slo_scout.worker.metrics import WorkerMetrics

LEASE_S = 30.0
FAMILY = FAMILIES[FamilyKind.SPANMETRICS]


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def served() -> Iterator[tuple[WorkerMetrics, Ticks, str]]:
    ticks = Ticks()
    metrics = WorkerMetrics(stale_after_s=LEASE_S, monotonic=ticks)
    endpoint = MetricsEndpoint(metrics, "127.0.0.1", 0).start()
    try:
        yield metrics, ticks, f"http://127.0.0.1:{endpoint.port}"
    finally:
        endpoint.close()


def _samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{base}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def _finished(samples, outcome: str) -> float:  # type: ignore[no-untyped-def]
    return samples[("slo_scout_worker_jobs_finished_total", (("outcome", outcome),))]


def _history(handler) -> Recommender:  # type: ignore[no-untyped-def]
    """A recommender whose Prometheus history answers through ``handler`` (HTTP-level fake)."""
    history = PrometheusHistory("http://history.test", transport=httpx.MockTransport(handler))
    return Recommender(FAMILY, history)


def _unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="history is down")


def test_every_outcome_series_is_there_at_zero_before_any_job(served) -> None:  # type: ignore[no-untyped-def]
    _, _, base = served
    samples = _samples(base)
    for outcome in ("succeeded", "failed", "retrying", "lease_lost", "error"):
        assert _finished(samples, outcome) == 0
    assert samples[("slo_scout_worker_jobs_claimed_total", ())] == 0


def test_a_succeeded_job_is_counted_with_its_duration(served, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    metrics, _, base = served

    async def scenario() -> None:
        await seed_and_enqueue(sqlite_url)
        engine = create_engine(sqlite_url)
        try:
            worker = Worker(session_factory(engine), Recommender(FAMILY), name="w1",
                            clock=lambda: NOW, metrics=metrics)
            assert await worker.run_once() is True
            assert await worker.run_once() is False
        finally:
            await engine.dispose()

    asyncio.run(scenario())
    samples = _samples(base)
    assert samples[("slo_scout_worker_jobs_claimed_total", ())] == 1
    assert _finished(samples, "succeeded") == 1
    assert _finished(samples, "failed") == _finished(samples, "lease_lost") == 0
    count = ("slo_scout_worker_job_duration_seconds_count", (("outcome", "succeeded"),))
    assert samples[count] == 1
    assert samples[("slo_scout_worker_busy", ())] == 0


@pytest.mark.parametrize(("max_attempts", "outcome"), [(2, "retrying"), (1, "failed")])
def test_a_failed_attempt_is_retrying_until_its_last_attempt_fails_the_job(
    served, sqlite_url: str, max_attempts: int, outcome: str  # type: ignore[no-untyped-def]
) -> None:
    metrics, _, base = served

    async def scenario() -> str:
        [job_id] = await seed_and_enqueue(sqlite_url, max_attempts=max_attempts)
        engine = create_engine(sqlite_url)
        sessions = session_factory(engine)
        try:
            worker = Worker(sessions, _history(_unavailable), name="w1", clock=lambda: NOW,
                            metrics=metrics)
            assert await worker.run_once() is True
            async with sessions() as session:
                job = await repository.get_job(session, job_id)
                assert job is not None
                return job.status
        finally:
            await engine.dispose()

    status = asyncio.run(scenario())
    assert status == ("queued" if outcome == "retrying" else "failed")
    samples = _samples(base)
    assert _finished(samples, outcome) == 1
    assert sum(_finished(samples, o) for o in ("succeeded", "failed", "retrying",
                                                "lease_lost", "error")) == 1


def test_a_job_another_worker_took_over_is_counted_as_lease_lost(
    served, sqlite_url: str  # type: ignore[no-untyped-def]
) -> None:
    metrics, _, base = served

    async def scenario() -> None:
        [job_id] = await seed_and_enqueue(sqlite_url)
        engine = create_engine(sqlite_url)
        sessions = session_factory(engine)
        later = Worker(sessions, Recommender(FAMILY), name="w2",
                       clock=lambda: NOW + timedelta(seconds=3 * LEASE_S))

        async def stolen_while_asked(request: httpx.Request) -> httpx.Response:
            # While w1 waits for history, its lease runs out and w2 takes the job.
            taken = await later.claim()
            assert taken is not None and taken.id == job_id and taken.attempts == 2
            return httpx.Response(503, text="too late")

        try:
            first = Worker(sessions, _history(stolen_while_asked), name="w1",
                           lease_seconds=LEASE_S, clock=lambda: NOW, metrics=metrics)
            assert await first.run_once() is True
            async with sessions() as session:
                job = await repository.get_job(session, job_id)
                assert job is not None and (job.status, job.lease_owner) == ("running", "w2")
        finally:
            await engine.dispose()

    asyncio.run(scenario())
    samples = _samples(base)
    assert _finished(samples, "lease_lost") == 1
    assert _finished(samples, "retrying") == _finished(samples, "failed") == 0


def test_liveness_fails_only_when_the_loop_has_been_silent_for_a_lease(served) -> None:  # type: ignore[no-untyped-def]
    metrics, ticks, base = served
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    ticks.now += LEASE_S - 1
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    ticks.now += 2
    stuck = httpx.get(f"{base}/healthz", timeout=5)
    assert stuck.status_code == 503 and "has not run for 31s" in stuck.json()["detail"]
    assert httpx.get(f"{base}/readyz", timeout=5).status_code == 503
    metrics.beat()
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200


def test_readiness_waits_for_a_pass_and_fails_while_passes_fail(served) -> None:  # type: ignore[no-untyped-def]
    metrics, _, base = served
    starting = httpx.get(f"{base}/readyz", timeout=5)
    assert starting.status_code == 503 and "starting" in starting.json()["detail"]
    metrics.pass_done(None)
    assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    metrics.pass_done(ConnectionRefusedError("database down"))
    failing = httpx.get(f"{base}/readyz", timeout=5)
    assert failing.status_code == 503 and "database down" in failing.json()["detail"]
    # Alive all the same: restarting the worker would not bring the database back.
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    assert _samples(base)[("slo_scout_worker_pass_errors_total", ())] == 1


def test_a_worker_whose_database_has_no_schema_is_alive_but_not_ready(
    served, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    metrics, _, base = served

    async def scenario() -> tuple[int, int, str]:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        worker = Worker(session_factory(engine), Recommender(FAMILY), name="w1",
                        poll_seconds=0.05, metrics=metrics)
        task = asyncio.create_task(worker.run_forever())
        try:
            async with httpx.AsyncClient(base_url=base, timeout=5) as client:
                for _ in range(200):
                    ready = await client.get("/readyz")
                    if "last pass failed" in ready.json()["detail"]:
                        break
                    await asyncio.sleep(0.05)
                live = await client.get("/healthz")
            return live.status_code, ready.status_code, ready.json()["detail"]
        finally:
            worker.stop()
            await task
            await engine.dispose()

    live, ready, detail = asyncio.run(scenario())
    assert (live, ready) == (200, 503)
    assert "OperationalError" in detail and "analysis_jobs" in detail


def test_unknown_paths_are_not_found(served) -> None:  # type: ignore[no-untyped-def]
    _, _, base = served
    assert httpx.get(f"{base}/nope", timeout=5).status_code == 404
