"""Services and their environments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from slo_scout.api.deps import PrincipalDep, SessionDep
from slo_scout.control.catalog import service as catalog

router = APIRouter(tags=["services"])


class ServiceOut(BaseModel):
    name: str
    team: str


class ServicePage(BaseModel):
    items: list[ServiceOut]
    total: int


class EnvironmentOut(BaseModel):
    name: str
    service: str


@router.get("/services", response_model=ServicePage, summary="Services you may see")
async def list_services(
    session: SessionDep, principal: PrincipalDep,
    team: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> ServicePage:
    rows, total = await catalog.visible_services(session, principal, team=team, limit=limit,
                                                 offset=offset)
    return ServicePage(items=[ServiceOut(name=s.name, team=t.name) for s, t in rows],
                       total=total)


@router.get("/services/{service}/environments", response_model=list[EnvironmentOut],
            summary="A service's environments")
async def list_environments(
    service: str, session: SessionDep, principal: PrincipalDep
) -> list[EnvironmentOut]:
    return [EnvironmentOut(name=e.name, service=service)
            for e in await catalog.environments_of(session, principal, service)]
