"""Anomalies with availability from a real Prometheus (Debian's package) loaded with a known
series: four days of 0.2% errors with one planted hour of 10%, found where it was planted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW, seed
from tests.fixtures.control_plane import database_url, journey, migrated_url  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401
from tests.fixtures.prometheus_history import LABELS, PROMETHEUS, PROMTOOL, serving

from slo_scout.api.app import create_app
from slo_scout.settings import Settings

STEP_S = 300
CALLS, ERRORS, BURST_ERRORS = 600, 1, 60  # per sample step

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None, reason="prometheus and promtool are not installed"
)


def _end() -> datetime:
    # blocks well before the server's head block, whatever the wall clock says
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)


def _burst_hour(end: datetime) -> datetime:
    return end - timedelta(hours=6)


def _openmetrics(end: datetime, days: int) -> str:
    last = int(end.timestamp())
    burst = int(_burst_hour(end).timestamp())
    stamps = list(range(last - days * 86400, last + 1, STEP_S))
    errors, total, lines = 0, 0, ["# TYPE traces_span_metrics_calls counter"]
    ok_lines, error_lines = [], []
    for ts in stamps:
        # the counters grow in the step that ends at ts: the burst's twelve steps end within
        # (burst, burst + 1h]
        failed = BURST_ERRORS if burst < ts <= burst + 3600 else ERRORS
        errors += failed
        total += CALLS - failed
        ok_lines.append(f'traces_span_metrics_calls_total{{{LABELS},'
                        f'status_code="STATUS_CODE_UNSET"}} {total} {ts}')
        error_lines.append(f'traces_span_metrics_calls_total{{{LABELS},'
                           f'status_code="STATUS_CODE_ERROR"}} {errors} {ts}')
    return "\n".join(lines + ok_lines + error_lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def loaded_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, datetime]]:
    work = tmp_path_factory.mktemp("prometheus-bands")
    end = _end()
    with serving(work, _openmetrics(end, days=4)) as url:
        yield url, end


def test_the_planted_hour_is_found_in_the_servers_history(
    loaded_prometheus: tuple[str, datetime], migrated_url: str  # noqa: F811
) -> None:
    url, end = loaded_prometheus
    seed(migrated_url, journeys=[journey()])
    settings = Settings(database_url=migrated_url, auth={"bootstrap_admin_key": ADMIN_KEY},
                        history={"prometheus_url": url, "metric_family": "spanmetrics"})
    with TestClient(create_app(settings, clock=lambda: NOW),
                    headers={"X-API-Key": ADMIN_KEY}) as client:
        [item] = client.get("/api/v1/journeys").json()["items"]
        got = client.get(f"/api/v1/journeys/{item['id']}/anomalies", params={
            "start": (end - timedelta(days=1)).isoformat(), "end": end.isoformat(),
            "history_days": 3, "source": "prometheus"})
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["source"] == "prometheus"
        availability, latency = body["slis"]
        assert availability["status"] == "ok"
        assert latency["status"] == "insufficient_history"  # p99: the stored minutes only
        flagged = [datetime.fromisoformat(a["start"].replace("Z", "+00:00"))
                   for a in availability["anomalies"]]
        burst = _burst_hour(end)
        assert burst in flagged
        assert all(abs(at - burst) <= timedelta(hours=1) for at in flagged)
        [worst] = [a for a in availability["anomalies"]
                   if a["start"].startswith(burst.strftime("%Y-%m-%dT%H"))]
        assert worst["value"] == pytest.approx(1 - BURST_ERRORS / CALLS, abs=0.01)
        assert worst["side"] == "low"


def test_a_prometheus_source_needs_a_configured_server(
    migrated_url: str  # noqa: F811
) -> None:
    seed(migrated_url, journeys=[journey()])
    settings = Settings(database_url=migrated_url, auth={"bootstrap_admin_key": ADMIN_KEY})
    with TestClient(create_app(settings, clock=lambda: NOW),
                    headers={"X-API-Key": ADMIN_KEY}) as client:
        [item] = client.get("/api/v1/journeys").json()["items"]
        got = client.get(f"/api/v1/journeys/{item['id']}/anomalies",
                         params={"source": "prometheus"})
        assert got.status_code == 422
        assert got.json()["errors"][0]["field"] == "source"


