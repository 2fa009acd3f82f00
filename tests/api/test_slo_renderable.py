"""What a person approves is what the bundle renders, and an SLO that could not render is refused
when it is created or edited (issue 11), on SQLite and PostgreSQL."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient
from tests.api.analysis_run import analyzed
from tests.api.test_slos_endpoints import _key


def _adopt(client: TestClient, result: dict, kind: str, **body: object) -> dict:
    created = client.post("/api/v1/slos/from-recommendation", json={
        "result_id": result["id"], "journey_key": "j-checkout", "sli_kind": kind, **body})
    assert created.status_code == 201, created.text
    return created.json()


def test_a_renamed_28_day_slo_renders_with_its_approved_name_and_window(
    client: TestClient, migrated_url: str
) -> None:
    result = analyzed(client, migrated_url)
    approver = _key(client, "dave", "approver")
    editor = _key(client, "erin", "editor")  # the change's author: not the minter of dave's key
    slo = _adopt(client, result, "availability")
    edited = client.patch(f"/api/v1/slos/{slo['id']}", headers=editor, json={
        "name": "add-to-cart-availability", "window_days": 28, "objective": 99.5})
    assert edited.status_code == 200, edited.text
    assert client.post(f"/api/v1/slos/{slo['id']}/approve", headers=approver, json={
        "comment": "ok", "version": edited.json()["version"]}).status_code == 200
    bundle = client.post("/api/v1/artifacts", json={"service": "shop-frontend",
                                                     "environment": "prod"})
    assert bundle.status_code == 201, bundle.text
    files = {f["path"]: client.get(f["href"]).text for f in bundle.json()["files"]}
    sloth = [p for p in files if p.startswith("sloth/")]
    assert sloth == ["sloth/shop-frontend-28d.yaml"]
    spec = yaml.safe_load(files[sloth[0]])
    assert [(s["name"], s["objective"]) for s in spec["slos"]] == [
        ("add-to-cart-availability", 99.5)]
    rules = files["rules/shop-frontend-28d.yaml"]
    # Sloth names the 28-day period as Prometheus prints 28 days: 4w.
    assert "ratio_rate4w" in rules and "vector(28)" in rules and "ratio_rate30d" not in rules
    [pyrra] = yaml.safe_load_all(files["pyrra/shop-frontend.yaml"])
    assert pyrra["metadata"]["name"] == "add-to-cart-availability"
    assert pyrra["spec"]["window"] == "28d"
    openslo = [d for d in yaml.safe_load_all(files["openslo/shop-frontend.yaml"])
               if d["kind"] == "SLO"]
    assert openslo[0]["metadata"]["name"] == "add-to-cart-availability"
    assert openslo[0]["spec"]["timeWindow"][0]["duration"] == "28d"
    runbook = files["runbooks/shop-frontend/add-to-cart-availability.md"]
    assert "over 28 days" in runbook and "99.5%" in runbook


def test_a_latency_threshold_that_is_no_bucket_is_refused_naming_the_nearest_buckets(
    client: TestClient, migrated_url: str
) -> None:
    analyzed(client, migrated_url)
    [journey] = client.get("/api/v1/journeys").json()["items"]
    body = {"service": "shop-frontend", "environment": "prod", "journey_id": journey["id"],
            "name": "checkout-latency", "sli_kind": "latency", "objective": 99.0,
            "threshold_seconds": 0.3}
    refused = client.post("/api/v1/slos", json=body)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["errors"][0]["field"] == "threshold_seconds"
    assert "0.2" in problem["detail"] and "0.4" in problem["detail"]
    slo = client.post("/api/v1/slos", json={**body, "threshold_seconds": 0.4})
    assert slo.status_code == 201, slo.text
    edit = client.patch(f"/api/v1/slos/{slo.json()['id']}", json={"threshold_seconds": 0.45})
    assert edit.status_code == 422 and edit.json()["errors"][0]["field"] == "threshold_seconds"
    window = client.patch(f"/api/v1/slos/{slo.json()['id']}", json={"window_days": 7})
    assert window.status_code == 422 and window.json()["errors"][0]["field"] == "window_days"
    assert "28" in window.json()["detail"] and "30" in window.json()["detail"]


def test_a_second_slo_on_the_same_sli_is_refused_naming_the_first(
    client: TestClient, migrated_url: str
) -> None:
    result = analyzed(client, migrated_url)
    first = _adopt(client, result, "availability")
    again = client.post("/api/v1/slos/from-recommendation", json={
        "result_id": result["id"], "journey_key": "j-checkout", "sli_kind": "availability",
        "name": "checkout-availability-2"})
    assert again.status_code == 422, again.text
    assert again.json()["errors"][0]["field"] == "sli_kind"
    assert first["name"] in again.json()["detail"]


def test_latency_slos_on_one_journey_are_refused_only_at_the_same_threshold(
    client: TestClient, migrated_url: str
) -> None:
    result = analyzed(client, migrated_url)
    adopted = _adopt(client, result, "latency")
    body = {"service": "shop-frontend", "environment": "prod", "journey_id": adopted["journey_id"],
            "name": "checkout-latency-by-hand", "sli_kind": "latency", "objective": 99.0,
            "threshold_seconds": round(adopted["threshold_seconds"], 6)}
    same = client.post("/api/v1/slos", json=body)
    assert same.status_code == 422, same.text
    assert same.json()["errors"][0]["field"] == "journey_id"
    assert f"'{adopted['name']}' (id {adopted['id']}, proposed)" in same.json()["detail"]
    other = 2.0 if round(adopted["threshold_seconds"], 6) != 2.0 else 5.0
    assert client.post("/api/v1/slos", json={**body, "threshold_seconds": other}
                       ).status_code == 201
    rejected = client.post(f"/api/v1/slos/{adopted['id']}/reject",
                           json={"comment": "no", "version": adopted["version"]})
    assert rejected.status_code == 200
    assert client.post("/api/v1/slos", json={**body, "name": "again"}).status_code == 201
