"""Every mutation is audited with its team, so each team's admins read what happened to it:
ingest (the services, environments and journeys it created), key revocations; the audit log is
for admins only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW, seed
from tests.api.otlp_payloads import otlp_json, trace_spans


def _issue(client: TestClient, subject: str, team: str, role: str, by: str = ADMIN_KEY) -> str:
    answer = client.post("/api/v1/api-keys", headers={"X-API-Key": by}, json={
        "subject": subject, "name": subject, "team": team, "role": role})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["key"])


def _audit(client: TestClient, key: str) -> list[dict[str, object]]:
    answer = client.get("/api/v1/audit", headers={"X-API-Key": key})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_ingest_is_audited_with_its_team_and_what_it_created(client: TestClient) -> None:
    editor = _issue(client, "ed", "shop", "editor")
    admin = _issue(client, "ann", "shop", "admin")
    spans = [s for i in range(5) for s in trace_spans(i, NOW)]
    answer = client.post("/api/v1/ingest/traces", headers={"X-API-Key": editor},
                         params={"team": "shop", "environment": "prod", "flush": "true"},
                         content=otlp_json(spans), )
    assert answer.status_code == 200 and answer.json()["traces"] == 5, answer.text
    [entry] = [e for e in _audit(client, admin) if e["action"] == "ingest.record"]
    assert (entry["actor"], entry["team"], entry["target_type"], entry["target_id"]) == (
        "key:ed", "shop", "environment", "prod")
    details = entry["details"]
    assert isinstance(details, dict)
    assert details["traces"] == 5 and details["services"] == ["shop-frontend"]
    assert details["created"] == ["team shop", "service shop-frontend",
                                  "environment shop-frontend/prod"]
    assert len(details["new_journeys"]) == 1
    # the same traffic again creates nothing and counts nothing: nothing to audit
    client.post("/api/v1/ingest/traces", headers={"X-API-Key": editor},
                params={"team": "shop", "environment": "prod", "flush": "true"},
                content=otlp_json(spans))
    assert len([e for e in _audit(client, admin) if e["action"] == "ingest.record"]) == 1


def test_a_revocation_is_read_by_the_admins_of_the_keys_team(
    client: TestClient, migrated_url: str
) -> None:
    seed(migrated_url, team="shop", service="shop-frontend")
    shop_admin = _issue(client, "ann", "shop", "admin")
    pay_admin = _issue(client, "pat", "payments", "admin")
    viewer = _issue(client, "vic", "shop", "viewer")
    prefix = viewer.split("_")[1]
    revoked = client.post(f"/api/v1/api-keys/{prefix}/revoke", headers={"X-API-Key": ADMIN_KEY})
    assert revoked.status_code == 200, revoked.text
    [seen] = [e for e in _audit(client, shop_admin) if e["action"] == "api_key.revoke"]
    assert (seen["team"], seen["target_id"], seen["actor"]) == (
        "shop", prefix, "key:bootstrap-admin")
    assert [e for e in _audit(client, pay_admin) if e["action"] == "api_key.revoke"] == []


def test_the_audit_log_is_for_admins_only(client: TestClient) -> None:
    for role in ("viewer", "editor", "approver"):
        key = _issue(client, f"someone-{role}", "shop", role)
        answer = client.get("/api/v1/audit", headers={"X-API-Key": key})
        assert answer.status_code == 403, (role, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "admin" in answer.json()["detail"]
    assert _audit(client, _issue(client, "ann", "shop", "admin")) != []
