"""SLI history from a real Prometheus (Debian's package) loaded with known series: an analysis
of a journey with one hour of stored statistics gets targets grounded in 30 days of history.

The server and its series: ``tests/fixtures/prometheus_history.py`` (one for the whole run).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from tests.api.conftest import seed
from tests.fixtures.control_plane import journey
from tests.fixtures.prometheus_history import (
    CALLS_PER_STEP,
    END,
    LABELS,
    PROMETHEUS,
    PROMTOOL,
    STEP_S,
    free_port,
    prometheus,
)

from slo_scout.control.analysis import service as analysis
from slo_scout.control.analysis.family import FROM_METADATA, FROM_NAMES, FamilyChoice, detect_sync
from slo_scout.control.analysis.history import HistoryError, PrometheusHistory
from slo_scout.control.analysis.recommending import Recommender
from slo_scout.control.catalog.service import find_environment
from slo_scout.core.slis import FamilyKind
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import AnalysisResult
from slo_scout.worker.loop import Worker

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None, reason="prometheus and promtool are not installed"
)


# What a collector's spanmetrics connector with `histogram.unit: s` exposes for Prometheus to
# scrape (the metadata API lists only scraped metrics).
EXPOSITION = f"""# HELP traces_span_metrics_calls_total Number of calls
# TYPE traces_span_metrics_calls_total counter
traces_span_metrics_calls_total{{{LABELS},status_code="STATUS_CODE_UNSET"}} 10
# HELP traces_span_metrics_duration_seconds Duration of spans
# TYPE traces_span_metrics_duration_seconds histogram
traces_span_metrics_duration_seconds_bucket{{{LABELS},le="0.1"}} 9
traces_span_metrics_duration_seconds_bucket{{{LABELS},le="+Inf"}} 10
traces_span_metrics_duration_seconds_sum{{{LABELS}}} 0.5
traces_span_metrics_duration_seconds_count{{{LABELS}}} 10
"""


class _Exposition(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = EXPOSITION.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def scraping_prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    target = ThreadingHTTPServer(("127.0.0.1", 0), _Exposition)
    thread = threading.Thread(target=target.serve_forever, daemon=True)
    thread.start()
    config = ("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: collector\n"
              f"    static_configs:\n      - targets: ['127.0.0.1:{target.server_port}']\n")
    try:
        with prometheus(tmp_path_factory.mktemp("scraping"), config) as url:
            for _ in range(300):  # until the first scrape has filled the metadata
                if httpx.get(f"{url}/api/v1/metadata").json()["data"]:
                    break
                time.sleep(0.1)
            yield url
    finally:
        target.shutdown()
        target.server_close()


def test_the_loaded_history_covers_the_lookback(prometheus_url: str) -> None:
    end = END
    query = f"count_over_time(traces_span_metrics_calls_total{{{LABELS}}}[30d])"
    body = httpx.get(f"{prometheus_url}/api/v1/query",
                     params={"query": query, "time": end.timestamp()}).json()
    counts = sorted(int(r["value"][1]) for r in body["data"]["result"])
    assert counts == [30 * 86400 // STEP_S + 1] * 2  # both ends of the range are inside


def test_window_counts_are_the_events_of_each_window(prometheus_url: str) -> None:
    async def go() -> list[tuple[int, int]]:
        history = PrometheusHistory(prometheus_url)
        try:
            windows = await history.window_counts(
                f'sum(rate(traces_span_metrics_calls_total{{{LABELS},'
                'status_code!="STATUS_CODE_ERROR"}[{{.window}}]))',
                f"sum(rate(traces_span_metrics_calls_total{{{LABELS}}}[{{{{.window}}}}]))",
                now=END, lookback_s=28 * 86400, windows=4)
        finally:
            await history.close()
        return [(w.good, w.total) for w in windows]

    per_week = 7 * 86400 // STEP_S * CALLS_PER_STEP
    for good, total in asyncio.run(go()):
        assert abs(total - per_week) / per_week < 0.01
        assert abs((total - good) / total - 0.001) < 0.0001


def test_an_analysis_gets_targets_grounded_in_the_servers_history(
    prometheus_url: str, migrated_url: str
) -> None:
    end = END
    # one hour of stored statistics: alone, far too little to back a target
    seed(migrated_url, journeys=[journey(start=end - timedelta(hours=1), minutes=60,
                                         requests_per_minute=5)])

    async def go() -> AnalysisResult:
        engine = create_engine(migrated_url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                _, _, env = await find_environment(session, service="shop-frontend",
                                                   environment="prod")
                job = await analysis.enqueue(
                    session, environment_id=env.id, lookback_seconds=30 * 86400,
                    strategy="balanced", requested_by="key:test", max_attempts=1, now=end)
                await session.commit()
            # no family named: the analysis asks the server which metrics it holds
            recommender = Recommender(None, PrometheusHistory(prometheus_url))
            worker = Worker(sessions, recommender, name="history-test", clock=lambda: end)
            assert await worker.run_once()
            async with sessions() as session:
                done = await analysis.get_job(session, job.id)
                assert done is not None and done.status == "succeeded", done and done.error
                found = await analysis.get_result(session, done.result_id or 0)
                assert found is not None
                return found
        finally:
            await engine.dispose()

    result = asyncio.run(go())
    assert result.summary["history_source"] == "prometheus"
    assert result.summary["metric_family"] == FamilyKind.SPANMETRICS.value
    assert result.summary["metric_family_source"] in (FROM_METADATA, FROM_NAMES)
    assert result.summary["metric_family_histogram"] == "traces_span_metrics_duration_milliseconds"
    [entry] = result.recommendations
    assert {c["family"] for c in entry["sli_candidates"]} == {FamilyKind.SPANMETRICS.value}
    recs = {r["kind"]: r for r in entry["recommendations"]}
    thirty_days = 30 * 86400 // STEP_S * CALLS_PER_STEP
    availability = recs["availability"]
    assert availability["status"] == "ok"
    assert abs(availability["evidence"]["total"] - thirty_days) / thirty_days < 0.01
    assert abs(availability["evidence"]["ratio"] - 0.999) < 0.0001
    assert availability["objective"] in (98.0, 99.0, 99.5)  # below the measured 99.9 %
    latency = recs["latency"]
    assert latency["status"] == "ok" and latency["threshold_s"] is not None
    assert abs(latency["evidence"]["total"] - thirty_days) / thirty_days < 0.01
    assert entry["requests"] == 300  # what is stored locally; the targets rest on the history


def test_the_family_is_detected_from_the_servers_metric_names_when_it_lists_no_metadata(
    prometheus_url: str,
) -> None:
    # backfilled blocks have no scrape target, so /api/v1/metadata is empty
    metadata = httpx.get(f"{prometheus_url}/api/v1/metadata").json()
    assert metadata == {"status": "success", "data": {}}

    chosen = asyncio.run(_detect(prometheus_url))
    assert chosen.source == FROM_NAMES
    assert chosen.family.kind == FamilyKind.SPANMETRICS
    assert chosen.family.histogram == "traces_span_metrics_duration_milliseconds"
    assert chosen.family.calls == "traces_span_metrics_calls_total"
    assert chosen.family.unit == "ms"
    assert detect_sync(prometheus_url) == chosen  # the command line's path finds the same


async def _detect(url: str) -> FamilyChoice:
    history = PrometheusHistory(url)
    try:
        return await history.detect_family()
    finally:
        await history.close()


def test_the_family_and_its_unit_are_detected_from_the_metadata_of_scraped_metrics(
    scraping_prometheus_url: str,
) -> None:
    chosen = asyncio.run(_detect(scraping_prometheus_url))
    assert chosen.source == FROM_METADATA
    assert chosen.family.kind == FamilyKind.SPANMETRICS
    assert chosen.family.histogram == "traces_span_metrics_duration_seconds"
    assert chosen.family.unit == "s"
    assert chosen.family.le_for(0.1) == 0.1  # boundaries in seconds, as the server has them


def test_an_unreachable_server_is_an_error_that_names_its_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(HistoryError, match=f"cannot reach Prometheus at {url}"):
        asyncio.run(_detect(url))
