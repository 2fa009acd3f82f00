"""SLOs: adopted from a recommendation or written by hand, edited, reviewed with a comment by an
approver who did not make the change, every step in the history and the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.analysis_run import analyzed
from tests.api.conftest import ADMIN_KEY, NOW, settings_for

from slo_scout.api.app import create_app


def _key(client: TestClient, subject: str, role: str, team: str = "shop") -> dict[str, str]:
    issued = client.post("/api/v1/api-keys", json={
        "subject": subject, "name": subject, "team": team, "role": role})
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}


def test_an_slo_adopted_from_a_recommendation_is_reviewed_by_another_approver(
    client: TestClient, migrated_url: str
) -> None:
    result = analyzed(client, migrated_url)
    [entry] = result["recommendations"]  # type: ignore[misc]
    [availability] = [r for r in entry["recommendations"] if r["kind"] == "availability"]
    assert availability["status"] == "ok"
    editor, carol, dave = (_key(client, "erin", "editor"), _key(client, "carol", "approver"),
                           _key(client, "dave", "approver"))
    created = client.post("/api/v1/slos/from-recommendation", headers=editor, json={
        "result_id": result["id"], "journey_key": entry["journey_key"],
        "sli_kind": "availability"})
    assert created.status_code == 201, created.text
    slo = created.json()
    assert (slo["objective"], slo["source"], slo["status"], slo["version"]) == (
        availability["objective"], "recommendation", "proposed", 1)

    viewer = _key(client, "vic", "viewer")
    denied = client.patch(f"/api/v1/slos/{slo['id']}", headers=viewer, json={"objective": 99.0})
    assert denied.status_code == 403 and "editor" in denied.json()["detail"]
    edited = client.patch(f"/api/v1/slos/{slo['id']}", headers=editor,
                          json={"objective": 99.0, "comment": "start loose"})
    assert edited.json()["version"] == 2 and edited.json()["last_changed_by"] == "key:erin"

    no_comment = client.post(f"/api/v1/slos/{slo['id']}/approve", headers=carol, json={})
    assert no_comment.status_code == 422 and no_comment.json()["errors"][0]["field"] == "comment"
    by_editor = client.post(f"/api/v1/slos/{slo['id']}/approve", headers=editor,
                            json={"comment": "ok", "version": 2})
    assert by_editor.status_code == 403 and "approver" in by_editor.json()["detail"]
    approved = client.post(f"/api/v1/slos/{slo['id']}/approve", headers=dave,
                           json={"comment": "matches the last month", "version": 2})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = client.post(f"/api/v1/slos/{slo['id']}/reject", headers=carol,
                        json={"comment": "x", "version": 2})
    assert again.status_code == 409
    assert (again.json()["current_version"], again.json()["current_status"]) == (2, "approved")

    history = client.get(f"/api/v1/slos/{slo['id']}/history").json()
    assert [(h["action"], h["version"], h["actor"]) for h in history] == [
        ("create", 1, "key:erin"), ("edit", 2, "key:erin"), ("approve", 2, "key:dave")]
    assert history[1]["snapshot"]["objective"] == 99.0
    assert history[2]["comment"] == "matches the last month"
    actions = [a["action"] for a in client.get("/api/v1/audit").json()
               if a["target_type"] == "slo"]
    assert actions == ["slo.approve", "slo.edit", "slo.create"]


def test_an_approver_cannot_approve_their_own_change_unless_configured(
    client: TestClient, migrated_url: str
) -> None:
    analyzed(client, migrated_url)
    [journey] = client.get("/api/v1/journeys").json()["items"]
    body = {"service": "shop-frontend", "environment": "prod", "journey_id": journey["id"],
            "name": "checkout-latency", "sli_kind": "latency", "objective": 99.0,
            "threshold_seconds": 0.2}  # a spanmetrics bucket
    slo = client.post("/api/v1/slos", json=body).json()
    assert slo["source"] == "manual" and slo["status"] == "proposed"
    own = client.post(f"/api/v1/slos/{slo['id']}/approve", json={"comment": "mine", "version": 1})
    assert own.status_code == 403 and "another approver" in own.json()["detail"]
    rejected = client.post(f"/api/v1/slos/{slo['id']}/reject",
                           json={"comment": "too strict", "version": 1})
    assert rejected.json()["status"] == "rejected"
    assert client.post("/api/v1/slos", json=body).status_code == 409
    missing = client.post("/api/v1/slos", json={**body, "name": "x", "threshold_seconds": None})
    assert missing.status_code == 422

    relaxed = create_app(settings_for(migrated_url, allow_self_approval=True), clock=lambda: NOW)
    with TestClient(relaxed, headers={"X-API-Key": ADMIN_KEY}) as admin:
        client.patch(f"/api/v1/slos/{slo['id']}", json={"threshold_seconds": 0.4})
        own = admin.post(f"/api/v1/slos/{slo['id']}/approve",
                         json={"comment": "mine, allowed", "version": 2})
        assert own.status_code == 200 and own.json()["status"] == "approved"
    listed = client.get("/api/v1/slos", params={"status": "approved"}).json()
    assert [s["name"] for s in listed["items"]] == ["checkout-latency"]


def test_a_review_or_edit_lands_only_on_the_version_it_was_made_on(
    client: TestClient, migrated_url: str
) -> None:
    analyzed(client, migrated_url)
    [journey] = client.get("/api/v1/journeys").json()["items"]
    dave = _key(client, "dave", "approver")
    erin = _key(client, "erin", "editor")  # the author: not the minter of dave's key
    slo = client.post("/api/v1/slos", headers=erin, json={
        "service": "shop-frontend", "environment": "prod", "journey_id": journey["id"],
        "name": "checkout-availability", "sli_kind": "availability", "objective": 99.0}).json()
    url = f"/api/v1/slos/{slo['id']}"
    assert client.get(url).headers["etag"] == '"1.proposed"'

    unsaid = client.post(f"{url}/approve", headers=dave, json={"comment": "ok"})
    assert unsaid.status_code == 422 and unsaid.json()["errors"][0]["field"] == "version"
    weak = client.post(f"{url}/approve", headers={**dave, "If-Match": 'W/"1.proposed"'},
                       json={"comment": "ok"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "If-Match"
    both = client.post(f"{url}/approve", headers={**dave, "If-Match": '"1.proposed"'},
                       json={"comment": "ok", "version": 2})
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "version"

    # read version 1, and meanwhile the objective became 50%: approving version 1 is refused
    assert client.patch(url, headers=erin, json={"objective": 50.0}).json()["version"] == 2
    stale = client.post(f"{url}/approve", headers=dave, json={"comment": "ok", "version": 1})
    assert stale.status_code == 409 and stale.headers["content-type"] == "application/problem+json"
    assert (stale.json()["current_version"], stale.json()["current_status"]) == (2, "proposed")
    assert stale.headers["etag"] == '"2.proposed"' and "version 1" in stale.json()["detail"]
    lost = client.patch(url, headers={**erin, "If-Match": '"1.proposed"'},
                        json={"objective": 99.5})
    assert lost.status_code == 409 and lost.json()["current_version"] == 2

    approved = client.post(f"{url}/approve", headers={**dave, "If-Match": '"2.proposed"'},
                           json={"comment": "50% on purpose"})
    assert approved.status_code == 200 and approved.headers["etag"] == '"2.approved"'
    # the editor's ETag was of the proposal, approved since: they re-read before editing
    unseen = client.patch(url, headers={**erin, "If-Match": '"2.proposed"'},
                          json={"objective": 99.0})
    assert unseen.status_code == 409 and unseen.json()["current_status"] == "approved"
    # an edit after the review sends the SLO back to review
    edited = client.patch(url, headers=erin, json={"objective": 99.0, "version": 2})
    assert (edited.json()["status"], edited.json()["version"]) == ("proposed", 3)
    history = client.get(f"{url}/history").json()
    assert [(h["action"], h["version"]) for h in history] == [
        ("create", 1), ("edit", 2), ("approve", 2), ("edit", 3)]
