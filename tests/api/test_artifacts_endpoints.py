"""Artifacts: approved SLOs rendered into a bundle of files, fetched one by one, approved, and
diffed against the last approved bundle."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient
from tests.api.analysis_run import analyzed
from tests.api.test_slos_endpoints import _key


def test_approved_slos_render_into_bundles_diffed_against_the_last_approved(
    client: TestClient, migrated_url: str
) -> None:
    result = analyzed(client, migrated_url)
    approver = _key(client, "dave", "approver")
    # erin authors (not the admin who minted dave's key: four eyes would refuse dave)
    client.headers.update(_key(client, "erin", "approver"))
    nothing = client.post("/api/v1/artifacts", json={"service": "shop-frontend",
                                                      "environment": "prod"})
    assert nothing.status_code == 422 and "approve one" in nothing.json()["detail"]
    slo = client.post("/api/v1/slos/from-recommendation", json={
        "result_id": result["id"], "journey_key": "j-checkout", "sli_kind": "availability",
        "name": "checkout-availability"}).json()
    client.post(f"/api/v1/slos/{slo['id']}/approve", headers=approver,
                json={"comment": "ok", "version": 1})

    first = client.post("/api/v1/artifacts", json={"service": "shop-frontend",
                                                    "environment": "prod"})
    assert first.status_code == 201, first.text
    bundle = first.json()
    paths = [f["path"] for f in bundle["files"]]
    assert "sloth/shop-frontend.yaml" in paths and "rules/shop-frontend.yaml" in paths
    spec = yaml.safe_load(client.get(
        f"/api/v1/artifacts/{bundle['id']}/files/sloth/shop-frontend.yaml").text)
    assert [s["objective"] for s in spec["slos"]] == [slo["objective"]]
    assert client.get(f"/api/v1/artifacts/{bundle['id']}/files/nope.yaml").status_code == 404
    initial = client.get(f"/api/v1/artifacts/{bundle['id']}/diff").json()
    assert initial["against_bundle_id"] is None and initial["changed"] == paths
    own = client.post(f"/api/v1/artifacts/{bundle['id']}/approve",
                      json={"comment": "mine", "version": 1})
    assert own.status_code == 403
    other = client.post(f"/api/v1/artifacts/{bundle['id']}/approve", headers=approver,
                        json={"comment": "ship it", "version": 2})
    assert other.status_code == 409 and other.json()["current_version"] == 1
    etag = client.get(f"/api/v1/artifacts/{bundle['id']}").headers["etag"]
    assert etag == '"1.proposed"'
    approved = client.post(f"/api/v1/artifacts/{bundle['id']}/approve",
                           headers={**approver, "If-Match": etag}, json={"comment": "ship it"})
    assert approved.json()["status"] == "approved"
    again = client.post(f"/api/v1/artifacts/{bundle['id']}/approve",
                        headers={**approver, "If-Match": etag}, json={"comment": "ship it"})
    assert again.status_code == 409 and again.json()["current_status"] == "approved"

    client.patch(f"/api/v1/slos/{slo['id']}", json={"objective": 95.0})
    client.post(f"/api/v1/slos/{slo['id']}/approve", headers=approver,
                json={"comment": "ok", "version": 2})
    second = client.post("/api/v1/artifacts", json={"service": "shop-frontend",
                                                     "environment": "prod"}).json()
    assert second["version"] == 2
    diff = client.get(f"/api/v1/artifacts/{second['id']}/diff").json()
    assert diff["against_bundle_id"] == bundle["id"]
    assert "sloth/shop-frontend.yaml" in diff["changed"]
    assert "-  objective: " in diff["diff"] and "+  objective: 95" in diff["diff"]
    listed = client.get("/api/v1/artifacts", params={"service": "shop-frontend"}).json()
    assert [b["version"] for b in listed["items"]] == [2, 1]
