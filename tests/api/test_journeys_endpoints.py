"""Journeys: filters and pagination, detail with graph, statistics over time, health/metrics."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import NOW, seed
from tests.fixtures.control_plane import journey


def _seed_three(url: str) -> None:
    start = NOW - timedelta(hours=2)
    seed(url, journeys=[
        journey("j-a", operation="GET /items", start=start, minutes=120, requests_per_minute=30),
        journey("j-b", operation="POST /checkout", start=start, minutes=120,
                requests_per_minute=20, errors_per_minute=2, latency_s=0.2),
        journey("j-c", operation="GET /cart", start=start, minutes=120, requests_per_minute=10),
    ])


def test_journeys_list_filters_and_paginates(client: TestClient, migrated_url: str) -> None:
    _seed_three(migrated_url)
    page = client.get("/api/v1/journeys", params={"limit": 2}).json()
    assert page["total"] == 3 and [j["key"] for j in page["items"]] == ["j-a", "j-b"]
    rest = client.get("/api/v1/journeys", params={"limit": 2, "offset": 2}).json()
    assert [j["key"] for j in rest["items"]] == ["j-c"]
    found = client.get("/api/v1/journeys", params={"search": "checkout"}).json()
    assert [j["key"] for j in found["items"]] == ["j-b"]
    assert found["items"][0]["error_ratio"] == 0.1
    assert client.get("/api/v1/journeys", params={"service": "other"}).json()["total"] == 0
    bad = client.get("/api/v1/journeys", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "limit"


def test_journey_detail_has_its_graph_and_stats_over_time(
    client: TestClient, migrated_url: str
) -> None:
    _seed_three(migrated_url)
    [b] = client.get("/api/v1/journeys", params={"search": "checkout"}).json()["items"]
    detail = client.get(f"/api/v1/journeys/{b['id']}").json()
    assert detail["graph"]["edges"] == [
        {"caller": "shop-frontend", "callee": "payments", "operation": "Charge", "calls": 2400}
    ]
    assert abs(detail["p99_s"] - 0.2) / 0.2 < 0.01
    stats = client.get(f"/api/v1/journeys/{b['id']}/stats", params={
        "start": (NOW - timedelta(hours=2)).isoformat(), "end": NOW.isoformat(),
        "step_minutes": 60,
    }).json()
    assert [(p["requests"], p["errors"]) for p in stats["points"]] == [(1200, 120), (1200, 120)]
    slis = client.get(f"/api/v1/journeys/{b['id']}/sli-candidates").json()
    assert [s["kind"] for s in slis] == ["availability", "latency"]
    assert client.get("/api/v1/journeys/999999").status_code == 404


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["migrations"]["current"] == ready["migrations"]["head"]
    client.get("/api/v1/journeys")
    text = client.get("/metrics").text
    assert 'slo_scout_http_requests_total{method="GET",route="/api/v1/journeys",status="200"}' \
        in text
    assert "slo_scout_http_request_duration_seconds_bucket" in text
