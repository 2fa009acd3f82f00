"""Grants belong to keys: a team admin cannot obtain, through any subject, a grant it does not
hold; and four eyes means two people: a key minted by the author (or by a key the author
minted) cannot approve the author's change."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW, seed, settings_for
from tests.fixtures.control_plane import journey

from slo_scout.api.app import create_app

TEAMS = ("*", "shop", "payments")
ROLES = ("viewer", "editor", "approver", "admin")


def _issue(client: TestClient, by: str, subject: str, team: str, role: str) -> tuple[int, str]:
    answer = client.post("/api/v1/api-keys", headers={"X-API-Key": by}, json={
        "subject": subject, "name": subject, "team": team, "role": role})
    return answer.status_code, answer.json().get("key", answer.text)


def _held(client: TestClient, key: str) -> set[tuple[str, str]]:
    """(team, role) pairs the key can exercise, probed through the API: reading services of a
    team needs viewer; issuing a key of a team needs admin there (a throw-away key is issued)."""
    headers = {"X-API-Key": key}
    seen = {s["team"] for s in client.get("/api/v1/services", headers=headers).json()["items"]}
    held = {(team, "viewer") for team in seen}
    for team in TEAMS:
        code, _ = _issue(client, key, "probe", team, "viewer")
        if code == 201:
            held.add((team, "admin"))
    return held


@pytest.fixture
def teams(client: TestClient, migrated_url: str) -> dict[str, str]:
    """A shop admin (tina), an editor of shop and payments (alice) and the bootstrap admin."""
    seed(migrated_url, team="shop", service="shop-frontend")
    seed(migrated_url, team="payments", service="payments-api")
    tina = _issue(client, ADMIN_KEY, "tina", "shop", "admin")[1]
    _issue(client, ADMIN_KEY, "alice", "shop", "editor")
    _issue(client, ADMIN_KEY, "alice", "payments", "editor")
    return {"tina": tina}


def test_a_team_admin_cannot_obtain_any_grant_it_does_not_hold_through_any_subject(
    client: TestClient, teams: dict[str, str]
) -> None:
    tina = teams["tina"]
    assert _held(client, tina) == {("shop", "viewer"), ("shop", "admin")}
    # existing subjects with roles outside shop: refused whatever the team and role asked
    for subject in ("bootstrap-admin", "alice"):
        for team in TEAMS:
            for role in ROLES:
                code, detail = _issue(client, tina, subject, team, role)
                assert code == 403, (subject, team, role, detail)
    code, detail = _issue(client, tina, "alice", "shop", "viewer")
    assert "do not administer (payments)" in detail
    # made-up subjects (and tina herself): only shop grants, never more
    for subject in ("mallory", "tina"):
        for team in ("*", "payments"):
            assert _issue(client, tina, subject, team, "viewer")[0] == 403
        code, minted = _issue(client, tina, subject, "shop", "admin")
        assert code == 201
        assert _held(client, minted) <= {("shop", "viewer"), ("shop", "admin")}
        assert _issue(client, minted, "mallory-2", "*", "admin")[0] == 403


def test_a_key_for_an_existing_subject_carries_only_its_own_grant(
    client: TestClient, teams: dict[str, str]
) -> None:
    # the bootstrap admin may issue for any subject; the new key holds what it was issued with
    code, viewer = _issue(client, ADMIN_KEY, "bootstrap-admin", "shop", "viewer")
    assert code == 201
    assert _held(client, viewer) == {("shop", "viewer")}
    code, second = _issue(client, ADMIN_KEY, "alice", "payments", "viewer")
    assert code == 201 and _held(client, second) == {("payments", "viewer")}
    # a subject whose every team tina administers: allowed, and still only the grant asked for
    _issue(client, ADMIN_KEY, "sam", "shop", "approver")
    code, sams = _issue(client, teams["tina"], "sam", "shop", "viewer")
    assert code == 201 and _held(client, sams) == {("shop", "viewer")}


def _proposed_slo(client: TestClient, migrated_url: str, author: str) -> int:
    seed(migrated_url, team="shop", service="shop-frontend", journeys=[journey()])
    [found] = client.get("/api/v1/journeys").json()["items"]
    created = client.post("/api/v1/slos", headers={"X-API-Key": author}, json={
        "service": "shop-frontend", "environment": "prod", "journey_id": found["id"],
        "name": "checkout-latency", "sli_kind": "latency", "objective": 99.0,
        "threshold_seconds": 0.2})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_a_self_minted_approver_cannot_approve_its_minters_change(
    client: TestClient, migrated_url: str
) -> None:
    tina = _issue(client, ADMIN_KEY, "tina", "shop", "admin")[1]
    slo = _proposed_slo(client, migrated_url, tina)

    def approve(key: str) -> tuple[int, str]:
        answer = client.post(f"/api/v1/slos/{slo}/approve", headers={"X-API-Key": key},
                             json={"comment": "looks right", "version": 1})
        return answer.status_code, answer.text

    sock = _issue(client, tina, "sock", "shop", "approver")[1]
    code, detail = approve(sock)
    assert code == 403 and "key:tina" in detail
    # a chain back to the author: tina -> sock-admin -> sock-approver
    middle = _issue(client, tina, "sock-admin", "shop", "admin")[1]
    deep = _issue(client, middle, "sock-approver", "shop", "approver")[1]
    assert approve(deep)[0] == 403
    # another person, whose key tina did not mint, approves
    other = _issue(client, ADMIN_KEY, "dave", "shop", "approver")[1]
    code, text = approve(other)
    assert code == 200, text


def test_self_approval_when_configured_lets_a_minted_approver_approve(
    client: TestClient, migrated_url: str
) -> None:
    tina = _issue(client, ADMIN_KEY, "tina", "shop", "admin")[1]
    slo = _proposed_slo(client, migrated_url, tina)
    sock = _issue(client, tina, "sock", "shop", "approver")[1]
    relaxed = create_app(settings_for(migrated_url, allow_self_approval=True), clock=lambda: NOW)
    with TestClient(relaxed) as other:
        answer = other.post(f"/api/v1/slos/{slo}/approve", headers={"X-API-Key": sock},
                            json={"comment": "allowed here", "version": 1})
    assert answer.status_code == 200, answer.text


def test_a_key_revokes_itself_but_not_another_key_of_the_same_subject(
    client: TestClient, teams: dict[str, str]
) -> None:
    first = _issue(client, ADMIN_KEY, "sam", "shop", "viewer")[1]
    second = _issue(client, ADMIN_KEY, "sam", "payments", "viewer")[1]

    def revoke(key: str, by: str) -> int:
        return client.post(f"/api/v1/api-keys/{key.split('_')[1]}/revoke",
                           headers={"X-API-Key": by}).status_code

    assert revoke(second, by=first) == 403
    assert revoke(first, by=first) == 200
    assert client.get("/api/v1/services", headers={"X-API-Key": second}).status_code == 200
