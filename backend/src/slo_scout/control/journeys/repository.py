"""SQL for journeys and their per-minute statistics (the time series)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import keys
from slo_scout.db.models import JourneyRow, JourneyStat

_TABLE = JourneyRow.__table__
_JOURNEY = _TABLE.c
SUMMARY_COLUMNS = (
    _JOURNEY.id, _JOURNEY.environment_id, _JOURNEY.key, _JOURNEY.name, _JOURNEY.entry_service,
    _JOURNEY.entry_operation, _JOURNEY.requests, _JOURNEY.errors, _JOURNEY.latency_sketch,
    _JOURNEY.first_seen, _JOURNEY.last_seen,
)


async def get_journey(session: AsyncSession, journey_id: int) -> JourneyRow | None:
    return await session.get(JourneyRow, journey_id)


async def get_by_key(session: AsyncSession, environment_id: int, key: str) -> JourneyRow | None:
    return await session.scalar(
        select(JourneyRow).where(JourneyRow.environment_id == environment_id, JourneyRow.key == key)
    )


async def add_journey(session: AsyncSession, row: JourneyRow) -> JourneyRow:
    session.add(row)
    await session.flush()
    return row


async def list_journeys(
    session: AsyncSession,
    *,
    environment_ids: Sequence[int] | None,
    search: str | None,
    entry_service: str | None,
    min_requests: int | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Row[Any]], int]:
    """A page of journeys, busiest first, with the summary's columns only (no graph).

    Plain Core selects on the table (rows, not ORM objects): the list is the API's busiest
    read, and identity-map bookkeeping for rows nobody changes is most of its cost."""
    conditions: list[Any] = []
    if environment_ids is not None:
        conditions.append(_JOURNEY.environment_id.in_(environment_ids))
    if search:
        conditions.append(func.lower(_JOURNEY.name).contains(search.lower(), autoescape=True))
    if entry_service:
        conditions.append(_JOURNEY.entry_service == entry_service)
    if min_requests is not None:
        conditions.append(_JOURNEY.requests >= min_requests)
    # the total rides along as a scalar subquery (computed once): one round trip, not two
    counted = select(func.count()).select_from(_TABLE).where(*conditions).scalar_subquery()
    rows = (await session.execute(
        select(*SUMMARY_COLUMNS, counted.label("total"))
        .where(*conditions)
        .order_by(_JOURNEY.requests.desc(), _JOURNEY.id)
        .limit(limit)
        .offset(offset)
    )).all()
    if rows:
        return rows, int(rows[0].total)
    # an empty page (past the end, or nothing matches) carries no total: count on its own
    total = await session.scalar(select(func.count()).select_from(_TABLE).where(*conditions))
    return rows, int(total or 0)


async def journeys_of_environment(session: AsyncSession, environment_id: int) -> list[JourneyRow]:
    rows = await session.scalars(
        select(JourneyRow)
        .where(JourneyRow.environment_id == environment_id)
        .order_by(JourneyRow.id)
    )
    return list(rows)


async def ensure_partitions(session: AsyncSession, minutes: Iterable[datetime]) -> None:
    """PostgreSQL without TimescaleDB keeps one partition per month: create the ones needed."""
    if session.bind.dialect.name != "postgresql":
        return
    months = sorted({m.replace(day=1, hour=0, minute=0, second=0, microsecond=0) for m in minutes})
    for month in months:
        await session.execute(text("SELECT slo_scout_ensure_stats_partition(:m)"), {"m": month})


async def stats_between(
    session: AsyncSession, journey_ids: Sequence[int], start: datetime, end: datetime
) -> list[JourneyStat]:
    if not journey_ids:
        return []
    rows = await session.scalars(
        select(JourneyStat)
        .where(
            JourneyStat.journey_id.in_(journey_ids),
            JourneyStat.minute >= start,
            JourneyStat.minute < end,
        )
        .order_by(JourneyStat.journey_id, JourneyStat.minute)
    )
    return list(rows)


async def minutes_extent(
    session: AsyncSession, environment_id: int
) -> tuple[datetime, datetime] | None:
    """The oldest and newest stored minute of an environment's journeys (None: no minute)."""
    row = (await session.execute(
        select(func.min(JourneyStat.minute), func.max(JourneyStat.minute))
        .join(JourneyRow, JourneyRow.id == JourneyStat.journey_id)
        .where(JourneyRow.environment_id == environment_id)
    )).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


async def drop_boundary_stats_before(session: AsyncSession, cutoff: datetime) -> None:
    """The minutes before ``cutoff`` that whole partitions (chunks) left: the folded series
    then ends at the cutoff exactly as the keys' minutes do. (SQLite's rows are gone already.)"""
    if session.bind.dialect.name == "postgresql":
        await session.execute(JourneyStat.__table__.delete().where(JourneyStat.minute < cutoff))


async def drop_stats_before(session: AsyncSession, cutoff: datetime) -> int:
    """Retention: the folded minutes and the keys' minutes before ``cutoff`` (the ledger is
    ``retention.prune_ledger``'s); returns what the folded series dropped (partitions, chunks
    or rows)."""
    await keys.drop_key_minutes_before(session, cutoff)
    if session.bind.dialect.name == "postgresql":
        dropped = await session.scalar(
            text("SELECT slo_scout_drop_stats_before(:c)"), {"c": cutoff}
        )
        return int(dropped or 0)
    result = await session.execute(
        JourneyStat.__table__.delete().where(JourneyStat.minute < cutoff)
    )
    return int(result.rowcount or 0)


async def counts_between(
    session: AsyncSession, journey_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, int, int]]:
    """(minute, requests, errors) of one journey, without the latency sketches: what a traffic
    chart needs, at a fraction of loading and decoding every minute's sketch."""
    stat = JourneyStat.__table__.c
    rows = await session.execute(
        select(stat.minute, stat.requests, stat.errors)
        .where(stat.journey_id == journey_id, stat.minute >= start, stat.minute < end)
        .order_by(stat.minute))
    return [(minute, int(requests), int(errors)) for minute, requests, errors in rows.all()]
