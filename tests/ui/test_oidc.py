"""Signing in to the review UI with OIDC: authorization code with PKCE against a provider on
loopback; the id token verified like a bearer token, its nonce checked, the session holding
the grants the token carried."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.fixtures.oidc_provider import OidcProvider
from tests.fixtures.ui_stage import ADMIN_KEY, Keys, csrf_of, prepare

from slo_scout.api.app import create_app
from slo_scout.settings import Settings


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    running = OidcProvider()
    yield running
    running.close()


@pytest.fixture
def keys(migrated_url: str) -> Keys:
    return prepare(migrated_url)


@pytest.fixture
def client(migrated_url: str, keys: Keys, provider: OidcProvider) -> Iterator[TestClient]:
    # The provider's id tokens are signed now: the app's clock is the wall clock here.
    settings = Settings(database_url=migrated_url, auth={
        "bootstrap_admin_key": ADMIN_KEY, **provider.settings()})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _to_provider(client: TestClient, next_page: str = "/ui/slos") -> httpx.Response:
    """The browser's first two hops: the UI sends it to the provider, which signs the user
    in and redirects back with a code (returned unfollowed: the callback is the test's)."""
    start = client.get("/ui/login/oidc", params={"next": next_page}, follow_redirects=False)
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = parse_qs(urlparse(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and "code_verifier" not in query
    back = httpx.get(authorize, follow_redirects=False)
    assert back.status_code == 302
    return back


def test_the_sign_in_page_offers_oidc_when_it_is_configured(client: TestClient) -> None:
    assert "Sign in with your identity provider" in client.get("/ui/login").text


def test_an_oidc_user_signs_in_with_the_grants_of_their_id_token(
    client: TestClient, provider: OidcProvider,
) -> None:
    back = _to_provider(client)
    landed = client.get(back.headers["location"])
    assert landed.status_code == 200 and 'content="0;url=/ui/slos"' in landed.text
    cookie = next(c for c in landed.headers.get_list("set-cookie")
                  if c.startswith("slo_scout_session="))
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    page = client.get("/ui/analyses")
    assert page.status_code == 200 and "oidc:carol" in page.text
    assert "Start an analysis" in page.text  # shop:approver, from the token's roles claim
    signed_out = client.post("/ui/logout", data={"csrf_token": csrf_of(page.text)})
    assert signed_out.url.path == "/ui/login"


def test_an_oidc_viewer_gets_a_viewers_pages(client: TestClient, provider: OidcProvider
                                             ) -> None:
    provider.next_user = ("victor", ["shop:viewer"])
    client.get(_to_provider(client).headers["location"])
    page = client.get("/ui/analyses").text
    assert "oidc:victor" in page and "Start an analysis" not in page


def test_a_callback_that_this_browser_did_not_start_is_refused(
    client: TestClient, provider: OidcProvider,
) -> None:
    back = _to_provider(client)
    client.cookies.clear()  # another browser: it holds no state for this sign-in
    answer = client.get(back.headers["location"])
    assert answer.status_code == 403 and "state" in answer.text
    assert "slo_scout_session" not in client.cookies


def test_an_id_token_for_another_sign_in_is_refused(client: TestClient,
                                                    provider: OidcProvider) -> None:
    provider.nonce_override = "someone-elses-nonce"
    answer = client.get(_to_provider(client).headers["location"])
    assert answer.status_code == 401 and "nonce" in answer.text
    assert "slo_scout_session" not in client.cookies


def test_a_code_the_provider_will_not_exchange_is_refused(client: TestClient,
                                                          provider: OidcProvider) -> None:
    back = _to_provider(client)
    provider.grants.clear()  # used, expired, or never issued
    answer = client.get(back.headers["location"])
    assert answer.status_code == 401 and "did not exchange" in answer.text
