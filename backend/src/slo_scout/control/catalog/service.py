"""Teams, services and environments: registered, or found or created on first use (ingest,
analyze), named, and filtered to what a caller may see. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.audit import repository as audit
from slo_scout.control.auth.guard import require, require_visible
from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog import repository
from slo_scout.control.errors import Conflict, NotFound
from slo_scout.db.models import Environment, Service, Team


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
    session: AsyncSession, *, service: str, environment: str,
    principal: Principal | None = None, role: str = "viewer",
) -> tuple[Team, Service, Environment]:
    """Raises :class:`NotFound` naming the missing service or environment.

    With ``principal``, also checks ``role`` in the owning team, before the environment is
    looked up: another team's service is "not found" whether or not it or its environment
    exists (:func:`require_visible`)."""
    found = await repository.get_service(session, service)
    if found is None:
        raise NotFound(f"service '{service}'")
    team = await repository.team_of_service(session, found.id)
    if principal is not None:
        require_visible(principal, team.name, role, f"service '{service}'")
    env = await repository.get_environment(session, found.id, environment)
    if env is None:
        raise NotFound(f"environment '{environment}' of service '{service}'")
    return team, found, env


async def team_of_environment(session: AsyncSession, environment_id: int) -> tuple[str, str, str]:
    """(team, service, environment) names of an environment."""
    env = await repository.get_environment_by_id(session, environment_id)
    assert env is not None
    service = await repository.get_service_by_id(session, env.service_id)
    assert service is not None
    team = await repository.team_of_service(session, service.id)
    return team.name, service.name, env.name


async def visible_environments(
    session: AsyncSession, teams: set[str] | None, service: str | None, environment: str | None
) -> dict[int, tuple[str, str, str]]:
    """environment id -> (team, service, environment) the caller may see, after filters."""
    # Core columns (not ORM attributes): every list request runs this, and the ORM adds nothing
    env, svc, team = Environment.__table__.c, Service.__table__.c, Team.__table__.c
    query = (
        select(env.id, team.name, svc.name, env.name)
        .join_from(Environment.__table__, Service.__table__, svc.id == env.service_id)
        .join(Team.__table__, team.id == svc.team_id)
    )
    if teams is not None:
        query = query.where(team.name.in_(sorted(teams)))
    if service is not None:
        query = query.where(svc.name == service)
    if environment is not None:
        query = query.where(env.name == environment)
    rows = await session.execute(query)
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


async def register_service(
    session: AsyncSession, principal: Principal, *, name: str, team: str,
    environments: list[str], now: datetime,
) -> list[str]:
    """A new service of ``team`` with its environments, by an editor of the team; returns the
    environments' names, sorted. Raises :class:`Conflict` when the name is taken."""
    require(principal, team, "editor")
    if await repository.get_service(session, name) is not None:
        raise Conflict(f"service '{name}' exists already")
    names = sorted(set(environments))
    for env in names:
        await ensure_environment(session, team=team, service=name, environment=env, now=now)
    await audit.record(session, actor=principal.subject, action="service.create",
                       target_type="service", target_id=name, team=team, at=now,
                       details={"environments": names})
    return names


async def visible_services(
    session: AsyncSession, principal: Principal, *, team: str | None, limit: int, offset: int,
) -> tuple[list[tuple[Service, Team]], int]:
    """A page of the services the caller may see (of ``team`` when given) and their total."""
    visible = principal.visible_teams()
    if team is not None and visible is not None and team not in visible:
        return [], 0
    return await repository.list_services(session, team=team, limit=limit, offset=offset,
                                          teams=visible)


async def environments_of(
    session: AsyncSession, principal: Principal, service: str
) -> list[Environment]:
    """A service's environments, for a viewer of its team."""
    found = await repository.get_service(session, service)
    if found is None:
        raise NotFound(f"service '{service}'")
    team = await repository.team_of_service(session, found.id)
    require_visible(principal, team.name, "viewer", f"service '{service}'")
    return await repository.list_environments(session, found.id)
