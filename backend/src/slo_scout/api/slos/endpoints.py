"""SLOs: create by hand or from a recommendation, edit, approve or reject, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.api.deps import NowDep, PrincipalDep, RowId, SessionDep, SettingsDep
from slo_scout.api.slos.schemas import (
    Review,
    RevisionOut,
    SloByHand,
    SloEdit,
    SloFromRecommendation,
    SloOut,
    SloPage,
    SloStatus,
)
from slo_scout.api.versions import IfMatch, etag, reviewed, seen
from slo_scout.control.catalog.service import team_of_environment, visible_environments
from slo_scout.control.slos import repository, service
from slo_scout.db.models import Slo

router = APIRouter(tags=["slos"])


def _out(slo: Slo, team: str, svc: str, env: str) -> SloOut:
    return SloOut(
        id=slo.id, team=team, service=svc, environment=env, journey_id=slo.journey_id,
        name=slo.name, sli_kind=slo.sli_kind, objective=slo.objective,
        threshold_seconds=slo.threshold_seconds, window_days=slo.window_days,
        description=slo.description, status=slo.status,  # type: ignore[arg-type]
        version=slo.version, source=slo.source,  # type: ignore[arg-type]
        result_id=slo.result_id, last_changed_by=slo.last_changed_by,
        created_at=slo.created_at, updated_at=slo.updated_at,
    )


async def _one(session: AsyncSession, slo: Slo, response: Response | None = None) -> SloOut:
    if response is not None:  # the version a later review or edit names in If-Match
        response.headers["ETag"] = etag(slo.version, slo.status)
    return _out(slo, *await team_of_environment(session, slo.environment_id))


@router.get("/slos", response_model=SloPage, summary="SLOs you may see")
async def list_slos(
    session: SessionDep, principal: PrincipalDep,
    service_name: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    status: SloStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> SloPage:
    envs = await visible_environments(session, principal.visible_teams(), service_name,
                                      environment)
    rows, total = await repository.list_slos(
        session, environment_ids=sorted(envs), status=status, limit=limit, offset=offset
    )
    items = [_out(r, *envs[r.environment_id]) for r in rows]
    return SloPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/slos", status_code=201, response_model=SloOut, summary="Create an SLO by hand")
async def create_slo(
    body: SloByHand, session: SessionDep, principal: PrincipalDep, now: NowDep,
    settings: SettingsDep,
) -> SloOut:
    slo = await service.create_by_hand(
        session, service.SloByHand(**body.model_dump()), principal, now,
        metric_family=settings.history.metric_family,
    )
    out = await _one(session, slo)
    await session.commit()
    return out


@router.post("/slos/from-recommendation", status_code=201, response_model=SloOut,
             summary="Adopt an analysis result's recommendation as an SLO")
async def adopt_recommendation(
    body: SloFromRecommendation, session: SessionDep, principal: PrincipalDep, now: NowDep,
    settings: SettingsDep,
) -> SloOut:
    slo = await service.create_from_recommendation(
        session, service.SloFromRecommendation(**body.model_dump()), principal, now,
        metric_family=settings.history.metric_family,
    )
    out = await _one(session, slo)
    await session.commit()
    return out


@router.get("/slos/{slo_id}", response_model=SloOut, summary="An SLO (ETag: its version)")
async def get_slo(
    slo_id: RowId, session: SessionDep, principal: PrincipalDep, response: Response
) -> SloOut:
    slo = await service.visible(session, principal, slo_id, "viewer")
    return await _one(session, slo, response)


@router.patch("/slos/{slo_id}", response_model=SloOut,
              summary="Edit an SLO (proposes a new version for review)")
async def edit_slo(
    slo_id: RowId, body: SloEdit, session: SessionDep, principal: PrincipalDep, now: NowDep,
    settings: SettingsDep, response: Response, if_match: IfMatch = None,
) -> SloOut:
    changes = body.model_dump(exclude_unset=True, exclude={"comment", "version"})
    slo = await service.edit(session, slo_id, changes, body.comment, principal, now,
                             seen(body.version, if_match),
                             metric_family=settings.history.metric_family)
    out = await _one(session, slo, response)
    await session.commit()
    return out


async def _review(
    verdict: str, slo_id: RowId, body: Review, if_match: str | None, session: AsyncSession,
    principal: PrincipalDep, settings: SettingsDep, now: NowDep, response: Response,
) -> SloOut:
    slo = await service.review(
        session, slo_id, verdict, body.comment, reviewed(body.version, if_match), principal, now,
        allow_self_approval=settings.auth.allow_self_approval,
    )
    out = await _one(session, slo, response)
    await session.commit()
    return out


@router.post("/slos/{slo_id}/approve", response_model=SloOut,
             summary="Approve the version of an SLO you reviewed")
async def approve_slo(
    slo_id: RowId, body: Review, session: SessionDep, principal: PrincipalDep,
    settings: SettingsDep, now: NowDep, response: Response, if_match: IfMatch = None,
) -> SloOut:
    return await _review("approve", slo_id, body, if_match, session, principal, settings, now,
                         response)


@router.post("/slos/{slo_id}/reject", response_model=SloOut,
             summary="Reject the version of an SLO you reviewed")
async def reject_slo(
    slo_id: RowId, body: Review, session: SessionDep, principal: PrincipalDep,
    settings: SettingsDep, now: NowDep, response: Response, if_match: IfMatch = None,
) -> SloOut:
    return await _review("reject", slo_id, body, if_match, session, principal, settings, now,
                         response)


@router.get("/slos/{slo_id}/history", response_model=list[RevisionOut],
            summary="Every change to an SLO, oldest first")
async def slo_history(
    slo_id: RowId, session: SessionDep, principal: PrincipalDep
) -> list[RevisionOut]:
    await service.visible(session, principal, slo_id, "viewer")
    return [RevisionOut(version=r.version, action=r.action,  # type: ignore[arg-type]
                        actor=r.actor, comment=r.comment, snapshot=r.snapshot, at=r.at)
            for r in await repository.revisions(session, slo_id)]
