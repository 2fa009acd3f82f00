"""Verified API keys are remembered for seconds; a revocation through this process is at once."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.api.conftest import ADMIN_KEY, NOW, seed, settings_for

from slo_scout.api.app import create_app
from slo_scout.control.auth.cache import PrincipalCache
from slo_scout.control.auth.keys import hash_key
from slo_scout.control.auth.principal import Principal
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import ApiKey


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _revoke_behind_the_apis_back(url: str, prefix: str) -> None:
    """What another API process revoking the key looks like to this one."""

    async def go() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                await session.execute(
                    update(ApiKey).where(ApiKey.prefix == prefix).values(revoked_at=NOW))
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_an_entry_expires_after_its_ttl() -> None:
    clock = FakeClock()
    cache = PrincipalCache(5.0, clock=clock)
    alice = Principal("key:alice", {"shop": "viewer"})
    cache.put("h1", alice, cache.generation)
    clock.now += 4.9
    assert cache.get("h1") is alice
    clock.now += 0.1
    assert cache.get("h1") is None


def test_a_lookup_that_began_before_a_clear_caches_nothing() -> None:
    cache = PrincipalCache(5.0, clock=FakeClock())
    began = cache.generation
    cache.clear()  # a key was revoked while the lookup read the database
    cache.put("h1", Principal("key:alice"), began)
    assert cache.get("h1") is None


def test_a_zero_ttl_caches_nothing_and_a_full_cache_keeps_working() -> None:
    off = PrincipalCache(0.0, clock=FakeClock())
    off.put("h1", Principal("key:alice"), off.generation)
    assert off.get("h1") is None
    small = PrincipalCache(5.0, max_entries=2, clock=FakeClock())
    for name in ("a", "b", "c"):
        small.put(name, Principal(f"key:{name}"), small.generation)
    assert small.get("c") == Principal("key:c")


def test_a_key_revoked_by_another_process_works_until_the_ttl_then_stops(
    migrated_url: str,
) -> None:
    seed(migrated_url)
    clock = FakeClock()
    app = create_app(settings_for(migrated_url), clock=lambda: NOW)
    app.state.principals = PrincipalCache(5.0, clock=clock)
    with TestClient(app) as client:
        issued = client.post("/api/v1/api-keys", headers={"X-API-Key": ADMIN_KEY}, json={
            "subject": "mallory", "name": "m", "team": "shop", "role": "viewer"}).json()
        key = {"X-API-Key": issued["key"]}
        assert client.get("/api/v1/journeys", headers=key).status_code == 200
        _revoke_behind_the_apis_back(migrated_url, issued["prefix"])
        assert client.get("/api/v1/journeys", headers=key).status_code == 200
        clock.now += 5.0
        assert client.get("/api/v1/journeys", headers=key).status_code == 401


def test_with_the_cache_off_a_revocation_anywhere_takes_effect_at_once(
    migrated_url: str,
) -> None:
    seed(migrated_url)
    settings = settings_for(migrated_url, key_cache_seconds=0)
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        issued = client.post("/api/v1/api-keys", headers={"X-API-Key": ADMIN_KEY}, json={
            "subject": "mallory", "name": "m", "team": "shop", "role": "viewer"}).json()
        key = {"X-API-Key": issued["key"]}
        assert client.get("/api/v1/journeys", headers=key).status_code == 200
        _revoke_behind_the_apis_back(migrated_url, issued["prefix"])
        assert client.get("/api/v1/journeys", headers=key).status_code == 401


def test_a_cached_key_is_found_only_by_the_whole_key() -> None:
    cache = PrincipalCache(5.0, clock=FakeClock())
    key = "ssk_0123456789ab_secret"
    cache.put(hash_key(key), Principal("key:alice"), cache.generation)
    assert cache.get(hash_key("ssk_0123456789ab_other")) is None
    assert cache.get(hash_key(key)) == Principal("key:alice")
