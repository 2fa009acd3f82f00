from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.fixtures.control_plane import database_url, migrated_url, seed_keys  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401
from tests.worker.jobs import NOW, seed_and_enqueue  # noqa: F401

from slo_scout.api.app import create_app
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.settings import Settings

ADMIN_KEY = "ssk_b00757a9a11a_test-admin-secret-value-0123456789abcdef"


def settings_for(url: str, **auth: object) -> Settings:
    return Settings(database_url=url, auth={"bootstrap_admin_key": ADMIN_KEY, **auth})


@pytest.fixture
def api_settings(migrated_url: str) -> Settings:  # noqa: F811
    return settings_for(migrated_url)


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    app = create_app(api_settings, clock=lambda: NOW)
    with TestClient(app) as test_client:
        test_client.headers["X-API-Key"] = ADMIN_KEY
        yield test_client


def seed(url: str, team: str = "shop", service: str = "shop-frontend", journeys=()) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                _, _, env = await ensure_environment(
                    session, team=team, service=service, environment="prod", now=NOW
                )
                await seed_keys(session, env.id, list(journeys), NOW)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())
