"""SQL for SLOs and their revisions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import Slo, SloRevision


async def get(session: AsyncSession, slo_id: int) -> Slo | None:
    return await session.get(Slo, slo_id)


async def by_name(session: AsyncSession, environment_id: int, name: str) -> Slo | None:
    return await session.scalar(
        select(Slo).where(Slo.environment_id == environment_id, Slo.name == name)
    )


async def add(session: AsyncSession, slo: Slo) -> Slo:
    session.add(slo)
    await session.flush()
    return slo


async def add_revision(session: AsyncSession, revision: SloRevision) -> None:
    session.add(revision)
    await session.flush()


async def revisions(session: AsyncSession, slo_id: int) -> list[SloRevision]:
    rows = await session.scalars(
        select(SloRevision).where(SloRevision.slo_id == slo_id).order_by(SloRevision.id)
    )
    return list(rows)


async def list_slos(
    session: AsyncSession, *, environment_ids: Sequence[int], status: str | None, limit: int,
    offset: int,
) -> tuple[list[Slo], int]:
    query = select(Slo).where(Slo.environment_id.in_(environment_ids))
    if status is not None:
        query = query.where(Slo.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Slo.id).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def of_environment(session: AsyncSession, environment_id: int, status: str) -> list[Slo]:
    rows = await session.scalars(
        select(Slo)
        .where(Slo.environment_id == environment_id, Slo.status == status)
        .order_by(Slo.name)
    )
    return list(rows)
