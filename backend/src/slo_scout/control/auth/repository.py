"""SQL for API keys and role bindings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import ApiKey, RoleBinding


async def key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


async def add_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    await session.flush()
    return key


async def grants_of(session: AsyncSession, subject: str) -> dict[str, str]:
    rows = await session.scalars(select(RoleBinding).where(RoleBinding.subject == subject))
    return {row.team: row.role for row in rows}


async def bind_role(
    session: AsyncSession, subject: str, team: str, role: str, now: datetime
) -> RoleBinding:
    binding = await session.scalar(
        select(RoleBinding).where(RoleBinding.subject == subject, RoleBinding.team == team)
    )
    if binding is None:
        binding = RoleBinding(subject=subject, team=team, role=role, created_at=now)
        session.add(binding)
    else:
        binding.role = role
    await session.flush()
    return binding
