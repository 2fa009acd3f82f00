"""Key revocation, service totals per caller, and job states on /metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.analysis_run import analyzed
from tests.api.conftest import seed
from tests.api.test_slos_endpoints import _key


def test_a_revoked_key_stops_working_and_the_revocation_is_audited(
    client: TestClient, migrated_url: str
) -> None:
    seed(migrated_url)
    issued = client.post("/api/v1/api-keys", json={
        "subject": "mallory", "name": "m", "team": "shop", "role": "editor"}).json()
    key = {"X-API-Key": issued["key"]}
    assert client.get("/api/v1/journeys", headers=key).status_code == 200
    other_admin = _key(client, "olga", "admin", team="payments")
    denied = client.post(f"/api/v1/api-keys/{issued['prefix']}/revoke", headers=other_admin)
    assert denied.status_code == 403 and "shop" in denied.json()["detail"]
    revoked = client.post(f"/api/v1/api-keys/{issued['prefix']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["subject"] == "key:mallory"
    assert client.get("/api/v1/journeys", headers=key).status_code == 401
    assert client.post("/api/v1/api-keys/doesnotexist/revoke").status_code == 404
    assert client.get("/api/v1/audit").json()[0]["action"] == "api_key.revoke"


def test_the_services_total_counts_only_what_the_caller_may_see(
    client: TestClient, migrated_url: str
) -> None:
    for team, name in (("shop", "a-shop"), ("shop", "b-shop"), ("payments", "c-pay")):
        seed(migrated_url, team=team, service=name)
    viewer = _key(client, "vera", "viewer")
    page = client.get("/api/v1/services", params={"limit": 1}, headers=viewer).json()
    assert page == {"items": [{"name": "a-shop", "team": "shop"}], "total": 2}
    assert client.get("/api/v1/services").json()["total"] == 3


def test_finished_jobs_show_on_metrics_from_the_database(
    client: TestClient, migrated_url: str
) -> None:
    analyzed(client, migrated_url)
    text = client.get("/metrics").text
    assert 'slo_scout_analysis_jobs_by_status{status="succeeded"} 1.0' in text
    assert 'slo_scout_analysis_jobs_by_status{status="queued"} 0.0' in text
