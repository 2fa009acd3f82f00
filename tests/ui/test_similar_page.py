"""The journey page's similar journeys: real Milvus Lite, the real embedding model (loaded once
for this module, by the fixture's embedding), on SQLite and PostgreSQL.

Three teams as in tests/similar: shop (checkout, health check, search), pay (a checkout of its
own, a status page) and vault (a checkout only vault may see). The page reads what
``GET /journeys/{id}/similar`` reads, with the signed-in person's visibility, and only the
stored vector of the journey: a server process showing the page never loads the model.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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
from tests.fixtures.ui_stage import signed_in

from slo_scout.api.app import create_app
from slo_scout.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "ssk_5111a2e4a11b_similar-page-admin-0123456789abcdef"


@pytest.fixture
def world(migrated_url: str, tmp_path: Path) -> tuple[str, str]:
    milvus = str(tmp_path / "milvus.db")
    envs = [seed_team(migrated_url, "shop", "shop-frontend", [CHECKOUT, HEALTH, SEARCH]),
            seed_team(migrated_url, "pay", "pay-web", [PAY_CHECKOUT, PAY_STATUS]),
            seed_team(migrated_url, "vault", "secret-store", [SECRET_CHECKOUT])]
    assert [r.embedded for r in embed(migrated_url, milvus, envs)] == [3, 2, 1]
    return migrated_url, milvus


def _settings(url: str, milvus: str) -> Settings:
    return Settings(database_url=url, vectors={"uri": milvus, "collection": COLLECTION},
                    auth={"bootstrap_admin_key": ADMIN_KEY, "allow_self_approval": True})


@pytest.fixture
def client(world: tuple[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(*world), clock=lambda: NOW)) as test_client:
        yield test_client


ADMIN = {"X-API-Key": ADMIN_KEY}


def _ids(client: TestClient) -> dict[str, int]:
    items = client.get("/api/v1/journeys", params={"limit": 100}, headers=ADMIN).json()["items"]
    return {j["key"]: j["id"] for j in items}


def _similar(html: str) -> str:
    start = html.index('id="sim-h"')
    return html[start:html.index("</section>", start)]


def _approved_slo(client: TestClient, journey: int) -> int:
    created = client.post("/api/v1/slos", headers=ADMIN, json={
        "service": "pay-web", "environment": "prod", "journey_id": journey,
        "name": "pay-checkout-availability", "sli_kind": "availability", "objective": 99.5})
    assert created.status_code == 201, created.text
    slo_id = int(created.json()["id"])
    done = client.post(f"/api/v1/slos/{slo_id}/approve", headers=ADMIN,
                       json={"comment": "ok", "version": 1})
    assert done.status_code == 200, done.text
    return slo_id


def test_the_journey_page_lists_its_neighbours_with_their_approved_slos(
    client: TestClient,
) -> None:
    ids = _ids(client)
    slo_id = _approved_slo(client, ids["k-pay-checkout"])
    signed_in(client, ADMIN_KEY)  # an admin of every team sees every neighbour
    page = client.get(f"/ui/journeys/{ids['k-checkout']}/similar")
    assert page.status_code == 200, page.text[:500]
    section = _similar(page.text)
    linked = [int(i) for i in re_journeys(section)]
    # the same neighbours, in the same order, as the JSON endpoint
    api = client.get(f"/api/v1/journeys/{ids['k-checkout']}/similar", headers=ADMIN).json()
    assert linked == [i["journey_id"] for i in api["items"]]
    assert set(linked[:2]) == {ids["k-pay-checkout"], ids["k-secret-checkout"]}
    assert ids["k-checkout"] not in linked
    row = section[section.index(f'/ui/journeys/{ids["k-pay-checkout"]}"'):]
    row = row[:row.index("</tr>")]
    assert "pay-web / prod" in row
    assert f'<a href="/ui/slos/{slo_id}">availability 99.5%</a> (v1)' in row
    secret = section[section.index(f'/ui/journeys/{ids["k-secret-checkout"]}"'):]
    assert "none approved" in secret[:secret.index("</tr>")]


def re_journeys(section: str) -> list[str]:
    return re.findall(r'<a href="/ui/journeys/(\d+)">', section)


def test_another_teams_neighbours_never_appear(client: TestClient) -> None:
    ids = _ids(client)
    _approved_slo(client, ids["k-pay-checkout"])
    issued = client.post("/api/v1/api-keys", headers=ADMIN, json={
        "subject": "shop-viewer", "name": "k", "team": "shop", "role": "viewer"})
    signed_in(client, issued.json()["key"])
    page = client.get(f"/ui/journeys/{ids['k-checkout']}/similar")
    assert page.status_code == 200, page.text[:500]
    # the other teams' checkouts are nearer, yet only shop's own journeys are listed
    assert sorted(int(i) for i in re_journeys(_similar(page.text))) == sorted(
        [ids["k-health"], ids["k-search"]])
    for hidden in ("pay-web", "secret-store", "/orders/checkout", "/checkout/submit",
                   "99.5%"):
        assert hidden not in page.text


def test_a_journey_without_a_vector_yet_says_so(client: TestClient, world: tuple[str, str]
                                                ) -> None:
    url, _ = world
    seed_team(url, "shop", "shop-frontend", [Spec("k-new", "PUT /wishlist")])
    ids = _ids(client)
    signed_in(client, ADMIN_KEY)
    page = client.get(f"/ui/journeys/{ids['k-new']}/similar")
    assert page.status_code == 200, page.text[:500]
    assert "This journey has no vector yet" in _similar(page.text)
    assert "<table>" not in _similar(page.text)


SERVE_ONCE = """
import json, sys
from fastapi.testclient import TestClient
from slo_scout.api.app import create_app
from slo_scout.settings import Settings
from tests.fixtures.ui_stage import signed_in
url, milvus, collection, key, path = sys.argv[1:]
settings = Settings(database_url=url, vectors={"uri": milvus, "collection": collection},
                    auth={"bootstrap_admin_key": key})
with TestClient(create_app(settings)) as client:
    signed_in(client, key)
    page = client.get(path)
section = page.text[page.text.index('id="sim-h"'):]
section = section[:section.index("</section>")]
print(json.dumps({"status": page.status_code, "section": section,
                  "loaded": sorted(m for m in ("torch", "sentence_transformers",
                                               "slo_scout.control.embedder")
                                   if m in sys.modules)}))
"""


def test_showing_neighbours_does_not_load_the_embedding_model(
    client: TestClient, world: tuple[str, str],
) -> None:
    ids = _ids(client)
    url, milvus = world
    # Milvus Lite serves a file to one process: this one's server (started to embed) stops
    from milvus_lite.server_manager import server_manager_instance
    server_manager_instance.release_server(milvus)
    done = subprocess.run(  # a fresh process: this one loaded the model to embed
        [sys.executable, "-c", SERVE_ONCE, url, milvus, COLLECTION, ADMIN_KEY,
         f"/ui/journeys/{ids['k-checkout']}/similar"], capture_output=True, text=True, timeout=300,
        check=False, cwd=ROOT, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200, seen
    assert len(re_journeys(seen["section"])) == 5, seen["section"]  # five neighbours
    assert seen["loaded"] == []
