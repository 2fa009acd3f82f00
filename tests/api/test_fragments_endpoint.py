"""Fragments (traces whose root never arrived) are kept across uploads and listed apart from
journeys, to the teams that may see them."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from tests.api.conftest import NOW, seed
from tests.api.otlp_payloads import otlp_json, trace_spans

START = NOW - timedelta(minutes=30)


def _orphans(indexes: range) -> bytes:
    """The child spans only of traces ``indexes``: their roots never come."""
    return otlp_json([trace_spans(i, START)[1] for i in indexes])


def _ingest(client: TestClient, body: bytes) -> None:
    response = client.post("/api/v1/ingest/traces", content=body,
                           params={"team": "shop", "environment": "prod", "flush": "true"})
    assert response.status_code == 200, response.text


def test_fragments_of_several_uploads_add_up_apart_from_journeys(client: TestClient) -> None:
    _ingest(client, _orphans(range(3, 6)))
    _ingest(client, _orphans(range(0, 4)))  # trace 3 again: counted once, by the ledger
    page = client.get("/api/v1/fragments", params={"environment": "prod"}).json()
    assert page["total"] == 1
    [fragment] = page["items"]
    assert (fragment["team"], fragment["service"], fragment["operation"]) == (
        "shop", "shop-frontend", "Charge")
    assert (fragment["traces"], fragment["spans"]) == (6, 6)
    assert fragment["sample_trace_ids"] == [f"{i + 1:032x}" for i in range(5)]  # the earliest
    first_start = START + timedelta(milliseconds=1)
    assert fragment["first_seen"].startswith(first_start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert fragment["last_seen"].startswith(
        (first_start + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S"))
    assert client.get("/api/v1/journeys").json()["items"] == []
    assert client.get("/api/v1/fragments", params={"environment": "staging"}).json() == {
        "items": [], "total": 0, "limit": 50, "offset": 0}


def test_another_teams_viewer_sees_none_of_them(client: TestClient, migrated_url: str) -> None:
    _ingest(client, _orphans(range(2)))
    seed(migrated_url, team="payments", service="payments-api")
    key = client.post("/api/v1/api-keys", json={
        "subject": "bob", "name": "b", "team": "payments", "role": "viewer"}).json()["key"]
    mine = client.get("/api/v1/fragments", headers={"X-API-Key": key}).json()
    assert mine["total"] == 0 and mine["items"] == []
    assert client.get("/api/v1/fragments").json()["total"] == 1  # the admin sees them
