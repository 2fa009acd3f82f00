"""Mimir and VictoriaMetrics through the one Prometheus history reader: path prefixes, the
tenant header, bearer and basic auth, retries on 429/5xx, errors that name the server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.fixtures.backends import prometheus_server

from slo_scout.control.analysis.family import detect_sync
from slo_scout.control.analysis.history import HistoryError, PrometheusHistory
from slo_scout.settings import Settings
from slo_scout.sources import Retry
from slo_scout.worker.factory import build_recommender

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
FAST = Retry(attempts=3, backoff_s=0.01)


def counts(history: PrometheusHistory) -> list[tuple[int, int]]:
    async def run() -> list[tuple[int, int]]:
        try:
            found = await history.window_counts("good{{.window}}", "total{{.window}}", now=NOW,
                                                lookback_s=4 * 3600, windows=4)
            return [(w.good, w.total) for w in found]
        finally:
            await history.close()

    return asyncio.run(run())


def test_mimir_is_read_under_its_prefix_with_the_tenant_it_requires() -> None:
    mimir = prometheus_server(prefix="/prometheus", tenant="team-a",
                              rates={"good3600s": 0.9, "total3600s": 1.0})
    try:
        assert counts(PrometheusHistory(mimir.url, tenant="team-a", retry=FAST)) == [
            (3240, 3600)] * 4
        seen = mimir.requests_to("/prometheus/api/v1/query_range")
        assert seen and all(s.headers["X-Scope-OrgID"] == "team-a" for s in seen)
        with pytest.raises(HistoryError) as caught:
            counts(PrometheusHistory(mimir.url, retry=FAST))
        assert str(caught.value).startswith(
            f"history query to prometheus at {mimir.url}/api/v1/query_range: HTTP 401")
    finally:
        mimir.close()


def test_victoriametrics_cluster_is_read_under_select_with_basic_auth() -> None:
    vm = prometheus_server(prefix="/select/0/prometheus", basic=("reader", "s3cret"),
                           rates={"good3600s": 1.0, "total3600s": 1.0})
    try:
        url = vm.url.replace("http://", "http://reader:s3cret@")
        assert counts(PrometheusHistory(url, retry=FAST)) == [(3600, 3600)] * 4
        with pytest.raises(HistoryError) as caught:
            counts(PrometheusHistory(vm.url.replace("http://", "http://reader:bad@"),
                                     retry=FAST))
        assert "bad" not in str(caught.value) and "***@" in str(caught.value)
    finally:
        vm.close()


def test_429_and_503_are_retried_and_a_bearer_token_is_sent() -> None:
    server = prometheus_server(bearer="tok", rates={"good3600s": 0.5, "total3600s": 1.0})
    try:
        server.fail("/api/v1/query_range", (429, "0"), (503, None))
        assert counts(PrometheusHistory(server.url, bearer_token="tok", retry=FAST)) == [
            (1800, 3600)] * 4
        assert len(server.requests_to("/api/v1/query_range")) == 4  # 2 refused, good, total
        server.fail("/api/v1/query_range", *[(503, None)] * 3)
        with pytest.raises(HistoryError, match="HTTP 503 after 3 attempts"):
            counts(PrometheusHistory(server.url, bearer_token="tok", retry=FAST))
    finally:
        server.close()


def test_family_detection_sends_the_tenant_and_token() -> None:
    mimir = prometheus_server(prefix="/prometheus", tenant="t1", bearer="tok",
                              names=["traces_span_metrics_calls_total",
                                     "traces_span_metrics_duration_milliseconds_bucket"])
    try:
        chosen = detect_sync(mimir.url, tenant="t1", bearer_token="tok")
        assert chosen.family.calls == "traces_span_metrics_calls_total"
    finally:
        mimir.close()


def test_the_worker_reads_history_with_the_configured_tenant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mimir = prometheus_server(prefix="/prometheus", tenant="ops",
                              rates={"good3600s": 0.9, "total3600s": 1.0})
    try:
        monkeypatch.setenv("SLO_SCOUT_HISTORY__PROMETHEUS_URL", mimir.url)
        monkeypatch.setenv("SLO_SCOUT_HISTORY__TENANT", "ops")
        recommender = build_recommender(Settings())
        history = recommender.history  # the reader the jobs use
        assert isinstance(history, PrometheusHistory)
        assert counts(history) == [(3240, 3600)] * 4
    finally:
        mimir.close()


def test_analyze_asks_mimir_for_the_metric_family_with_the_tenant(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from slo_scout.cli.main import app

    traces = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "otlp" / "trace.json"
    if not traces.exists():
        pytest.skip("../shared/datasets is absent (a plain clone)")
    mimir = prometheus_server(prefix="/prometheus", tenant="t1",
                              names=["traces_spanmetrics_calls_total",
                                     "traces_spanmetrics_latency_bucket"])
    try:
        args = ["analyze", str(traces), "--out", str(tmp_path / "o"), "--no-llm",
                "--prometheus-url", mimir.url]
        refused = CliRunner().invoke(app, args)
        assert refused.exit_code == 1 and "401" in refused.output
        found = CliRunner().invoke(app, [*args, "--tenant", "t1"])
        assert found.exit_code == 0, found.output
        assert "metric family tempo" in found.output
    finally:
        mimir.close()
