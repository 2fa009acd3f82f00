"""Bearer JWTs from an OIDC issuer, verified against its JWKS (fetched and cached)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

from slo_scout.settings import AuthSettings


class InvalidToken(Exception):
    """The token is not acceptable; the message is safe to show (it never quotes the token)."""


class OidcVerifier:
    def __init__(self, settings: AuthSettings, transport: httpx.AsyncBaseTransport | None = None):
        self._settings = settings
        self._transport = transport
        self._keys: jwt.PyJWKSet | None = None
        self._fetched = 0.0
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        s = self._settings
        return bool(s.oidc_issuer and s.oidc_audience and s.oidc_jwks_url)

    async def _jwks(self, refresh: bool) -> jwt.PyJWKSet:
        async with self._lock:
            stale = time.monotonic() - self._fetched > self._settings.jwks_cache_seconds
            if self._keys is None or stale or refresh:
                async with httpx.AsyncClient(timeout=10, transport=self._transport) as client:
                    response = await client.get(str(self._settings.oidc_jwks_url))
                if response.status_code != 200:
                    raise InvalidToken("the identity provider's key set could not be fetched")
                self._keys = jwt.PyJWKSet.from_dict(response.json())
                self._fetched = time.monotonic()
            return self._keys

    async def _key_for(self, kid: str | None) -> Any:
        for refresh in (False, True):  # a new kid means the issuer rotated keys: refetch once
            keys = await self._jwks(refresh)
            for key in keys.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise InvalidToken("the token was signed with a key the issuer does not publish")

    async def verify(self, token: str) -> dict[str, Any]:
        if not self.configured:
            raise InvalidToken("bearer tokens are not accepted: no OIDC issuer is configured")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("the bearer token is not a well-formed JWT") from error
        key = await self._key_for(header.get("kid"))
        try:
            return jwt.decode(
                token,
                key,
                algorithms=self._settings.oidc_algorithms,
                audience=self._settings.oidc_audience,
                issuer=self._settings.oidc_issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("the bearer token has expired") from error
        except jwt.InvalidAudienceError as error:
            raise InvalidToken("the bearer token is for another audience") from error
        except jwt.InvalidIssuerError as error:
            raise InvalidToken("the bearer token is from another issuer") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(f"the bearer token is invalid: {type(error).__name__}") from error
