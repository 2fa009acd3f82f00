"""The control layer's writer of mined log templates (analysis jobs reading Loki): on PostgreSQL
and SQLite alike, a template read again adds its lines and widens its sightings, a trace link is
stored once, and a template the streaming catalog job stored is the same row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.control.conftest import psycopg_dsn

from slo_scout.control.logs.mining import TemplateCount, template_id
from slo_scout.control.logs.repository import Link, TemplateRow, store_templates
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEXT = "charge failed: card <NUM> declined"
TID = template_id("prod", "payment", TEXT)


def _store(url: str, rows: list[TemplateRow], links: list[Link]) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                await store_templates(session, "prod", rows, links)
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def _read(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    async def go() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                templates = (await conn.execute(sa.text(
                    "SELECT id, environment, service, template, occurrences, first_seen, "
                    "last_seen FROM log_templates"))).all()
                links = (await conn.execute(sa.text(
                    "SELECT template_id, trace_id, seen_at FROM log_template_traces "
                    "ORDER BY trace_id"))).all()
            return [tuple(r) for r in templates], [tuple(r) for r in links]
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime | str)
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    sqlite = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    migrate.upgrade(sqlite)
    return sqlite


def test_a_template_read_again_adds_its_lines_widens_its_sightings_and_links_once(
        url: str) -> None:
    minute = timedelta(minutes=1)
    _store(url, [TemplateRow(TID, "payment", TEXT, 3, T0, T0 + minute)],
           [Link(TID, "a" * 32, T0, None), Link(TID, "b" * 32, T0 + minute, None)])
    # an overlapping window read later: an earlier line, a later line, one trace again
    _store(url, [TemplateRow(TID, "payment", TEXT, 2, T0 - minute, T0 + 5 * minute)],
           [Link(TID, "b" * 32, T0 + 5 * minute, None), Link(TID, "c" * 32, T0, None)])
    [(tid, env, service, text, n, first, last)], links = _read(url)
    assert (tid, env, service, text, n) == (TID, "prod", "payment", TEXT, 5)
    assert (_utc(first), _utc(last)) == (T0 - minute, T0 + 5 * minute)
    assert [(t, trace, _utc(at)) for t, trace, at in links] == [
        (TID, "a" * 32, T0), (TID, "b" * 32, T0 + minute), (TID, "c" * 32, T0)]
    # a narrower window read again changes no sighting
    _store(url, [TemplateRow(TID, "payment", TEXT, 1, T0, T0)], [])
    [(*_, n, first, last)], _ = _read(url)
    assert (n, _utc(first), _utc(last)) == (6, T0 - minute, T0 + 5 * minute)


def test_the_streaming_catalog_jobs_template_and_a_pulled_one_are_one_row(pg_url: str) -> None:
    pytest.importorskip("drain3", reason="drain3 not installed (scripts/install-nodeps.sh)")
    from slo_scout_streaming.catalog_store import CatalogStore

    store = CatalogStore(psycopg_dsn(pg_url), "prod")
    store.open()
    try:
        count = TemplateCount("payment", TEXT, occurrences=4, trace_ids={"a" * 32})
        store.write([], {TID: count}, T0)
    finally:
        store.close()
    _store(pg_url, [TemplateRow(TID, "payment", TEXT, 2, T0 + timedelta(hours=1),
                                T0 + timedelta(hours=2))], [Link(TID, "a" * 32, T0, None)])
    [(*_, n, first, last)], links = _read(pg_url)
    assert (n, _utc(first), _utc(last)) == (6, T0, T0 + timedelta(hours=2))
    assert len(links) == 1
