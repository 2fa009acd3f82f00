"""The API keys an admin may see: each key whose every grant is in a team they administer
(never a secret: only prefix, subject, name, grants, dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth.principal import Principal
from slo_scout.db.models import ApiKey, ApiKeyGrant


@dataclass(frozen=True, slots=True)
class KeySummary:
    prefix: str
    subject: str
    name: str
    grants: tuple[tuple[str, str], ...]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


async def administered_keys(session: AsyncSession, principal: Principal, limit: int = 500
                            ) -> list[KeySummary]:
    rows = await session.execute(
        select(ApiKey, ApiKeyGrant.team, ApiKeyGrant.role)
        .join(ApiKeyGrant, ApiKeyGrant.key_id == ApiKey.id, isouter=True)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc()))
    keys: dict[int, tuple[ApiKey, list[tuple[str, str]]]] = {}
    for key, team, role in rows.all():
        keys.setdefault(key.id, (key, []))[1].extend([(team, role)] if team else [])
    out = []
    for key, grants in keys.values():
        if all(principal.can(team, "admin") for team, _ in grants or [("*", "admin")]):
            out.append(KeySummary(key.prefix, key.subject, key.name, tuple(sorted(grants)),
                                  key.created_by, key.created_at, key.revoked_at))
    return out[:limit]
