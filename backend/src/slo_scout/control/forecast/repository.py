"""SQL the forecasts need beyond the journey statistics' range read."""

from __future__ import annotations

from datetime import UTC, datetime

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
