"""Analysis jobs: requested (checked and audited), enqueued, and read back by callers allowed to
see them. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.analysis import repository
from slo_scout.control.audit import repository as audit
from slo_scout.control.auth.guard import require_visible
from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog import repository as catalog
from slo_scout.control.catalog.service import find_environment
from slo_scout.control.errors import NotFound
from slo_scout.db.models import AnalysisJob, AnalysisResult


async def enqueue(
    session: AsyncSession,
    *,
    environment_id: int,
    lookback_seconds: int,
    strategy: str,
    requested_by: str,
    max_attempts: int,
    now: datetime,
    end: datetime | None = None,
    include_incidents: bool = False,
) -> AnalysisJob:
    job = AnalysisJob(
        id=str(uuid.uuid4()),
        environment_id=environment_id,
        lookback_seconds=lookback_seconds,
        window_end=end,
        include_incidents=include_incidents,
        strategy=strategy,
        status="queued",
        stage="queued",
        progress=0.0,
        attempts=0,
        max_attempts=max_attempts,
        requested_by=requested_by,
        created_at=now,
        timings={},
    )
    return await repository.insert_job(session, job)


async def request(
    session: AsyncSession,
    principal: Principal,
    *,
    service: str,
    environment: str,
    lookback: str,
    lookback_seconds: int,
    strategy: str,
    max_attempts: int,
    now: datetime,
    end: datetime | None = None,
    include_incidents: bool = False,
) -> tuple[AnalysisJob, str, str]:
    """Enqueues an analysis of an environment for an editor of its team, in the audit log with
    the ``lookback`` (and ``end``) as asked. Without ``end`` the window ends at the
    environment's newest stored minute when the job runs. Returns (job, service name,
    environment name)."""
    team, svc, env = await find_environment(session, service=service, environment=environment,
                                            principal=principal, role="editor")
    job = await enqueue(
        session, environment_id=env.id, lookback_seconds=lookback_seconds, strategy=strategy,
        requested_by=principal.subject, max_attempts=max_attempts, now=now, end=end,
        include_incidents=include_incidents,
    )
    await audit.record(
        session, actor=principal.subject, action="analysis.enqueue", target_type="job",
        target_id=job.id, team=team.name, at=now,
        details={"service": svc.name, "environment": env.name, "lookback": lookback,
                 "end": None if end is None else end.isoformat(),
                 "include_incidents": include_incidents},
    )
    return job, svc.name, env.name


async def get_job(session: AsyncSession, job_id: str) -> AnalysisJob | None:
    return await repository.get_job(session, job_id)


async def visible_job(
    session: AsyncSession, principal: Principal, job_id: str
) -> tuple[Row[Any], str, str]:
    """A job's status columns with its service and environment names, for a viewer."""
    found = await repository.job_with_names(session, job_id)
    if found is None:
        raise NotFound(f"analysis job '{job_id}'")
    job, team, service_name, environment = found
    require_visible(principal, team, "viewer", f"analysis job '{job_id}'")
    return job, service_name, environment


async def get_result(session: AsyncSession, result_id: int) -> AnalysisResult | None:
    return await repository.get_result(session, result_id)


async def visible_result(
    session: AsyncSession, principal: Principal, result_id: int
) -> AnalysisResult:
    found = await repository.get_result(session, result_id)
    if found is None:
        raise NotFound(f"analysis result {result_id}")
    env = await catalog.get_environment_by_id(session, found.environment_id)
    assert env is not None
    team = await catalog.team_of_service(session, env.service_id)
    require_visible(principal, team.name, "viewer", f"analysis result {result_id}")
    return found
