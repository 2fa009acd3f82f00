"""Signing in to the review UI: a server-side session behind an HttpOnly, SameSite=Strict
cookie, a CSRF token on every form, and the key's revocation ending the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.fixtures.ui_stage import ADMIN_KEY, Keys, csrf_of, prepare, signed_in
from tests.worker.jobs import NOW

from slo_scout.api.app import create_app
from slo_scout.settings import Settings


@pytest.fixture
def keys(migrated_url: str) -> Keys:
    return prepare(migrated_url)


@pytest.fixture
def client(migrated_url: str, keys: Keys) -> Iterator[TestClient]:
    settings = Settings(database_url=migrated_url, auth={"bootstrap_admin_key": ADMIN_KEY})
    with TestClient(create_app(settings, clock=lambda: NOW)) as test_client:
        yield test_client


def test_a_page_without_a_session_sends_the_browser_to_sign_in(client: TestClient) -> None:
    answer = client.get("/ui/journeys", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=/ui/journeys"


def test_a_wrong_key_is_refused_on_the_form_and_no_session_is_opened(
    client: TestClient,
) -> None:
    form = client.get("/ui/login")
    answer = client.post("/ui/login", data={
        "api_key": "ssk_0000deadbeef_not-a-key", "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text
    assert "slo_scout_session" not in client.cookies


def test_the_right_key_opens_a_session_in_an_httponly_strict_cookie(
    client: TestClient, keys: Keys,
) -> None:
    form = client.get("/ui/login")
    answer = client.post("/ui/login", data={"api_key": keys.editor,
                                            "csrf_token": csrf_of(form.text)},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/journeys"
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith("slo_scout_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/ui"} <= attributes
    assert "secure" not in attributes  # plain http here; https sets it
    assert keys.editor not in cookie  # the key never leaves the server again


def test_a_sign_in_without_the_forms_csrf_token_is_refused(client: TestClient, keys: Keys
                                                          ) -> None:
    client.get("/ui/login")
    answer = client.post("/ui/login", data={"api_key": keys.editor, "csrf_token": "forged"})
    assert answer.status_code == 403
    assert "slo_scout_session" not in client.cookies


def test_a_forged_post_without_the_sessions_csrf_token_changes_nothing(
    client: TestClient, keys: Keys,
) -> None:
    csrf = signed_in(client, keys.editor)
    result_id = _first_result(client)
    body = {"journey_key": "j-checkout", "sli_kind": "availability"}
    forged = client.post(f"/ui/analyses/{result_id}/adopt", data=body, follow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert "No SLOs." in client.get("/ui/slos").text
    wrong = client.post(f"/ui/analyses/{result_id}/adopt",
                        data={**body, "csrf_token": csrf[::-1]}, follow_redirects=False)
    assert wrong.status_code == 403
    adopted = client.post(f"/ui/analyses/{result_id}/adopt", data={**body, "csrf_token": csrf},
                          follow_redirects=False)
    assert adopted.status_code == 303 and adopted.headers["location"].startswith("/ui/slos/")


def test_the_csrf_token_may_come_as_htmxs_header(client: TestClient, keys: Keys) -> None:
    csrf = signed_in(client, keys.editor)
    answer = client.post(f"/ui/analyses/{_first_result(client)}/adopt",
                         data={"journey_key": "j-checkout", "sli_kind": "availability"},
                         headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert answer.status_code == 303


def test_signing_out_ends_the_session_on_the_server(client: TestClient, keys: Keys) -> None:
    csrf = signed_in(client, keys.viewer)
    cookie = client.cookies["slo_scout_session"]
    assert client.post("/ui/logout", data={"csrf_token": csrf}).url.path == "/ui/login"
    client.cookies.set("slo_scout_session", cookie, path="/ui")  # replayed after sign-out
    assert client.get("/ui/journeys", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions_at_once(client: TestClient, keys: Keys) -> None:
    signed_in(client, keys.viewer)
    assert client.get("/ui/journeys").status_code == 200
    prefix = keys.viewer.split("_")[1]
    revoked = client.post(f"/api/v1/api-keys/{prefix}/revoke",
                          headers={"X-API-Key": ADMIN_KEY})
    assert revoked.status_code == 200
    answer = client.get("/ui/journeys", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")


def test_pages_forbid_inline_script_and_framing(client: TestClient, keys: Keys) -> None:
    signed_in(client, keys.viewer)
    policy = client.get("/ui/journeys").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def _first_result(client: TestClient) -> int:
    import re
    found = re.search(r'/ui/analyses/(\d+)">proposals', client.get("/ui/analyses").text)
    assert found is not None, "the analysis has no result"
    return int(found.group(1))


def test_over_https_the_session_cookie_is_secure(migrated_url: str, keys: Keys) -> None:
    settings = Settings(database_url=migrated_url, auth={"bootstrap_admin_key": ADMIN_KEY})
    with TestClient(create_app(settings, clock=lambda: NOW),
                    base_url="https://testserver") as client:
        form = client.get("/ui/login")
        answer = client.post("/ui/login", data={"api_key": keys.viewer,
                                                "csrf_token": csrf_of(form.text)},
                             follow_redirects=False)
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith("slo_scout_session="))
    assert "secure" in {a.strip().lower() for a in cookie.split(";")[1:]}


def test_sign_in_sends_the_browser_back_only_to_a_page_of_the_ui(client: TestClient,
                                                                 keys: Keys) -> None:
    form = client.get("/ui/login")
    answer = client.post("/ui/login", data={
        "api_key": keys.viewer, "csrf_token": csrf_of(form.text),
        "next": "//evil.example/ui/"}, follow_redirects=False)
    assert answer.headers["location"] == "/ui/journeys"  # never an open redirect
