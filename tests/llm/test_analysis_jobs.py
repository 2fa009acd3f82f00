"""The worker's analyses use the configured model like ``analyze`` does: the same settings, the
result summary says what the model wrote and what it cost, /metrics counts it, an unchanged
re-analysis makes no call, and calls in flight stay within the concurrency limit."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.fixtures.llm_server import LlmServer
from tests.worker.jobs import NOW, seed_and_enqueue

from slo_scout.cli.serve import build_app
from slo_scout.control.analysis import repository
from slo_scout.core.llm import naming
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.llm.client import ModelClient
from slo_scout.settings import JobSettings, LlmSettings, Settings
from slo_scout.worker.factory import build_worker
from slo_scout.worker.metrics import WorkerMetrics


@pytest.fixture
def server() -> Iterator[LlmServer]:
    running = LlmServer()
    try:
        yield running
    finally:
        running.close()


def _llm(server: LlmServer, cache: Path, **extra: Any) -> LlmSettings:
    return LlmSettings(provider="openai", model="test-model", api_key="sk-test-key-0123456789",
                       base_url=server.url + "/v1", timeout_seconds=1, max_retries=1,
                       cache_dir=cache, **extra)


def _run_jobs(url: str, settings: Settings, metrics: WorkerMetrics) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        ids = await seed_and_enqueue(url, jobs=2)
        engine = create_engine(url)
        sessions = session_factory(engine)
        try:
            worker = build_worker(settings, sessions, name="w1", metrics=metrics,
                                  clock=lambda: NOW)
            while await worker.run_once():
                pass
            summaries = []
            async with sessions() as session:
                for job_id in ids:
                    job = await repository.get_job(session, job_id)
                    assert job is not None and job.status == "succeeded", job and job.error
                    assert job.result_id is not None
                    result = await repository.get_result(session, job.result_id)
                    assert result is not None
                    summaries.append({"summary": result.summary,
                                      "recommendations": result.recommendations})
            return summaries
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _counter(metrics: WorkerMetrics, name: str) -> float:
    value = metrics.registry.get_sample_value(f"slo_scout_llm_{name}_total")
    assert value is not None
    return value


def test_analysis_jobs_use_the_model_say_so_and_count_it(
    server: LlmServer, tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo.db'}"
    migrate.upgrade(url)
    settings = Settings(llm=_llm(server, tmp_path / "cache"), data_dir=tmp_path)
    metrics = WorkerMetrics(stale_after_s=60)
    # whichever of the two jobs ran first asked the model; the other found the answers cached
    first, second = sorted(_run_jobs(url, settings, metrics),
                           key=lambda r: -r["summary"]["model"]["calls"])
    model = first["summary"]["model"]
    assert (model["provider"], model["calls"], model["tokens"]) == ("openai", 2, 700), model
    assert model["explained"] == 4 and model["fallback"] is None
    entries = first["recommendations"]
    assert all(e["named_by"] == "model" for e in entries)
    assert all(r["rationale_by"] == "model" for e in entries for r in e["recommendations"])
    again = second["summary"]["model"]
    assert (again["calls"], again["cache_hits"]) == (0, 2)  # unchanged journeys: no call
    assert len(server.bodies) == 2
    assert (_counter(metrics, "calls"), _counter(metrics, "tokens"),
            _counter(metrics, "cache_hits"), _counter(metrics, "fallbacks")) == (2, 700, 2, 0)


def test_without_a_model_jobs_are_deterministic_and_say_which_parts_a_model_would_write(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo.db'}"
    migrate.upgrade(url)
    metrics = WorkerMetrics(stale_after_s=60)
    first, _ = _run_jobs(url, Settings(data_dir=tmp_path), metrics)
    model = first["summary"]["model"]
    assert (model["provider"], model["calls"]) == ("none", 0)
    assert model["fallback"].startswith("no model configured")
    assert all(r["rationale_by"] == "rules" for e in first["recommendations"]
               for r in e["recommendations"])
    assert _counter(metrics, "calls") == 0


def test_a_failing_model_falls_back_and_the_fallback_is_counted(
    server: LlmServer, tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo.db'}"
    migrate.upgrade(url)
    server.script.extend(["500"] * 8)
    settings = Settings(llm=_llm(server, tmp_path / "cache", failures_before_open=1),
                        data_dir=tmp_path)
    metrics = WorkerMetrics(stale_after_s=60)
    first, _ = _run_jobs(url, settings, metrics)
    model = first["summary"]["model"]
    # the naming call failed after the SDK's retry; the breaker (one failure here) then
    # stopped the proposals call: both parts are the rules'
    assert model["calls"] == 0 and model["failures"] == 1
    assert model["fallback"] == "1 calls failed in a row; no more calls this run"
    assert all(r["rationale_by"] == "rules" for e in first["recommendations"]
               for r in e["recommendations"])
    assert _counter(metrics, "fallbacks") >= 1 and _counter(metrics, "failures") >= 1


def test_calls_in_flight_stay_within_the_concurrency_limit(
    server: LlmServer, tmp_path: Path,
) -> None:
    server.script.extend(["slow"] * 4)
    settings = _llm(server, None, max_concurrency=1)  # type: ignore[arg-type]

    def ask(index: int) -> None:
        client = ModelClient(settings, cache_dir=None)  # one analysis each
        user = f"<journeys>\n[]\n</journeys> {index}"
        assert client.structured(naming.JourneyNames, naming.SYSTEM, user) is not None

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server.bodies) == 4
    assert server.most_in_flight == 1


def test_an_embedded_workers_model_counters_are_on_the_apis_metrics(
    server: LlmServer, tmp_path: Path,
) -> None:
    """`slo-scout serve --with-worker`: one process, one /metrics with the model's counters."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo.db'}"
    migrate.upgrade(url)
    asyncio.run(seed_and_enqueue(url, jobs=1))
    settings = Settings(database_url=url, llm=_llm(server, tmp_path / "cache"),
                        data_dir=tmp_path, jobs=JobSettings(poll_seconds=0.05))
    with TestClient(build_app(settings, with_worker=True)) as client:
        for _ in range(600):  # the job is claimed, run and counted within a minute
            text = client.get("/metrics").text
            if 'slo_scout_worker_jobs_finished_total{outcome="succeeded"} 1.0' in text:
                break
            time.sleep(0.1)
    assert 'slo_scout_worker_jobs_finished_total{outcome="succeeded"} 1.0' in text
    assert "slo_scout_llm_calls_total 2.0" in text and "slo_scout_llm_tokens_total 700.0" in text
