"""The review UI's OIDC sign-in: authorization code with PKCE, for a confidential client.

``begin`` makes the authorization request (state, nonce, PKCE verifier: the caller keeps them
for the callback); ``finish`` exchanges the code at the token endpoint and verifies the id
token as any bearer token is verified (issuer, the issuer's JWKS, audience = the client id,
expiry) and its nonce. Errors are :class:`~slo_scout.control.auth.service.Unauthenticated`
with a message safe to show: never the token, the code or the identity provider's answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from slo_scout.control.auth.oidc import InvalidToken, OidcVerifier
from slo_scout.control.auth.service import Unauthenticated
from slo_scout.settings import AuthSettings


@dataclass(frozen=True)
class Started:
    url: str  # where to send the browser
    state: str
    nonce: str
    verifier: str  # the PKCE code verifier


def configured(settings: AuthSettings) -> bool:
    return bool(settings.oidc_client_id and settings.oidc_client_secret
                and settings.oidc_authorization_url and settings.oidc_token_url
                and settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url)


def begin(settings: AuthSettings, redirect_uri: str) -> Started:
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({
        "response_type": "code", "client_id": settings.oidc_client_id,
        "redirect_uri": redirect_uri, "scope": "openid profile", "state": state,
        "nonce": nonce, "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256"})
    separator = "&" if "?" in str(settings.oidc_authorization_url) else "?"
    return Started(f"{settings.oidc_authorization_url}{separator}{query}", state, nonce,
                   verifier)


async def finish(
    settings: AuthSettings, verifier: OidcVerifier, *, code: str, code_verifier: str,
    redirect_uri: str, nonce: str, transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """The verified claims of the id token the code is exchanged for."""
    secret = settings.oidc_client_secret
    assert secret is not None and settings.oidc_token_url is not None  # configured()
    try:
        async with httpx.AsyncClient(timeout=settings.jwks_timeout_seconds,
                                     transport=transport) as client:
            answer = await client.post(settings.oidc_token_url, data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "client_id": settings.oidc_client_id, "client_secret": secret.get_secret_value(),
                "code_verifier": code_verifier})
        token = answer.json().get("id_token") if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        token = None
    if not isinstance(token, str):
        raise Unauthenticated("the identity provider did not exchange the sign-in code for an "
                              "id token; sign in again")
    try:
        claims = await verifier.verify(token)
    except InvalidToken as error:
        raise Unauthenticated(f"the id token was refused: {error}") from error
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise Unauthenticated("the id token is not for this sign-in (nonce); sign in again")
    return claims
