"""Recent analysis jobs of the environments a caller may see, newest first (the UI's list)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import AnalysisJob


async def recent_jobs(session: AsyncSession, environment_ids: Sequence[int], limit: int = 50
                      ) -> list[AnalysisJob]:
    rows = await session.scalars(
        select(AnalysisJob).where(AnalysisJob.environment_id.in_(sorted(environment_ids)))
        .order_by(AnalysisJob.created_at.desc(), AnalysisJob.id).limit(limit))
    return list(rows)
