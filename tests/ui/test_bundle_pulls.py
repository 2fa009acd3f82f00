"""The bundle page's "Pull requests now" section, on SQLite and PostgreSQL: a bundle delivered
to GitHub or GitLab (local servers in the documented shapes, tests/fixtures/forges.py) shows its
pull request's state as the forge answers it now (open, merged, closed); a forge that cannot be
asked (no token, down) gives a sentence and never the token; another team's viewer finds no
such bundle; a plain git delivery has no such section."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW, settings_for
from tests.api.test_deliveries import _approved_bundle
from tests.api.test_slos_endpoints import _key
from tests.fixtures.forges import FakeGitHub, FakeGitLab, GitRepository
from tests.fixtures.ui_stage import signed_in

from slo_scout.api.app import create_app

TOKEN = "ghp_pull-state-token-0123456789"  # a test credential


@pytest.fixture(params=["github", "gitlab"])
def forge(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    repo = GitRepository(tmp_path / "team.git")
    repo.commit_files("main", {"README.md": "ours\n"}, "init")
    server: Any = (FakeGitHub(repo, "acme/slos", TOKEN) if request.param == "github" else
                   FakeGitLab(repo, "acme/slos", TOKEN))
    server.kind = request.param
    try:
        yield server
    finally:
        server.close()


def _delivery(forge: Any, *, token: bool = True) -> dict[str, Any]:
    if forge.kind == "github":
        return {"github": "acme/slos", "github_api_url": forge.url,
                **({"github_token": TOKEN} if token else {})}
    return {"gitlab": "acme/slos", "gitlab_url": forge.url,
            **({"gitlab_token": TOKEN} if token else {})}


def _app(url: str, delivery: dict[str, Any]) -> TestClient:
    settings = settings_for(url, allow_self_approval=True)
    settings = settings.model_copy(update={"delivery": settings.delivery.model_validate(
        delivery)})
    client = TestClient(create_app(settings, clock=lambda: NOW))
    client.headers["X-API-Key"] = ADMIN_KEY
    return client


def _delivered(client: TestClient, url: str) -> int:
    bundle, approver = _approved_bundle(client, url)
    assert client.post(f"/api/v1/artifacts/{bundle['id']}/approve", headers=approver, json={
        "comment": "ok", "version": bundle["version"]}).status_code == 200
    answer = client.post(f"/api/v1/artifacts/{bundle['id']}/deliver", headers=approver)
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0]["pull_request_number"] == 1
    return int(bundle["id"])


def _state(client: TestClient, bundle_id: int) -> str:
    got = client.get(f"/ui/bundles/{bundle_id}/pulls", headers={"HX-Request": "true"})
    assert got.status_code == 200, got.text
    assert got.text.startswith('<section aria-labelledby="pr-h" id="pulls">')
    return got.text


def _set(forge: Any, state: str) -> None:
    if forge.kind == "github":  # GitHub: a merged pull request is closed with merged_at
        forge.pulls[0].state = "open" if state == "open" else "closed"
        forge.pulls[0].merged_at = "2026-11-02T10:00:00Z" if state == "merged" else None
    else:
        forge.merge_requests[0].state = {"open": "opened"}.get(state, state)


def test_the_pull_requests_state_is_the_forges_now(migrated_url: str, forge: Any) -> None:
    with _app(migrated_url, _delivery(forge)) as client:
        bundle_id = _delivered(client, migrated_url)
        outsider = _key(client, "olga", "viewer", team="payments")["X-API-Key"]
        signed_in(client, ADMIN_KEY)
        page = client.get(f"/ui/bundles/{bundle_id}").text
        assert f'hx-get="/ui/bundles/{bundle_id}/pulls"' in page
        for state in ("open", "merged", "closed"):
            _set(forge, state)
            section = _state(client, bundle_id)
            assert f'<span class="status status-{state}">{state}</span>' in section, section
            kind = "pull request" if forge.kind == "github" else "merge request"
            assert f'href="{forge.url}/acme/slos/' in section and f">{kind} 1</a>" in section
        asked = [r for r in forge.requests if r.endswith(("/pulls/1", "/merge_requests/1"))]
        assert len(asked) == 3
        # without script or followed as a link: the section inside a page
        whole = client.get(f"/ui/bundles/{bundle_id}/pulls")
        assert whole.status_code == 200 and "<title>" in whole.text and "closed" in whole.text

        forge.close()  # the forge is down: a sentence, the rest of the page stands
        down = _state(client, bundle_id)
        assert "could not be asked for its state" in down and "ConnectError" in down
        assert TOKEN not in down and "status-" not in down

        signed_in(client, outsider)  # another team's viewer: no such bundle
        del client.headers["X-API-Key"]
        assert client.get(f"/ui/bundles/{bundle_id}/pulls").status_code == 404
        assert client.get(f"/ui/bundles/{bundle_id}").status_code == 404


def test_without_the_forges_token_the_state_is_not_asked(migrated_url: str, forge: Any
                                                         ) -> None:
    with _app(migrated_url, _delivery(forge)) as client:
        bundle_id = _delivered(client, migrated_url)
    with _app(migrated_url, _delivery(forge, token=False)) as client:
        signed_in(client, ADMIN_KEY)
        before = len(forge.requests)
        section = _state(client, bundle_id)
        variable = f"SLO_SCOUT_DELIVERY__{forge.kind.upper()}_TOKEN is not set"
        assert "cannot be asked for its state" in section and variable in section
        assert len(forge.requests) == before  # nothing was sent without a token


def test_a_plain_git_delivery_has_no_pull_request_section(migrated_url: str, tmp_path: Path
                                                         ) -> None:
    repo = GitRepository(tmp_path / "plain.git")
    repo.commit_files("main", {"README.md": "ours\n"}, "init")
    with _app(migrated_url, {"repo": repo.path.as_uri()}) as client:
        bundle, approver = _approved_bundle(client, migrated_url)
        client.post(f"/api/v1/artifacts/{bundle['id']}/approve", headers=approver, json={
            "comment": "ok", "version": bundle["version"]})
        assert client.post(f"/api/v1/artifacts/{bundle['id']}/deliver",
                           headers=approver).status_code == 200
        signed_in(client, ADMIN_KEY)
        page = client.get(f"/ui/bundles/{bundle['id']}").text
        assert "Deliveries" in page and 'id="pulls"' not in page
        section = _state(client, int(bundle["id"]))
        assert "No delivery of this bundle opened a pull request" in section
