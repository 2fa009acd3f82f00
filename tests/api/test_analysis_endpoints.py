"""POST /api/v1/analyze queues a durable job; GET shows status, progress, timings and links."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.analysis_run import run_worker as _run_worker
from tests.api.conftest import NOW, seed
from tests.fixtures.control_plane import journey


def test_analyze_returns_202_and_the_job_reports_its_result(
    client: TestClient, migrated_url: str
) -> None:
    seed(migrated_url, journeys=[journey(start=NOW - timedelta(hours=3), minutes=180)])
    response = client.post("/api/v1/analyze", json={
        "service": "shop-frontend", "environment": "prod", "lookback": "1d",
    })
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["lookback_seconds"] == 86400
    assert response.headers["Location"] == f"/api/v1/analyze/{job['id']}"

    _run_worker(migrated_url)
    status = client.get(f"/api/v1/analyze/{job['id']}").json()
    assert status["status"] == "succeeded" and status["progress"] == 1.0
    assert set(status["timings"]) == {"load_s", "recommend_s"}
    result = client.get(status["links"]["result"]).json()
    assert result["job_id"] == job["id"] and result["version"] == 1
    [entry] = result["recommendations"]
    assert entry["journey_key"] == "j-checkout"
    assert [c["kind"] for c in entry["sli_candidates"]] == ["availability", "latency"]

    again = client.post("/api/v1/analyze", json={"service": "shop-frontend",
                                                   "environment": "prod", "lookback": "1d"})
    _run_worker(migrated_url)
    second = client.get(f"/api/v1/analyze/{again.json()['id']}").json()
    assert client.get(second["links"]["result"]).json()["version"] == 2


def test_analyze_names_the_field_that_is_wrong(client: TestClient) -> None:
    response = client.post("/api/v1/analyze", json={"service": "x", "lookback": "a month"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["lookback"]
    assert "lookback" in body["detail"]


def test_analyze_of_an_unknown_service_is_a_404_problem(client: TestClient) -> None:
    response = client.post("/api/v1/analyze", json={"service": "nope", "environment": "prod"})
    assert response.status_code == 404
    assert response.json()["detail"] == "service 'nope' does not exist"


def test_an_unknown_job_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/analyze/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
