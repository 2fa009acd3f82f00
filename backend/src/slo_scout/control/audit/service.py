"""The audit log as a caller may read it: an admin of every team reads all of it, an admin of
some teams reads theirs, anyone else none of it (403, not an empty page)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.audit import repository
from slo_scout.control.auth.principal import ALL_TEAMS, Principal
from slo_scout.control.errors import Forbidden
from slo_scout.db.models import AuditEntry


async def visible_entries(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> list[AuditEntry]:
    if not principal.administers_any():
        raise Forbidden("reading the audit log needs the admin role in a team")
    teams = None if principal.can(ALL_TEAMS, "admin") else {
        t for t in principal.grants if principal.can(t, "admin")
    }
    return await repository.entries(session, teams=teams, limit=limit, offset=offset)
