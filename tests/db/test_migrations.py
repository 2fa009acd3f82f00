"""Alembic is the only schema path: upgrade from empty, downgrade to base, upgrade again."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from slo_scout.db import migrate
from slo_scout.db.engine import create_engine
from slo_scout.db.models import Base


async def _tables_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        return tables, await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def test_upgrade_downgrade_and_upgrade_again_leave_the_schema_at_head(database_url: str) -> None:
    expected = set(Base.metadata.tables)
    migrate.upgrade(database_url)
    tables, revision = asyncio.run(_tables_and_revision(database_url))
    assert expected <= tables
    assert revision == migrate.head_revision()

    migrate.downgrade(database_url, "base")
    tables, revision = asyncio.run(_tables_and_revision(database_url))
    assert tables & expected == set()
    assert revision is None

    migrate.upgrade(database_url)
    tables, revision = asyncio.run(_tables_and_revision(database_url))
    assert expected <= tables
    assert revision == migrate.head_revision()


def test_models_match_the_migrated_columns(migrated_url: str) -> None:
    async def columns() -> dict[str, set[str]]:
        engine = create_engine(migrated_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda c: {
                        t: {col["name"] for col in inspect(c).get_columns(t)}
                        for t in Base.metadata.tables
                    }
                )
        finally:
            await engine.dispose()

    found = asyncio.run(columns())
    for name, table in Base.metadata.tables.items():
        assert found[name] == {c.name for c in table.columns}, name
