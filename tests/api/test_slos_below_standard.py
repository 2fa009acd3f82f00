"""Issue 13: a journey below the standard targets gets an honest objective that can be adopted
and reviewed like any other; its incidents and backtest travel in the description."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.analysis_run import run_worker
from tests.api.conftest import NOW, seed
from tests.fixtures.control_plane import journey


def _editor(client: TestClient) -> dict[str, str]:
    issued = client.post("/api/v1/api-keys", json={
        "subject": "erin", "name": "erin", "team": "shop", "role": "editor"})
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}


def test_a_below_standard_recommendation_is_adopted_with_its_honest_objective(
    client: TestClient, migrated_url: str
) -> None:
    # a day of checkout at 200 requests a minute, 2% failing
    seed(migrated_url, journeys=[journey(start=NOW - timedelta(hours=24), minutes=24 * 60,
                                         requests_per_minute=200, errors_per_minute=4)])
    job = client.post("/api/v1/analyze", json={
        "service": "shop-frontend", "environment": "prod", "lookback": "1d"}).json()
    run_worker(migrated_url)
    status = client.get(f"/api/v1/analyze/{job['id']}").json()
    assert status["status"] == "succeeded", status
    result = client.get(status["links"]["result"]).json()
    [entry] = result["recommendations"]
    [availability] = [r for r in entry["recommendations"] if r["kind"] == "availability"]
    assert availability["status"] == "below standard targets"
    assert availability["objective"] == 97.5
    assert availability["evidence"]["backtest"]["held"] is True
    created = client.post("/api/v1/slos/from-recommendation", headers=_editor(client), json={
        "result_id": result["id"], "journey_key": entry["journey_key"],
        "sli_kind": "availability"})
    assert created.status_code == 201, created.text
    slo = created.json()
    assert slo["objective"] == 97.5
    assert "needs reliability work" in slo["description"]
    assert "Backtest:" in slo["description"]


def _availability(client: TestClient, migrated_url: str, **ask: object) -> dict:  # type: ignore[type-arg]
    job = client.post("/api/v1/analyze", json={
        "service": "shop-frontend", "environment": "prod", "lookback": "1d", **ask})
    assert job.status_code == 202, job.text
    assert job.json()["include_incidents"] is ask.get("include_incidents", False)
    run_worker(migrated_url)
    status = client.get(f"/api/v1/analyze/{job.json()['id']}").json()
    assert status["status"] == "succeeded", status
    result = client.get(status["links"]["result"]).json()
    assert result["summary"]["include_incidents"] is ask.get("include_incidents", False)
    [entry] = result["recommendations"]
    [availability] = [r for r in entry["recommendations"] if r["kind"] == "availability"]
    return availability  # type: ignore[no-any-return]


def test_a_reviewer_can_ask_for_the_incidents_to_count(
    client: TestClient, migrated_url: str
) -> None:
    # a clean day of checkout with one hour of an error burst (30% failing) in its middle
    start = NOW - timedelta(hours=24)
    seed(migrated_url, journeys=[
        journey(start=start, minutes=12 * 60, requests_per_minute=200),
        journey(start=start + timedelta(hours=12), minutes=60, requests_per_minute=200,
                errors_per_minute=60),
        journey(start=start + timedelta(hours=13), minutes=11 * 60, requests_per_minute=200),
    ])
    left_out = _availability(client, migrated_url)
    assert left_out["evidence"]["incidents"], left_out["evidence"]
    assert left_out["evidence"]["incidents_included"] is False
    kept_in = _availability(client, migrated_url, include_incidents=True)
    assert kept_in["evidence"]["incidents_included"] is True
    # the burst is 1.25% of the day's requests: counted, it costs the steady-state target
    assert kept_in["objective"] < left_out["objective"]
    assert kept_in["objective"] == left_out["evidence"]["alternative_objective"]
