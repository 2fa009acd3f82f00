"""Journey bodies from the control layer's reads: list pages, summaries, statistics over time.

What a caller may see is the catalog's (``control.catalog.service.visible_environments``,
re-exported here for the endpoints); the statistics are bucketed in ``control.series``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.api.journeys.schemas import (
    ApprovedObjectiveOut,
    JourneyPage,
    JourneySummary,
    SimilarJourneyOut,
    SimilarJourneys,
    StatPoint,
)
from slo_scout.api.problems import Problem
from slo_scout.control import series
from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import NotFound
from slo_scout.control.journeys.shared_vectors import VectorsUnavailable, shared_vectors
from slo_scout.core.journeys.sketch_codec import sketch_quantiles
from slo_scout.db.models import JourneyRow
from slo_scout.settings import Settings


def summary_fields(row: Any, service: str, environment: str) -> dict[str, Any]:
    """A JourneySummary's fields from a journeys row (ORM object or Core row) with its names."""
    requests = row.requests
    sketch = row.latency_sketch
    p50, p99 = sketch_quantiles(sketch, (0.5, 0.99)) if requests else (None, None)
    return {
        "id": row.id, "key": row.key, "name": row.name, "service": service,
        "environment": environment, "entry_service": row.entry_service,
        "entry_operation": row.entry_operation, "requests": requests, "errors": row.errors,
        "error_ratio": row.errors / requests if requests else 0.0, "p50_s": p50, "p99_s": p99,
        "first_seen": row.first_seen, "last_seen": row.last_seen,
    }


def summary(row: JourneyRow, service: str, environment: str) -> JourneySummary:
    return JourneySummary.model_validate(summary_fields(row, service, environment))


def page(
    rows: Sequence[Row[Any]], envs: dict[int, tuple[str, str, str]], total: int, limit: int,
    offset: int,
) -> JourneyPage:
    # validated as one page (one call into pydantic-core), not one model per row
    return JourneyPage.model_validate({
        "items": [summary_fields(r, *envs[r.environment_id][1:]) for r in rows],
        "total": total, "limit": limit, "offset": offset,
    })


MAX_STATS_RANGE = timedelta(days=400)
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)


def stats_range(
    row: JourneyRow, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """The statistics' range with the journey's own time range for what the caller left out
    (its first minute to the end of its last; recorded data is shown where it lies, not at the
    wall clock), at most ``MAX_STATS_RANGE`` long when defaulted."""
    first = row.first_seen.replace(second=0, microsecond=0)
    last = row.last_seen.replace(second=0, microsecond=0) + _MINUTE
    try:
        if end is None:
            end = last if start is None or start < last else start + _DAY
        if start is None:
            start = max(first, end - MAX_STATS_RANGE) if first < end else end - _DAY
    except OverflowError:  # a bound at the calendar's edge: an empty range, refused as such
        start = end = start or end or last
    return start, end


async def stats_series(
    session: AsyncSession, journey_id: int, start: datetime, end: datetime, step_minutes: int
) -> list[StatPoint]:
    points = await series.stats_series(session, journey_id, start, end, step_minutes)
    return [StatPoint(start=p.start, requests=p.requests, errors=p.errors, p50_s=p.p50_s,
                      p99_s=p.p99_s) for p in points]


async def similar_of(request: Request, session: AsyncSession, row: JourneyRow,
                     principal: Principal, limit: int) -> SimilarJourneys:
    """The similar-journeys body, through the app's one journey vector store (opened on first
    use; dropped when it fails, so the next request connects again). Milvus missing or
    failing is a 503 naming it; a journey not embedded yet a 409 saying how it gets embedded."""
    settings: Settings = request.app.state.settings
    try:
        found = await shared_vectors(request.app.state, settings).similar(
            session, row, principal, limit)
    except VectorsUnavailable as error:
        raise _unavailable(str(error)) from None
    except NotFound:
        raise Problem(409, "Not Embedded Yet", f"journey {row.id} has no vector yet: the "
                      "embedding job stores one for each new journey, and an analysis of its "
                      "environment or `slo-scout analyze --similar` embeds what is missing; "
                      "ask again after one of them ran") from None
    return SimilarJourneys(journey_id=row.id, items=[SimilarJourneyOut(
        journey_id=int(s.journey_id), environment=s.environment, service=s.service, name=s.name,
        similarity=s.similarity, approved=[ApprovedObjectiveOut(
            slo_id=int(a.slo_id), version=a.version, kind=a.kind.value, objective=a.objective,
            threshold_s=a.threshold_s) for a in s.approved]) for s in found])


def _unavailable(detail: str) -> Problem:
    return Problem(503, "Service Unavailable", f"similar journeys: {detail}",
                   headers={"Retry-After": "30"})

