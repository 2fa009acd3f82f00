"""Bearer JWTs from an OIDC issuer, verified against its JWKS (fetched and cached).

Anyone can send a token with a made-up ``kid``, so the key set is guarded against them:

- a token whose key is held is verified with no fetch and no lock, whatever else is in flight;
- an unknown ``kid`` (the issuer may have rotated keys) refetches at most once per
  ``jwks_min_refresh_seconds``; within it the token is refused (401) at once;
- one fetch at a time: concurrent callers wait on the same one (never under a lock), bounded
  by ``jwks_timeout_seconds``;
- a stale set is refreshed in the background while the held keys keep serving, and a failed
  fetch or a bad key set keeps the last good keys;
- with no keys held at all, a failed fetch is :class:`KeySetUnavailable` (503, retry later).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

import httpx
import jwt

from slo_scout.settings import AuthSettings

log = logging.getLogger(__name__)


class InvalidToken(Exception):
    """The token is not acceptable; the message is safe to show (it never quotes the token)."""


class KeySetUnavailable(Exception):
    """The issuer's key set could not be fetched or read and none is held: a 503, not a 401 (the
    token may well be good) and not a 500 (nothing is wrong with this service)."""


class OidcVerifier:
    def __init__(self, settings: AuthSettings, transport: httpx.AsyncBaseTransport | None = None):
        self._settings = settings
        self._transport = transport
        self._keys: dict[str | None, Any] = {}  # kid -> key; None holds a key without a kid
        self._held = False  # a key set was fetched once
        self._fetched = -math.inf  # monotonic time of the last good fetch
        self._attempted = -math.inf  # ... and of the last attempt, good or not
        self._inflight: asyncio.Future[None] | None = None

    @property
    def configured(self) -> bool:
        s = self._settings
        return bool(s.oidc_issuer and s.oidc_audience and s.oidc_jwks_url)

    async def _fetch(self) -> None:
        self._attempted = time.monotonic()
        url = str(self._settings.oidc_jwks_url)
        try:
            async with httpx.AsyncClient(timeout=self._settings.jwks_timeout_seconds,
                                         transport=self._transport) as client:
                response = await client.get(url)
            if response.status_code != 200:
                raise KeySetUnavailable(f"HTTP {response.status_code}")
            keys = jwt.PyJWKSet.from_dict(response.json()).keys
        except (httpx.HTTPError, ValueError, TypeError, KeyError, AttributeError,
                jwt.PyJWTError, KeySetUnavailable) as error:
            # Only the class: the body and URL may hold what the caller should not see.
            log.warning("the OIDC key set could not be fetched (%s); %s", type(error).__name__,
                        "keeping the last good keys" if self._held else "none is held")
            return
        self._keys = {key.key_id: key.key for key in keys}
        self._held = True
        self._fetched = time.monotonic()

    def _start(self) -> asyncio.Future[None]:
        """The fetch in flight, or a new one."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.ensure_future(self._fetch())
        return self._inflight

    async def _refresh(self) -> None:
        """Joins the fetch in flight, or starts one; never raises."""
        # shield: a caller that gives up (client gone) does not cancel the others' fetch
        await asyncio.shield(self._start())

    def _due(self) -> bool:
        """A fetch is in flight (join it) or the last attempt is old enough to try again."""
        if self._inflight is not None and not self._inflight.done():
            return True
        return time.monotonic() - self._attempted >= self._settings.jwks_min_refresh_seconds

    def _lookup(self, kid: str | None) -> Any:
        if kid is None:
            return next(iter(self._keys.values()), None)
        return self._keys.get(kid)

    async def _key_for(self, kid: str | None) -> Any:
        now = time.monotonic()
        if not self._held:
            # Nothing to serve from: wait for one fetch (rate-limited like any other).
            if self._due():
                await self._refresh()
            if not self._held:
                raise KeySetUnavailable("the identity provider's key set could not be fetched")
        elif now - self._fetched > self._settings.jwks_cache_seconds and self._due():
            # Stale: refresh in the background, keep serving the held keys meanwhile.
            self._start()
        key = self._lookup(kid)
        if key is not None:
            return key
        # An unknown kid may mean the issuer rotated its keys: refetch, at most once a while.
        if self._due():
            await self._refresh()
            key = self._lookup(kid)
            if key is not None:
                return key
        raise InvalidToken("the token was signed with a key the issuer does not publish")

    async def verify(self, token: str) -> dict[str, Any]:
        if not self.configured:
            raise InvalidToken("bearer tokens are not accepted: no OIDC issuer is configured")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("the bearer token is not a well-formed JWT") from error
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the bearer token's kid is not a string")
        key = await self._key_for(kid)
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
