"""An analysis with no family configured and no Prometheus reads its metric catalog."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from tests.control.conftest import psycopg_dsn
from tests.worker.jobs import NOW, seed_and_enqueue

from slo_scout.control.analysis import repository
from slo_scout.control.analysis.family import FROM_CATALOG, choose_from_catalog
from slo_scout.control.analysis.metric_catalog import CatalogMetric
from slo_scout.control.analysis.recommending import Recommender
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import AnalysisResult
from slo_scout.worker.loop import Worker

pytest.importorskip("drain3", reason="drain3 not installed (scripts/install-nodeps.sh)")

from slo_scout_streaming.catalog_store import CatalogStore
from slo_scout_streaming.telemetry_catalog import MetricSeen

SPANMETRICS_LABELS = ("service", "span_kind", "span_name", "status_code")
TEMPO = [
    MetricSeen("traces_spanmetrics_calls_total", SPANMETRICS_LABELS, "counter",
               "prometheus.remote_write.v1"),
    MetricSeen("traces_spanmetrics_latency", SPANMETRICS_LABELS, "histogram",
               "prometheus.remote_write.v1"),
    MetricSeen("traces_spanmetrics_latency_count", SPANMETRICS_LABELS, "unknown",
               "prometheus.remote_write.v1"),
    MetricSeen("process_cpu_seconds_total", ("job",), "counter", "prometheus.remote_write.v1"),
]
OTEL_HTTP = [
    MetricSeen("http.server.request.duration",
               ("http.request.method", "http.response.status_code", "http.route"), "histogram",
               "otlp_http"),
    MetricSeen("http.server.active_requests", ("http.request.method",), "gauge", "otlp_http"),
]


def _record(url: str, environment: str, metrics: list[MetricSeen], seen_at: datetime) -> None:
    """Writes the catalog exactly as the streaming catalog job does."""
    store = CatalogStore(psycopg_dsn(url), environment)
    store.open()
    try:
        store.write(metrics, {}, seen_at)
    finally:
        store.close()


async def _analyze(url: str) -> AnalysisResult:
    [job_id] = await seed_and_enqueue(url)  # environment "prod" of shop-frontend
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        worker = Worker(sessions, Recommender(None), name="catalog-test", clock=lambda: NOW)
        assert await worker.run_once()
        async with sessions() as session:
            job = await repository.get_job(session, job_id)
            assert job is not None and job.status == "succeeded", job and job.error
            result = await repository.get_result(session, job.result_id or 0)
            assert result is not None
            return result
    finally:
        await engine.dispose()


def test_tempo_metrics_in_the_catalog_make_the_analysis_choose_the_tempo_family(
    pg_url: str,
) -> None:
    _record(pg_url, "prod", TEMPO, NOW)
    _record(pg_url, "staging", OTEL_HTTP, NOW)  # another environment's metrics are not read

    result = asyncio.run(_analyze(pg_url))

    summary = result.summary
    assert summary["metric_family"] == FamilyKind.TEMPO.value
    assert summary["metric_family_source"] == FROM_CATALOG
    assert summary["metric_family_chosen_by"] == "metric catalog"
    assert summary["metric_family_histogram"] == "traces_spanmetrics_latency"
    candidates = [c for entry in result.recommendations for c in entry["sli_candidates"]]
    assert candidates and {c["family"] for c in candidates} == {FamilyKind.TEMPO.value}
    assert all("traces_spanmetrics_calls_total" in c["total_query"]
               for c in candidates if c["kind"] == "availability")


def test_otel_http_server_duration_over_otlp_makes_the_analysis_choose_http_server(
    pg_url: str,
) -> None:
    _record(pg_url, "prod", OTEL_HTTP, NOW)

    summary = asyncio.run(_analyze(pg_url)).summary

    assert summary["metric_family"] == FamilyKind.HTTP_SERVER.value
    assert summary["metric_family_chosen_by"] == "metric catalog"
    # the Prometheus name the OTLP endpoint gives the semantic-convention histogram
    assert summary["metric_family_histogram"] == "http_server_request_duration_seconds"


def test_an_empty_catalog_leaves_the_default_family(pg_url: str) -> None:
    _record(pg_url, "staging", TEMPO, NOW)  # only another environment has metrics

    summary = asyncio.run(_analyze(pg_url)).summary

    assert summary["metric_family"] == FamilyKind.SPANMETRICS.value
    assert summary["metric_family_source"] == "default"
    assert summary["metric_family_chosen_by"] == "default"


def test_a_configured_family_is_not_overridden_by_the_catalog(pg_url: str) -> None:
    _record(pg_url, "prod", TEMPO, NOW)

    async def go() -> dict[str, object]:
        [job_id] = await seed_and_enqueue(pg_url)
        engine = create_engine(pg_url)
        sessions = session_factory(engine)
        try:
            recommender = Recommender(FAMILIES[FamilyKind.HTTP_SERVER])
            worker = Worker(sessions, recommender, name="configured", clock=lambda: NOW)
            assert await worker.run_once()
            async with sessions() as session:
                job = await repository.get_job(session, job_id)
                assert job is not None
                result = await repository.get_result(session, job.result_id or 0)
                assert result is not None
                return result.summary
        finally:
            await engine.dispose()

    summary = asyncio.run(go())
    assert summary["metric_family"] == FamilyKind.HTTP_SERVER.value
    assert summary["metric_family_chosen_by"] == "configured"


def test_spanmetrics_connector_names_over_otlp_get_their_prometheus_names() -> None:
    chosen = choose_from_catalog([
        CatalogMetric("traces.span.metrics.calls", "counter", "otlp_grpc"),
        CatalogMetric("traces.span.metrics.duration", "histogram", "otlp_grpc"),
    ])
    assert chosen.source == FROM_CATALOG
    assert chosen.family.kind == FamilyKind.SPANMETRICS
    assert chosen.family.histogram == "traces_span_metrics_duration_milliseconds"
    assert chosen.family.calls == "traces_span_metrics_calls_total"


def test_a_journeys_sli_candidates_are_written_for_the_family_its_catalog_shows(
    pg_url: str,
) -> None:
    from fastapi.testclient import TestClient
    from tests.api.conftest import ADMIN_KEY, settings_for

    from slo_scout.api.app import create_app

    asyncio.run(seed_and_enqueue(pg_url))  # journeys in environment "prod" of shop-frontend
    with TestClient(create_app(settings_for(pg_url))) as client:
        client.headers["X-API-Key"] = ADMIN_KEY
        [journey, *_] = client.get("/api/v1/journeys").json()["items"]
        path = f"/api/v1/journeys/{journey['id']}/sli-candidates"
        before = client.get(path).json()
        assert [c["family"] for c in before] == ["spanmetrics"] * len(before)
        _record(pg_url, "prod", TEMPO, NOW)
        after = client.get(path).json()
        assert after and [c["family"] for c in after] == ["tempo"] * len(after)
        assert all("traces_spanmetrics" in c["total_query"] for c in after)
