"""Analysis jobs: enqueue, and read status with links to results. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.analysis import repository
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
) -> AnalysisJob:
    job = AnalysisJob(
        id=str(uuid.uuid4()),
        environment_id=environment_id,
        lookback_seconds=lookback_seconds,
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


async def get_job(session: AsyncSession, job_id: str) -> AnalysisJob | None:
    return await repository.get_job(session, job_id)


async def get_result(session: AsyncSession, result_id: int) -> AnalysisResult | None:
    return await repository.get_result(session, result_id)
