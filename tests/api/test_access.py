"""Credentials on every endpoint but health; API keys hashed and shown once; OIDC JWTs; roles."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from tests.api.conftest import ADMIN_KEY, NOW, seed, settings_for

from slo_scout.api.app import create_app

ISSUER = "https://idp.example.test"
AUDIENCE = "slo-scout"


def test_requests_without_credentials_are_401_problems(client: TestClient) -> None:
    response = client.get("/api/v1/journeys", headers={"X-API-Key": ""})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/healthz", headers={"X-API-Key": ""}).status_code == 200


def test_an_issued_key_is_shown_once_stored_hashed_and_never_echoed(
    client: TestClient, migrated_url: str
) -> None:
    seed(migrated_url)
    issued = client.post("/api/v1/api-keys", json={
        "subject": "alice", "name": "alice laptop", "team": "shop", "role": "viewer",
    })
    assert issued.status_code == 201
    key = issued.json()["key"]
    assert key.startswith("ssk_")
    viewer = {"X-API-Key": key}
    assert client.get("/api/v1/journeys", headers=viewer).status_code == 200
    denied = client.post("/api/v1/analyze", headers=viewer,
                         json={"service": "shop-frontend", "environment": "prod"})
    assert denied.status_code == 403
    assert "editor" in denied.json()["detail"] and key not in denied.text
    audit = client.get("/api/v1/audit").json()
    assert audit[0]["action"] == "api_key.create" and key not in json.dumps(audit)
    wrong = client.get("/api/v1/journeys", headers={"X-API-Key": key[:-2] + "xx"})
    assert wrong.status_code == 401 and key[:-2] not in wrong.text


def test_a_viewer_of_one_team_does_not_see_another_teams_services(
    client: TestClient, migrated_url: str
) -> None:
    seed(migrated_url, team="shop", service="shop-frontend")
    seed(migrated_url, team="payments", service="payments-api")
    key = client.post("/api/v1/api-keys", json={
        "subject": "bob", "name": "b", "team": "payments", "role": "viewer"}).json()["key"]
    names = [s["name"] for s in client.get("/api/v1/services", headers={"X-API-Key": key})
             .json()["items"]]
    assert names == ["payments-api"]


class _Jwks:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *_: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, **claims: object) -> str:
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "carol", "exp": int(time.time()) + 300,
                **claims}
        return jwt.encode(body, self.private, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def jwks() -> Iterator[_Jwks]:
    server = _Jwks()
    yield server
    server.server.shutdown()


def test_oidc_tokens_are_verified_against_the_issuers_jwks(
    migrated_url: str, jwks: _Jwks
) -> None:
    seed(migrated_url)
    settings = settings_for(migrated_url, oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                            oidc_jwks_url=jwks.url)
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        def get(token: str) -> int:
            return client.get("/api/v1/journeys",
                              headers={"Authorization": f"Bearer {token}"}).status_code

        editor = jwks.token(slo_scout_roles=["shop:editor"])
        assert get(editor) == 200
        assert get(jwks.token(aud="someone-else")) == 401
        assert get(jwks.token(iss="https://evil.example")) == 401
        assert get(jwks.token(exp=int(time.time()) - 10)) == 401
        forged = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": 2**31},
                            rsa.generate_private_key(public_exponent=65537, key_size=2048),
                            algorithm="RS256", headers={"kid": "k1"})
        assert get(forged) == 401
        queued = client.post("/api/v1/analyze", headers={"Authorization": f"Bearer {editor}"},
                             json={"service": "shop-frontend", "environment": "prod"})
        assert queued.status_code == 202 and queued.json()["requested_by"] == "oidc:carol"
        assert client.get("/api/v1/audit", headers={"X-API-Key": ADMIN_KEY}).json()[0][
            "actor"] == "oidc:carol"
