"""The trace ledger by week (issue 10): on PostgreSQL weekly partitions created as writes need
them, dropped whole by retention with the boundary week's older rows deleted; on SQLite one plain
table pruned by DELETE. A trace id is counted once whichever weeks its copies fall in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from tests.control.conftest import psycopg_dsn
from tests.fixtures.control_plane import database_url, migrated_url  # noqa: F401
from tests.fixtures.postgres import PostgresServer

from slo_scout.control.journeys import keys, retention
from slo_scout.db import migrate
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import TraceLedgerEntry

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


def _week(monday: datetime) -> str:
    return f"trace_ledger_{monday:%Y%m%d}"


async def _ledger(session) -> list[tuple[str, datetime]]:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        select(TraceLedgerEntry.trace_id, TraceLedgerEntry.minute)
        .order_by(TraceLedgerEntry.trace_id))
    return [(r[0], r[1]) for r in rows]


def test_entries_land_in_the_partition_of_their_week(migrated_url: str) -> None:  # noqa: F811
    minutes = [MONDAY - timedelta(days=14), MONDAY - timedelta(minutes=1), MONDAY, NOW]

    async def scenario() -> None:
        engine = create_engine(migrated_url)
        try:
            async with session_factory(engine)() as session:
                claimed = await keys.claim(
                    session, [(f"t{i}", "k", m) for i, m in enumerate(minutes)], NOW)
                await session.commit()
                assert claimed == {"t0", "t1", "t2", "t3"}
                if session.bind.dialect.name != "postgresql":
                    assert await keys.ledger_partitions(session) == []
                    return
                placed = dict((await session.execute(text(
                    "SELECT trace_id, tableoid::regclass::text FROM trace_ledger"))).all())
                assert placed == {"t0": _week(MONDAY - timedelta(days=14)),
                                  "t1": _week(MONDAY - timedelta(days=7)),
                                  "t2": _week(MONDAY), "t3": _week(MONDAY)}
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_a_trace_counted_in_one_week_is_refused_in_another(migrated_url: str) -> None:  # noqa: F811
    """A fragment of a trace and the whole trace may carry different minutes (their topmost
    span's), on either side of a week's boundary: the trace id is what counts, across
    partitions (PostgreSQL looks within a day of the minute; SQLite's key is the id alone)."""
    sunday = MONDAY - timedelta(minutes=2)

    async def scenario() -> None:
        engine = create_engine(migrated_url)
        try:
            async with session_factory(engine)() as session:
                assert await keys.claim(session, [("t1", None, MONDAY + timedelta(minutes=1))],
                                        NOW) == {"t1"}
                await session.commit()
            async with session_factory(engine)() as session:
                again = await keys.claim(session, [("t1", "k", sunday), ("t2", "k", sunday),
                                                   ("t2", "k", NOW)], NOW)
                await session.commit()
                assert again == {"t2"}
                assert await keys.counted(session, {"t1": sunday, "t2": MONDAY,
                                                    "t3": MONDAY}) == {"t1", "t2"}
                assert [t for t, _ in await _ledger(session)] == ["t1", "t2"]
                if session.bind.dialect.name == "postgresql":
                    placed = dict((await session.execute(text(
                        "SELECT trace_id, tableoid::regclass::text FROM trace_ledger"))).all())
                    assert placed == {"t1": _week(MONDAY),
                                      "t2": _week(MONDAY - timedelta(days=7))}
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_retention_drops_whole_old_weeks_and_the_boundary_weeks_older_rows(
    migrated_url: str,  # noqa: F811
) -> None:
    cutoff = MONDAY - timedelta(days=10)  # a Friday: its week is the boundary
    minutes = {"old": MONDAY - timedelta(days=21), "before-cutoff": cutoff - timedelta(hours=1),
               "at-cutoff": cutoff, "recent": NOW - timedelta(hours=1)}

    async def scenario() -> None:
        engine = create_engine(migrated_url)
        try:
            async with session_factory(engine)() as session:
                await keys.claim(session, [(t, "k", m) for t, m in minutes.items()], NOW)
                await session.commit()
            async with session_factory(engine)() as session:
                dropped = await retention.prune_ledger(session, cutoff=cutoff, now=NOW)
                await session.commit()
            async with session_factory(engine)() as session:
                assert await _ledger(session) == [("at-cutoff", cutoff),
                                                  ("recent", minutes["recent"])]
                # within the retention, a resent trace is still refused
                assert await keys.claim(session, [("at-cutoff", "k", cutoff + timedelta(hours=1)),
                                                  ("recent", "k", NOW)], NOW) == set()
                if session.bind.dialect.name != "postgresql":
                    assert dropped == 2  # rows
                    return
                assert dropped == 1  # the old week whole; the boundary week's row by DELETE
                # (the migration created the weeks of the wall clock's today, later than these)
                assert [p for p in await keys.ledger_partitions(session)
                        if p <= _week(MONDAY + timedelta(days=7))] == [
                    _week(MONDAY - timedelta(days=14)), _week(MONDAY),
                    _week(MONDAY + timedelta(days=7))]  # the next week, created ahead
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_claims_of_one_trace_under_two_minutes_at_once_count_it_once(
    postgres_server: PostgresServer,
) -> None:
    """Two writers, one trace id, two weeks (a fragment from Sunday night, the whole trace from
    Monday): the second claim waits for the first to commit,
    then finds the id taken (without the turn-taking both would insert, in two partitions)."""
    url = postgres_server.create_database("ledger")
    migrate.upgrade(url)

    async def scenario() -> None:
        engine = create_engine(url)
        sessions = session_factory(engine)
        try:
            async with sessions() as first, sessions() as second:
                await keys.lock_ledger(first, "production")
                assert await keys.claim(first, [("t1", "k", MONDAY)], NOW) == {"t1"}

                async def later() -> set[str]:
                    await keys.lock_ledger(second, "production")
                    return await keys.claim(second, [("t1", None, MONDAY - timedelta(minutes=3))],
                                            NOW)

                waiting = asyncio.create_task(later())
                await asyncio.sleep(0.5)
                assert not waiting.done()  # it waits for the first writer's commit
                await first.commit()
                assert await asyncio.wait_for(waiting, 30) == set()
                await second.commit()
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_the_migration_partitions_the_existing_ledger_keeping_its_rows(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database("ledger")
    migrate.upgrade(url, "0004")
    postgres_server.psql(
        "INSERT INTO trace_ledger (trace_id, journey_key, minute, recorded_at) VALUES "
        "('a', 'k', '2026-10-01T10:00Z', '2026-10-01T10:01Z'), "
        "('b', NULL, '2026-11-17T08:00Z', '2026-11-17T08:01Z')", url.rsplit("/", 1)[1])
    migrate.upgrade(url)

    async def scenario() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                placed = dict((await session.execute(text(
                    "SELECT trace_id, tableoid::regclass::text FROM trace_ledger"))).all())
                assert placed == {"a": "trace_ledger_20260928", "b": _week(MONDAY)}
                # counted before the migration: still refused
                assert await keys.claim(session, [
                    ("a", "k", datetime(2026, 10, 1, 10, 0, tzinfo=UTC))], NOW) == set()
        finally:
            await engine.dispose()

    asyncio.run(scenario())
    migrate.downgrade(url, "0004")
    assert postgres_server.psql("SELECT trace_id FROM trace_ledger ORDER BY 1",
                                url.rsplit("/", 1)[1]).split() == ["a", "b"]


def test_the_stream_jobs_schema_check_passes_on_the_partitioned_ledger(
    postgres_server: PostgresServer,
) -> None:
    from slo_scout_streaming.schema import check_schema

    url = postgres_server.create_database("ledger")
    migrate.upgrade(url)
    assert check_schema(psycopg_dsn(url)) == migrate.head_revision()
