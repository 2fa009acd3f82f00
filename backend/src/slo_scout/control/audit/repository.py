"""The audit log: every mutation, with who and when. Details never hold secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int,
    team: str | None,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=at, actor=actor, action=action, target_type=target_type,
            target_id=str(target_id), team=team, details=details or {},
        )
    )
    await session.flush()


async def entries(
    session: AsyncSession, *, teams: set[str] | None, limit: int, offset: int
) -> list[AuditEntry]:
    query = select(AuditEntry)
    if teams is not None:
        query = query.where(AuditEntry.team.in_(sorted(teams)))
    rows = await session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return list(rows)
