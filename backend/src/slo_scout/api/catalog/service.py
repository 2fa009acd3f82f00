"""Teams, services and environments: found or created on first use (ingest, analyze)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.api.catalog import repository
from slo_scout.db.models import Environment, Service, Team


class NotFound(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


async def ensure_environment(
    session: AsyncSession, *, team: str, service: str, environment: str, now: datetime
) -> tuple[Team, Service, Environment]:
    found = await repository.get_service(session, service)
    if found is None:
        owner = await repository.ensure_team(session, team, now)
        found = await repository.add_service(session, owner, service, now)
    else:
        owner = await repository.team_of_service(session, found.id)
    env = await repository.get_environment(session, found.id, environment)
    if env is None:
        env = await repository.add_environment(session, found.id, environment, now)
    return owner, found, env


async def find_environment(
    session: AsyncSession, *, service: str, environment: str
) -> tuple[Team, Service, Environment]:
    found = await repository.get_service(session, service)
    if found is None:
        raise NotFound(f"service '{service}'")
    env = await repository.get_environment(session, found.id, environment)
    if env is None:
        raise NotFound(f"environment '{environment}' of service '{service}'")
    return await repository.team_of_service(session, found.id), found, env
