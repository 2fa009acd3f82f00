"""GET /journeys/{id}/similar: real Milvus Lite, the real embedding model, a real database.

Three teams: shop (checkout, health check, search), pay (a checkout of its own, a status page)
and vault (a checkout nobody outside vault may see). Vectors are written by the control plane's
own embedding (``embed_environment``), then read back through the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (the 'streaming' extra)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed")
pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")

from fastapi.testclient import TestClient
from tests.fixtures.similar import (
    CHECKOUT,
    COLLECTION,
    HEALTH,
    NOW,
    PAY_CHECKOUT,
    PAY_STATUS,
    SEARCH,
    SECRET_CHECKOUT,
    Spec,
    embed,
    seed_team,
)

from slo_scout.api.app import create_app
from slo_scout.db import migrate
from slo_scout.settings import Settings

ADMIN_KEY = "ssk_5111a2e4a11a_similar-admin-secret-0123456789abcdef"
PROBLEM = "application/problem+json"


@pytest.fixture
def world(tmp_path: Path) -> tuple[str, str, list[int]]:
    """(database URL, Milvus Lite file, environment ids) with every journey embedded."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'slo-scout.db'}"
    migrate.upgrade(url)
    milvus = str(tmp_path / "milvus.db")
    envs = [seed_team(url, "shop", "shop-frontend", [CHECKOUT, HEALTH, SEARCH]),
            seed_team(url, "pay", "pay-web", [PAY_CHECKOUT, PAY_STATUS]),
            seed_team(url, "vault", "secret-store", [SECRET_CHECKOUT])]
    reports = embed(url, milvus, envs)
    assert [r.embedded for r in reports] == [3, 2, 1]
    return url, milvus, envs


def _app(url: str, milvus: str, collection: str = COLLECTION) -> TestClient:
    settings = Settings(database_url=url, vectors={"uri": milvus, "collection": collection},
                        auth={"bootstrap_admin_key": ADMIN_KEY, "allow_self_approval": True})
    client = TestClient(create_app(settings, clock=lambda: NOW))
    client.headers["X-API-Key"] = ADMIN_KEY
    return client


@pytest.fixture
def client(world: tuple[str, str, list[int]]) -> Iterator[TestClient]:
    url, milvus, _ = world
    with _app(url, milvus) as test_client:
        yield test_client


def _ids(client: TestClient) -> dict[str, int]:
    items = client.get("/api/v1/journeys", params={"limit": 100}).json()["items"]
    return {j["key"]: j["id"] for j in items}


def _key(client: TestClient, team: str, role: str = "viewer") -> dict[str, str]:
    issued = client.post("/api/v1/api-keys", json={
        "subject": f"{team}-{role}", "name": "k", "team": team, "role": role})
    assert issued.status_code == 201, issued.text
    return {"X-API-Key": issued.json()["key"]}


def test_a_checkouts_nearest_journeys_are_other_checkouts_not_a_health_check(
    client: TestClient,
) -> None:
    ids = _ids(client)
    answer = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar", params={"limit": 5})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["journey_id"] == ids["k-checkout"]
    by_id = {v: k for k, v in ids.items()}
    keys = [by_id[i["journey_id"]] for i in body["items"]]
    # across services and teams: the two other checkouts first, the journey itself never
    assert set(keys[:2]) == {"k-secret-checkout", "k-pay-checkout"}
    assert "k-checkout" not in keys
    similarity = {by_id[i["journey_id"]]: i["similarity"] for i in body["items"]}
    assert similarity["k-secret-checkout"] > similarity["k-health"]
    assert similarity["k-pay-checkout"] > similarity["k-health"]
    assert similarity["k-pay-checkout"] > similarity["k-pay-status"]
    first = body["items"][0]
    assert first["environment"] == "prod" and first["approved"] == []
    assert first["service"] in {"secret-store", "pay-web"}
    assert [i["similarity"] for i in body["items"]] == sorted(
        (i["similarity"] for i in body["items"]), reverse=True)
    assert len(client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar",
                          params={"limit": 1}).json()["items"]) == 1


def test_approved_slos_come_with_each_neighbour_as_the_version_in_force(
    client: TestClient,
) -> None:
    ids = _ids(client)
    pay = ids["k-pay-checkout"]

    def slo(journey: int, service: str, name: str, kind: str, objective: float,
            threshold: float | None = None) -> dict:  # type: ignore[type-arg]
        created = client.post("/api/v1/slos", json={
            "service": service, "environment": "prod", "journey_id": journey, "name": name,
            "sli_kind": kind, "objective": objective, "threshold_seconds": threshold})
        assert created.status_code == 201, created.text
        return created.json()  # type: ignore[no-any-return]

    def approve(slo_id: int, version: int) -> None:
        done = client.post(f"/api/v1/slos/{slo_id}/approve",
                           json={"comment": "ok", "version": version})
        assert done.status_code == 200, done.text

    availability = slo(pay, "pay-web", "pay-checkout-availability", "availability", 99.5)
    approve(availability["id"], 1)
    latency = slo(pay, "pay-web", "pay-checkout-latency", "latency", 99.0, 0.4)
    approve(latency["id"], 1)
    # edited since: v2 waits for review, v1 stays the approved one
    edited = client.patch(f"/api/v1/slos/{latency['id']}", json={"objective": 99.9})
    assert edited.status_code == 200, edited.text
    # proposed only, never approved: not evidence of what a team agreed to
    slo(ids["k-secret-checkout"], "secret-store", "secret-availability", "availability", 99.0)

    items = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar").json()["items"]
    approved = {i["journey_id"]: i["approved"] for i in items}
    assert approved[ids["k-secret-checkout"]] == []
    assert approved[pay] == [
        {"slo_id": availability["id"], "version": 1, "kind": "availability",
         "objective": 99.5, "threshold_s": None},
        {"slo_id": latency["id"], "version": 1, "kind": "latency", "objective": 99.0,
         "threshold_s": 0.4}]


def test_a_caller_never_sees_another_teams_journey_or_slo(client: TestClient) -> None:
    ids = _ids(client)
    created = client.post("/api/v1/slos", json={
        "service": "pay-web", "environment": "prod", "journey_id": ids["k-pay-checkout"],
        "name": "pay-availability", "sli_kind": "availability", "objective": 99.5})
    client.post(f"/api/v1/slos/{created.json()['id']}/approve",
                json={"comment": "ok", "version": 1})
    shop = _key(client, "shop")
    answer = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar", headers=shop,
                        params={"limit": 10})
    assert answer.status_code == 200, answer.text
    seen = {i["journey_id"] for i in answer.json()["items"]}
    # the other teams' checkouts are nearer, yet only shop's own journeys come back
    assert seen == {ids["k-health"], ids["k-search"]}
    assert {i["service"] for i in answer.json()["items"]} == {"shop-frontend"}
    assert "pay-web" not in answer.text and "secret-store" not in answer.text
    # another team's journey is not there at all, in the same words as a missing one
    hidden = client.get(f"/api/v1/journeys/{ids['k-pay-checkout']}/similar", headers=shop)
    assert hidden.status_code == 404 and hidden.headers["content-type"] == PROBLEM
    missing = client.get("/api/v1/journeys/999999/similar", headers=shop)
    assert hidden.json()["detail"].replace(str(ids["k-pay-checkout"]), "N") == (
        missing.json()["detail"].replace("999999", "N"))
    pay = _key(client, "pay")
    near = client.get(f"/api/v1/journeys/{ids['k-pay-status']}/similar", headers=pay).json()
    assert {i["journey_id"] for i in near["items"]} == {ids["k-pay-checkout"]}
    assert near["items"][0]["approved"][0]["objective"] == 99.5


def test_a_journey_without_a_vector_yet_answers_how_it_gets_one(
    world: tuple[str, str, list[int]], client: TestClient,
) -> None:
    url, _, _ = world
    seed_team(url, "shop", "shop-frontend", [Spec("k-new", "POST /refund",
                                                   (("payments", "payment.Refund"),))])
    ids = _ids(client)
    answer = client.get(f"/api/v1/journeys/{ids['k-new']}/similar")
    assert answer.status_code == 409 and answer.headers["content-type"] == PROBLEM
    detail = answer.json()["detail"]
    assert f"journey {ids['k-new']} has no vector yet" in detail
    assert "analyze --similar" in detail and "embedding job" in detail


def test_milvus_unreachable_or_without_the_collection_is_a_503_naming_it(
    world: tuple[str, str, list[int]],
) -> None:
    url, milvus, _ = world
    with _app(url, "http://127.0.0.1:9") as client:
        ids = _ids(client)
        answer = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar")
        assert answer.status_code == 503 and answer.headers["content-type"] == PROBLEM
        assert "Milvus at http://127.0.0.1:9" in answer.json()["detail"]
        assert answer.headers["retry-after"]
        assert "Traceback" not in answer.text
        # the API itself keeps answering
        assert client.get(f"/api/v1/journeys/{ids['k-checkout']}").status_code == 200
    with _app(url, milvus, collection="nothing_here") as client:
        answer = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar")
        assert answer.status_code == 503
        assert "no collection 'nothing_here'" in answer.json()["detail"]


def test_no_lite_file_yet_is_a_503_and_reading_does_not_create_one(
    world: tuple[str, str, list[int]], tmp_path: Path,
) -> None:
    url, _, _ = world
    absent = tmp_path / "nothing" / "milvus.db"
    with _app(url, str(absent)) as client:
        ids = _ids(client)
        answer = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar")
    assert answer.status_code == 503
    assert f"no Milvus Lite file at {absent}" in answer.json()["detail"]
    assert not absent.parent.exists()


def test_a_vector_whose_journey_is_gone_is_skipped_and_the_limit_still_met(
    world: tuple[str, str, list[int]],
) -> None:
    from slo_scout.control.embedder import shared_embedder
    from slo_scout.control.vectors import JourneyVector, JourneyVectors

    url, milvus, _ = world
    text = "HTTP POST /checkout entering at service shop-frontend (checkout). Calls: payments."
    with JourneyVectors(milvus, COLLECTION).open() as store:  # no such journey in the catalog
        store.upsert([JourneyVector("k-gone", "shop-frontend", "prod", "gone", text,
                                    shared_embedder().embed([text])[0])])
    with _app(url, milvus) as client:
        ids = _ids(client)
        shop = _key(client, "shop")
        items = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar", headers=shop,
                           params={"limit": 2}).json()["items"]
    assert {i["journey_id"] for i in items} == {ids["k-health"], ids["k-search"]}
