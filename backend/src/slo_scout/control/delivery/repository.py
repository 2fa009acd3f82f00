"""SQL for deliveries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import Delivery


async def add(session: AsyncSession, rows: list[Delivery]) -> list[Delivery]:
    session.add_all(rows)
    await session.flush()
    return rows


async def of_bundle(session: AsyncSession, bundle_id: int) -> list[Delivery]:
    rows = await session.scalars(
        select(Delivery).where(Delivery.bundle_id == bundle_id).order_by(Delivery.id.desc()))
    return list(rows)
