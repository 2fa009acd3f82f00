"""SQL for API keys, their grants and (OIDC) role bindings."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import ApiKey, ApiKeyGrant, RoleBinding


async def key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


async def key_by_id(session: AsyncSession, key_id: int) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def add_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    await session.flush()
    return key


async def count_keys(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ApiKey)) or 0)


async def grants_of_key(session: AsyncSession, key_id: int) -> dict[str, str]:
    rows = await session.execute(
        select(ApiKeyGrant.team, ApiKeyGrant.role).where(ApiKeyGrant.key_id == key_id))
    return {team: role for team, role in rows}


async def grant_key(session: AsyncSession, key_id: int, team: str, role: str) -> None:
    found = await session.scalar(
        select(ApiKeyGrant).where(ApiKeyGrant.key_id == key_id, ApiKeyGrant.team == team))
    if found is None:
        session.add(ApiKeyGrant(key_id=key_id, team=team, role=role))
    else:
        found.role = role
    await session.flush()


async def teams_of_subject(session: AsyncSession, subject: str) -> set[str]:
    """Every team ``subject`` has a role in: through any of its keys (revoked ones too: the
    name still authored what it authored) or a role binding."""
    by_key = await session.scalars(
        select(ApiKeyGrant.team).join(ApiKey, ApiKey.id == ApiKeyGrant.key_id)
        .where(ApiKey.subject == subject))
    bound = await session.scalars(select(RoleBinding.team).where(RoleBinding.subject == subject))
    return set(by_key) | set(bound)


async def grants_of(session: AsyncSession, subject: str) -> dict[str, str]:
    """The role bindings of a subject (OIDC users; API keys carry their own grants)."""
    rows = await session.scalars(select(RoleBinding).where(RoleBinding.subject == subject))
    return {row.team: row.role for row in rows}
