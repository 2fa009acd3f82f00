"""A journey's variants: the structural keys folded into it, busiest first (the UI's read)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import JourneyKey


@dataclass(frozen=True, slots=True)
class Variant:
    key: str
    requests: int


async def of_journey(session: AsyncSession, journey_id: int, limit: int = 50) -> list[Variant]:
    rows = await session.execute(
        sa.select(JourneyKey.key, JourneyKey.requests)
        .where(JourneyKey.journey_id == journey_id)
        .order_by(JourneyKey.requests.desc(), JourneyKey.key).limit(limit))
    return [Variant(key, int(requests)) for key, requests in rows.all()]
