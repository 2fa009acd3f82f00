"""Issue 14: a journey with too little traffic gets a provisional draft that can be adopted and
reviewed; the SLO stays marked provisional (its source) and says where the draft came from."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.analysis_run import run_worker
from tests.api.conftest import NOW, seed
from tests.fixtures.control_plane import journey


def test_a_provisional_draft_is_adopted_and_stays_marked_in_the_review(
    client: TestClient, migrated_url: str
) -> None:
    # ten minutes of one request a minute: far below the rule's 100 requests
    seed(migrated_url, journeys=[journey(start=NOW - timedelta(minutes=10), minutes=10,
                                         requests_per_minute=1)])
    job = client.post("/api/v1/analyze", json={
        "service": "shop-frontend", "environment": "prod", "lookback": "1d"}).json()
    run_worker(migrated_url)
    status = client.get(f"/api/v1/analyze/{job['id']}").json()
    assert status["status"] == "succeeded", status
    result = client.get(status["links"]["result"]).json()
    assert result["summary"]["model"]["fallback"].startswith("no model configured")
    [entry] = result["recommendations"]
    [availability] = [r for r in entry["recommendations"] if r["kind"] == "availability"]
    assert availability["status"] == "insufficient data"
    assert availability["provisional"]["source"] == "convention"
    assert availability["objective"] == 99.0
    issued = client.post("/api/v1/api-keys", json={
        "subject": "erin", "name": "erin", "team": "shop", "role": "editor"})
    created = client.post("/api/v1/slos/from-recommendation",
                          headers={"X-API-Key": issued.json()["key"]}, json={
                              "result_id": result["id"], "journey_key": entry["journey_key"],
                              "sli_kind": "availability"})
    assert created.status_code == 201, created.text
    slo = created.json()
    assert (slo["objective"], slo["source"]) == (99.0, "provisional")
    assert slo["description"].startswith("Provisional, for review")
