"""SQL the forecasts need beyond the journey statistics' range read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import JourneyStat


async def last_minute(session: AsyncSession, journey_id: int) -> datetime | None:
    """The journey's newest stored minute (None: none stored)."""
    newest = await session.scalar(
        select(func.max(JourneyStat.minute)).where(JourneyStat.journey_id == journey_id))
    if newest is None:
        return None
    return newest if newest.tzinfo is not None else newest.replace(tzinfo=UTC)  # SQLite: naive


async def minutes(session: AsyncSession, journey_id: int, start: datetime, end: datetime, *,
                  sketches: bool) -> Sequence[Any]:
    """The journey's stored minutes in ``start``..``end`` (end excluded), oldest first, as
    (minute, requests, errors[, latency_sketch]) rows: columns, not ORM objects (building an
    object per minute was a third of a forecast's read), and the sketch only when asked for."""
    columns: list[Any] = [JourneyStat.minute, JourneyStat.requests, JourneyStat.errors]
    if sketches:
        columns.append(JourneyStat.latency_sketch)
    found = await session.execute(
        select(*columns)
        .where(JourneyStat.journey_id == journey_id, JourneyStat.minute >= start,
               JourneyStat.minute < end)
        .order_by(JourneyStat.minute))
    return found.all()
