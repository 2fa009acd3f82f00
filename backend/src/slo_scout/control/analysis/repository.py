"""SQL for the durable analysis job queue and the versioned results.

Claiming: on PostgreSQL one statement picks the oldest runnable job with
``FOR UPDATE SKIP LOCKED`` (so concurrent workers never block on, or both take, one row) and
leases it. SQLite has one writer at a time and no SKIP LOCKED: the worker reads a candidate and
takes it with ``UPDATE ... WHERE`` the state it read still holds, and only a row count of 1 means
it won. A runnable job is queued, or running with an expired lease (its worker died). Every write a
worker makes afterwards is fenced by (lease_owner, attempts): a worker whose lease was taken over
can no longer change the job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import AnalysisJob, AnalysisResult, Environment, Service, Team

RUNNABLE_SQL = "(status = 'queued' OR (status = 'running' AND lease_expires_at < :now))"


def _runnable(now: datetime) -> Any:
    return or_(
        AnalysisJob.status == "queued",
        and_(AnalysisJob.status == "running", AnalysisJob.lease_expires_at < now),
    )


async def insert_job(session: AsyncSession, job: AnalysisJob) -> AnalysisJob:
    session.add(job)
    await session.flush()
    return job


async def get_job(session: AsyncSession, job_id: str) -> AnalysisJob | None:
    return await session.get(AnalysisJob, job_id)


async def fail_exhausted(session: AsyncSession, now: datetime) -> list[str]:
    """Jobs whose lease ran out on their last allowed attempt end as failed."""
    rows = await session.execute(
        update(AnalysisJob)
        .where(
            AnalysisJob.status == "running",
            AnalysisJob.lease_expires_at < now,
            AnalysisJob.attempts >= AnalysisJob.max_attempts,
        )
        .values(
            status="failed",
            finished_at=now,
            lease_owner=None,
            error="the worker running it stopped (lease expired) on its last allowed attempt",
        )
        .returning(AnalysisJob.id)
    )
    return [row[0] for row in rows]


async def claim_next(
    session: AsyncSession, worker: str, now: datetime, lease: timedelta
) -> AnalysisJob | None:
    params = {"worker": worker, "now": now, "until": now + lease}
    if session.bind.dialect.name == "postgresql":
        row = (
            await session.execute(
                text(
                    "UPDATE analysis_jobs SET status = 'running', lease_owner = :worker, "
                    "lease_expires_at = :until, attempts = attempts + 1, "
                    "started_at = COALESCE(started_at, :now) "
                    "WHERE id = (SELECT id FROM analysis_jobs WHERE "
                    f"{RUNNABLE_SQL} AND attempts < max_attempts "
                    "ORDER BY created_at, id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id"
                ),
                params,
            )
        ).first()
        return await _reload(session, row[0]) if row else None
    candidate = (
        await session.execute(
            select(AnalysisJob.id, AnalysisJob.attempts)
            .where(_runnable(now), AnalysisJob.attempts < AnalysisJob.max_attempts)
            .order_by(AnalysisJob.created_at, AnalysisJob.id)
            .limit(1)
        )
    ).first()
    if candidate is None:
        return None
    taken = await session.execute(
        update(AnalysisJob)
        .where(
            AnalysisJob.id == candidate.id,
            AnalysisJob.attempts == candidate.attempts,
            _runnable(now),
        )
        .values(
            status="running",
            lease_owner=worker,
            lease_expires_at=now + lease,
            attempts=AnalysisJob.attempts + 1,
            started_at=func.coalesce(AnalysisJob.started_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # another worker won the race for this row
        return None
    return await _reload(session, candidate.id)


async def _reload(session: AsyncSession, job_id: str) -> AnalysisJob | None:
    result = await session.execute(
        select(AnalysisJob)
        .where(AnalysisJob.id == job_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def update_held(
    session: AsyncSession,
    job_id: str,
    worker: str,
    attempt: int,
    **values: Any,
) -> bool:
    """Changes a job only while ``worker`` still holds it on ``attempt``; False if it lost it."""
    result = await session.execute(
        update(AnalysisJob)
        .where(
            AnalysisJob.id == job_id,
            AnalysisJob.lease_owner == worker,
            AnalysisJob.attempts == attempt,
            AnalysisJob.status == "running",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def jobs_by_status(session: AsyncSession) -> dict[str, int]:
    """How many jobs are in each status (statuses with none are absent)."""
    rows = await session.execute(
        select(AnalysisJob.status, func.count()).group_by(AnalysisJob.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def next_result_version(session: AsyncSession, environment_id: int) -> int:
    current = await session.scalar(
        select(func.max(AnalysisResult.version)).where(
            AnalysisResult.environment_id == environment_id
        )
    )
    return int(current or 0) + 1


async def insert_result(session: AsyncSession, result: AnalysisResult) -> AnalysisResult:
    session.add(result)
    await session.flush()
    return result


async def get_result(session: AsyncSession, result_id: int) -> AnalysisResult | None:
    return await session.get(AnalysisResult, result_id)


async def latest_result(session: AsyncSession, environment_id: int) -> AnalysisResult | None:
    return await session.scalar(
        select(AnalysisResult)
        .where(AnalysisResult.environment_id == environment_id)
        .order_by(AnalysisResult.version.desc())
        .limit(1)
    )


_JOB = AnalysisJob.__table__.c
STATUS_COLUMNS = (
    _JOB.id, _JOB.status, _JOB.stage, _JOB.progress, _JOB.attempts, _JOB.max_attempts,
    _JOB.lookback_seconds, _JOB.strategy, _JOB.requested_by, _JOB.created_at, _JOB.started_at,
    _JOB.finished_at, _JOB.timings, _JOB.error, _JOB.result_id, _JOB.window_end,
    _JOB.include_incidents,
)


_ENV, _SVC, _TEAM = Environment.__table__.c, Service.__table__.c, Team.__table__.c
# Built once: status is polled, and building and hashing the statement cost more than running it.
_STATUS_WITH_NAMES = (
    select(*STATUS_COLUMNS, _TEAM.name.label("team_name"), _SVC.name.label("service_name"),
           _ENV.name.label("environment_name"))
    .join_from(AnalysisJob.__table__, Environment.__table__, _ENV.id == _JOB.environment_id)
    .join(Service.__table__, _SVC.id == _ENV.service_id)
    .join(Team.__table__, _TEAM.id == _SVC.team_id)
    .where(_JOB.id == bindparam("job_id"))
)


async def job_with_names(
    session: AsyncSession, job_id: str
) -> tuple[Row[Any], str, str, str] | None:
    """A job's status columns with its team, service and environment names, in one Core query
    (no ORM object, no identity map, no lease columns)."""
    row = (await session.execute(_STATUS_WITH_NAMES, {"job_id": job_id})).first()
    return None if row is None else (row, row.team_name, row.service_name, row.environment_name)
