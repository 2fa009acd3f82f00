"""SQL for teams, services and environments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import Environment, Service, Team


async def get_team(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def ensure_team(session: AsyncSession, name: str, now: datetime) -> Team:
    team = await get_team(session, name)
    if team is None:
        team = Team(name=name, created_at=now)
        session.add(team)
        await session.flush()
    return team


async def get_service(session: AsyncSession, name: str) -> Service | None:
    return await session.scalar(select(Service).where(Service.name == name))


async def get_service_by_id(session: AsyncSession, service_id: int) -> Service | None:
    return await session.get(Service, service_id)


async def add_service(session: AsyncSession, team: Team, name: str, now: datetime) -> Service:
    service = Service(team_id=team.id, name=name, created_at=now)
    session.add(service)
    await session.flush()
    return service


async def list_services(
    session: AsyncSession, *, team: str | None, limit: int, offset: int,
    teams: set[str] | None = None,
) -> tuple[list[tuple[Service, Team]], int]:
    """A page of services (of ``team``, among ``teams`` when given) and their total."""
    query = select(Service, Team).join(Team, Team.id == Service.team_id)
    if team is not None:
        query = query.where(Team.name == team)
    if teams is not None:
        query = query.where(Team.name.in_(sorted(teams)))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(query.order_by(Service.name).limit(limit).offset(offset))
    return [(row[0], row[1]) for row in rows], int(total or 0)


async def team_of_service(session: AsyncSession, service_id: int) -> Team:
    return (
        await session.execute(
            select(Team).join(Service, Service.team_id == Team.id).where(Service.id == service_id)
        )
    ).scalar_one()


async def get_environment(
    session: AsyncSession, service_id: int, name: str
) -> Environment | None:
    return await session.scalar(
        select(Environment).where(Environment.service_id == service_id, Environment.name == name)
    )


async def get_environment_by_id(session: AsyncSession, env_id: int) -> Environment | None:
    return await session.get(Environment, env_id)


async def add_environment(
    session: AsyncSession, service_id: int, name: str, now: datetime
) -> Environment:
    env = Environment(service_id=service_id, name=name, created_at=now)
    session.add(env)
    await session.flush()
    return env


async def list_environments(session: AsyncSession, service_id: int) -> list[Environment]:
    rows = await session.scalars(
        select(Environment).where(Environment.service_id == service_id).order_by(Environment.name)
    )
    return list(rows)
