"""Control-layer tests run on a real PostgreSQL: the tables the streaming jobs write exist there."""

from __future__ import annotations

import pytest
from tests.fixtures.postgres import PostgresServer, postgres_server  # noqa: F401

from slo_scout.db import migrate


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:  # noqa: F811
    """A fresh migrated PostgreSQL database (asyncpg URL)."""
    url = postgres_server.create_database("control")
    migrate.upgrade(url)
    return url


def psycopg_dsn(url: str) -> str:
    """The same database as a psycopg DSN, the way the streaming jobs connect."""
    return url.replace("postgresql+asyncpg://", "postgresql://")
