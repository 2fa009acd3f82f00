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
from slo_scout.control.analysis import service
from slo_scout.db.models import AnalysisJob

router = APIRouter(tags=["analysis"])


def _job_body(job: AnalysisJob | Row[Any], service_name: str, environment: str) -> JobOut:
    return JobOut(
        id=job.id, service=service_name, environment=environment, status=job.status,
        stage=job.stage,
        progress=job.progress, attempts=job.attempts, max_attempts=job.max_attempts,
        lookback_seconds=job.lookback_seconds, end=job.window_end, strategy=job.strategy,
        include_incidents=job.include_incidents, requested_by=job.requested_by,
        created_at=job.created_at, started_at=job.started_at,
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
    job, service_name, environment = await service.request(
        session, principal, service=body.service, environment=body.environment,
        lookback=body.lookback, lookback_seconds=parse_lookback(body.lookback), end=body.end,
        strategy=body.strategy, include_incidents=body.include_incidents,
        max_attempts=settings.jobs.max_attempts, now=now,
    )
    out = _job_body(job, service_name, environment)
    await session.commit()
    request.app.state.metrics.jobs.labels("enqueued").inc()
    response.headers["Location"] = out.links.self
    return out


@router.get("/analyze/{job_id}", response_model=JobOut, summary="An analysis job's status")
async def job_status(job_id: str, session: SessionDep, principal: PrincipalDep) -> JobOut:
    return _job_body(*await service.visible_job(session, principal, job_id))


@router.get("/results/{result_id}", response_model=ResultOut, summary="An analysis result")
async def result(result_id: RowId, session: SessionDep, principal: PrincipalDep) -> ResultOut:
    found = await service.visible_result(session, principal, result_id)
    return ResultOut(
        id=found.id, job_id=found.job_id, version=found.version, created_at=found.created_at,
        summary=found.summary, recommendations=found.recommendations,
    )
