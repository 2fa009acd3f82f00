"""POST /analyze (202 + job id), GET /analyze/{id}, GET /results/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Row

from slo_scout.api.analysis.schemas import (
    AnalyzeRequest,
    JobLinks,
    JobOut,
    ResultOut,
    parse_lookback,
)
from slo_scout.api.deps import NowDep, PrincipalDep, RowId, SessionDep, SettingsDep
from slo_scout.api.problems import not_found
from slo_scout.control.analysis import repository, service
from slo_scout.control.audit import repository as audit
from slo_scout.control.auth.guard import require
from slo_scout.control.catalog import repository as catalog
from slo_scout.control.catalog.service import find_environment
from slo_scout.db.models import AnalysisJob

router = APIRouter(tags=["analysis"])


async def _job_out(session: SessionDep, job: AnalysisJob) -> JobOut:
    env = await catalog.get_environment_by_id(session, job.environment_id)
    assert env is not None
    svc = await catalog.get_service_by_id(session, env.service_id)
    assert svc is not None
    return _job_body(job, svc.name, env.name)


def _job_body(job: AnalysisJob | Row[Any], service_name: str, environment: str) -> JobOut:
    return JobOut(
        id=job.id, service=service_name, environment=environment, status=job.status,
        stage=job.stage,
        progress=job.progress, attempts=job.attempts, max_attempts=job.max_attempts,
        lookback_seconds=job.lookback_seconds, strategy=job.strategy,
        requested_by=job.requested_by, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at, timings=job.timings or {}, error=job.error,
        links=JobLinks(
            self=f"/api/v1/analyze/{job.id}",
            result=f"/api/v1/results/{job.result_id}" if job.result_id else None,
            journeys=f"/api/v1/journeys?service={service_name}&environment={environment}",
        ),
    )


@router.post("/analyze", status_code=202, response_model=JobOut, summary="Start an analysis")
async def analyze(
    body: AnalyzeRequest, request: Request, response: Response, session: SessionDep,
    principal: PrincipalDep, settings: SettingsDep, now: NowDep,
) -> JobOut:
    team, svc, env = await find_environment(
        session, service=body.service, environment=body.environment
    )
    require(principal, team.name, "editor")
    job = await service.enqueue(
        session, environment_id=env.id, lookback_seconds=parse_lookback(body.lookback),
        strategy=body.strategy, requested_by=principal.subject,
        max_attempts=settings.jobs.max_attempts, now=now,
    )
    await audit.record(
        session, actor=principal.subject, action="analysis.enqueue", target_type="job",
        target_id=job.id, team=team.name, at=now,
        details={"service": svc.name, "environment": env.name, "lookback": body.lookback},
    )
    out = await _job_out(session, job)
    await session.commit()
    request.app.state.metrics.jobs.labels("enqueued").inc()
    response.headers["Location"] = out.links.self
    return out


@router.get("/analyze/{job_id}", response_model=JobOut, summary="An analysis job's status")
async def job_status(job_id: str, session: SessionDep, principal: PrincipalDep) -> JobOut:
    found = await repository.job_with_names(session, job_id)
    if found is None:
        raise not_found(f"analysis job '{job_id}'")
    job, team, service_name, environment = found
    require(principal, team, "viewer")
    return _job_body(job, service_name, environment)


@router.get("/results/{result_id}", response_model=ResultOut, summary="An analysis result")
async def result(result_id: RowId, session: SessionDep, principal: PrincipalDep) -> ResultOut:
    found = await service.get_result(session, result_id)
    if found is None:
        raise not_found(f"analysis result {result_id}")
    env = await catalog.get_environment_by_id(session, found.environment_id)
    assert env is not None
    team = await catalog.team_of_service(session, env.service_id)
    require(principal, team.name, "viewer")
    return ResultOut(
        id=found.id, job_id=found.job_id, version=found.version, created_at=found.created_at,
        summary=found.summary, recommendations=found.recommendations,
    )
