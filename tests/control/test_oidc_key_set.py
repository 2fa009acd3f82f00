"""The OIDC key set under made-up key ids, slow and broken issuers (the issuer faked at its HTTP
boundary, in the JWKS wire format)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from slo_scout.control.auth.oidc import InvalidToken, KeySetUnavailable, OidcVerifier
from slo_scout.settings import AuthSettings

ISSUER, AUDIENCE = "https://idp.test", "slo-scout"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWKS = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())),
                  "kid": "good", "alg": "RS256", "use": "sig"}]}


def token(kid: str = "good") -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": int(time.time()) + 60}
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": kid})


class Issuer:
    """The JWKS endpoint: ``answer`` is served; while ``gate`` is clear, fetches hang."""

    def __init__(self) -> None:
        self.fetches = 0
        self.answer: httpx.Response | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        await self.gate.wait()
        return self.answer or httpx.Response(200, json=JWKS)


def verifier(issuer: Issuer, **settings: float) -> OidcVerifier:
    auth = AuthSettings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                        oidc_jwks_url="https://idp.test/jwks", **settings)
    return OidcVerifier(auth, transport=httpx.MockTransport(issuer.handle))


def test_thirty_unknown_key_ids_cost_one_fetch() -> None:
    async def scenario() -> None:
        issuer = Issuer()
        v = verifier(issuer, jwks_min_refresh_seconds=0)
        await v.verify(token())
        issuer.gate.clear()  # the refetch hangs until all thirty are waiting on it
        tasks = [asyncio.ensure_future(v.verify(token(f"made-up-{i}"))) for i in range(30)]
        await asyncio.sleep(0.05)
        issuer.gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, InvalidToken) for r in results)
        assert issuer.fetches == 2  # the first fetch and one shared refetch

    asyncio.run(scenario())


def test_within_the_refresh_window_an_unknown_key_id_fetches_nothing() -> None:
    async def scenario() -> None:
        issuer = Issuer()
        v = verifier(issuer, jwks_min_refresh_seconds=300)
        await v.verify(token())
        for i in range(30):
            with pytest.raises(InvalidToken):
                await v.verify(token(f"made-up-{i}"))
        assert issuer.fetches == 1

    asyncio.run(scenario())


def test_a_hanging_refetch_does_not_hold_up_a_token_whose_key_is_held() -> None:
    async def scenario() -> None:
        issuer = Issuer()
        v = verifier(issuer, jwks_min_refresh_seconds=0)
        await v.verify(token())
        issuer.gate.clear()
        stranger = asyncio.ensure_future(v.verify(token("rotated")))
        await asyncio.sleep(0.05)
        assert (await v.verify(token()))["sub"] == "alice"  # answered while the fetch hangs
        assert not stranger.done()
        issuer.gate.set()
        with pytest.raises(InvalidToken):
            await stranger

    asyncio.run(scenario())


@pytest.mark.parametrize("answer", [httpx.Response(500, text="boom"),
                                    httpx.Response(200, json={"keys": "no"}),
                                    httpx.Response(200, text="not json")])
def test_a_broken_key_set_is_unavailable_with_none_held_and_keeps_the_last_good_keys(
    answer: httpx.Response,
) -> None:
    async def scenario() -> None:
        issuer = Issuer()
        issuer.answer = answer
        v = verifier(issuer, jwks_min_refresh_seconds=0)
        with pytest.raises(KeySetUnavailable):
            await v.verify(token())
        issuer.answer = None
        await v.verify(token())
        issuer.answer = answer
        with pytest.raises(InvalidToken):
            await v.verify(token("rotated"))  # refetched, failed: the held keys stay
        assert (await v.verify(token()))["sub"] == "alice"

    asyncio.run(scenario())


def test_a_fetch_that_times_out_is_unavailable_not_an_error() -> None:
    async def scenario() -> None:
        issuer = Issuer()

        async def slow(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("timed out", request=request)

        v = OidcVerifier(AuthSettings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                                      oidc_jwks_url="https://idp.test/jwks"),
                         transport=httpx.MockTransport(slow))
        with pytest.raises(KeySetUnavailable):
            await v.verify(token())
        assert issuer.fetches == 0

    asyncio.run(scenario())
