"""POST /artifacts/{id}/deliver: an approved bundle becomes a branch (and a pull request) in the
environment's configured repository; recorded, audited, idempotent, never showing a token."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.analysis_run import analyzed
from tests.api.conftest import ADMIN_KEY, NOW, settings_for
from tests.api.test_slos_endpoints import _key
from tests.fixtures.forges import FakeGitHub, GitRepository

from slo_scout.api.app import create_app

TOKEN = "ghp_delivery-token-0123456789"  # a test credential
BRANCH = "slo-scout/shop-frontend/prod"


@pytest.fixture
def team_repo(tmp_path: Path) -> GitRepository:
    repo = GitRepository(tmp_path / "team.git")
    repo.commit_files("main", {"README.md": "ours\n"}, "init")
    return repo


def _client(url: str, **delivery: Any) -> TestClient:
    settings = settings_for(url)
    settings = settings.model_copy(update={"delivery": settings.delivery.model_validate(
        delivery)})
    client = TestClient(create_app(settings, clock=lambda: NOW))
    client.headers["X-API-Key"] = ADMIN_KEY
    return client


def _approved_bundle(client: TestClient, url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """An editor adopts and renders, an approver approves the SLO (not the bundle yet)."""
    result = analyzed(client, url)
    approver = _key(client, "dave", "approver")
    editor = _key(client, "erin", "editor")
    slo = client.post("/api/v1/slos/from-recommendation", headers=editor, json={
        "result_id": result["id"], "journey_key": "j-checkout", "sli_kind": "availability",
        "name": "checkout-availability"}).json()
    approved = client.post(f"/api/v1/slos/{slo['id']}/approve", headers=approver, json={
        "comment": "ok", "version": slo["version"]})
    assert approved.status_code == 200, approved.text
    bundle = client.post("/api/v1/artifacts", headers=editor, json={
        "service": "shop-frontend", "environment": "prod"}).json()
    return bundle, approver


@pytest.fixture
def git_client(migrated_url: str, team_repo: GitRepository) -> Iterator[TestClient]:
    with _client(migrated_url, repo=team_repo.path.as_uri()) as client:
        yield client


def test_an_approved_bundle_is_delivered_once_and_recorded(
    git_client: TestClient, migrated_url: str, team_repo: GitRepository,
) -> None:
    client = git_client
    bundle, approver = _approved_bundle(client, migrated_url)
    url = f"/api/v1/artifacts/{bundle['id']}/deliver"
    early = client.post(url, headers=approver)
    assert early.status_code == 409 and "only an approved bundle" in early.json()["detail"]
    assert client.post(f"/api/v1/artifacts/{bundle['id']}/approve", headers=approver, json={
        "comment": "ship it", "version": bundle["version"]}).status_code == 200
    viewer = _key(client, "vic", "viewer")
    assert client.post(url, headers=viewer).status_code == 403
    # two approvers at once: one delivery commits, the other finds nothing left to change
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: client.post(url, headers=approver), range(2)))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    items = [a.json()["items"][0] for a in answers]
    assert sorted(i["commit"] is None for i in items) == [False, True]
    assert {i["branch"] for i in items} == {BRANCH} and items[0]["target"].startswith("file://")
    held = team_repo.files(BRANCH)
    assert held["README.md"] == "ours"
    assert "slo/shop/shop-frontend/prod/sloth/shop-frontend.yaml" in held
    listed = client.get(f"/api/v1/artifacts/{bundle['id']}/deliveries").json()["items"]
    assert len(listed) == 2 and listed[0]["delivered_by"] == "key:dave"
    audit = client.get("/api/v1/audit").json()
    entries = audit["items"] if isinstance(audit, dict) else audit
    assert any(e["action"] == "artifacts.deliver" and e["team"] == "shop" for e in entries)


def test_without_a_target_delivery_says_how_to_configure_one(
    client: TestClient, migrated_url: str,
) -> None:
    bundle, approver = _approved_bundle(client, migrated_url)
    client.post(f"/api/v1/artifacts/{bundle['id']}/approve", headers=approver, json={
        "comment": "ok", "version": bundle["version"]})
    answer = client.post(f"/api/v1/artifacts/{bundle['id']}/deliver", headers=approver)
    assert answer.status_code == 409 and "SLO_SCOUT_DELIVERY__GITHUB" in answer.json()["detail"]


def test_github_delivery_opens_a_pull_request_and_never_shows_the_token(
    migrated_url: str, team_repo: GitRepository,
) -> None:
    github = FakeGitHub(team_repo, "acme/slos", TOKEN)
    try:
        with _client(migrated_url, github="acme/slos", github_token=TOKEN,
                     github_api_url=github.url, reviewers=["alice"]) as client:
            bundle, approver = _approved_bundle(client, migrated_url)
            client.post(f"/api/v1/artifacts/{bundle['id']}/approve", headers=approver, json={
                "comment": "ok", "version": bundle["version"]})
            url = f"/api/v1/artifacts/{bundle['id']}/deliver"
            [item] = client.post(url, headers=approver).json()["items"]
            assert item["target"] == "github:acme/slos"
            assert item["pull_request_action"] == "opened" and item["pull_request_number"] == 1
            assert github.pulls[0].reviewers == ["alice"]
            github.echo_next_error = True
            failed = client.post(url, headers=approver)
            assert failed.status_code == 502 and TOKEN not in failed.text
            assert "github:acme/slos" in failed.json()["detail"]
            audit = client.get("/api/v1/audit").text
            assert TOKEN not in audit
    finally:
        github.close()
