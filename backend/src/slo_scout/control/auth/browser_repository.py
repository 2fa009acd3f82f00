"""SQL for browser sessions of the review UI (``ui_sessions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import ApiKey, UiSession


async def add(session: AsyncSession, row: UiSession) -> None:
    session.add(row)
    await session.flush()


async def with_key(session: AsyncSession, token_hash: str
                   ) -> tuple[UiSession, ApiKey | None] | None:
    """The session and the API key it was opened with (None for an OIDC sign-in)."""
    found = (await session.execute(
        select(UiSession, ApiKey).join(ApiKey, ApiKey.id == UiSession.key_id, isouter=True)
        .where(UiSession.token_hash == token_hash))).first()
    return (found[0], found[1]) if found is not None else None


async def remove(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(UiSession).where(UiSession.token_hash == token_hash))


async def remove_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(UiSession).where(UiSession.expires_at <= now))


async def remove_of_key(session: AsyncSession, key_id: int) -> None:
    await session.execute(delete(UiSession).where(UiSession.key_id == key_id))
