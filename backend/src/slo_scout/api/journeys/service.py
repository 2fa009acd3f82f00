"""Journey reads: lists visible to the caller, detail, statistics over time. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.api.journeys.schemas import JourneyPage, JourneySummary, StatPoint
from slo_scout.control.journeys import repository
from slo_scout.core.journeys.model import quantile
from slo_scout.core.journeys.sketch_codec import decode_sketch, sketch_quantiles
from slo_scout.db.models import Environment, JourneyRow, Service, Team


async def visible_environments(
    session: AsyncSession, teams: set[str] | None, service: str | None, environment: str | None
) -> dict[int, tuple[str, str, str]]:
    """environment id -> (team, service, environment) the caller may see, after filters."""
    # Core columns (not ORM attributes): every list request runs this, and the ORM adds nothing
    env, svc, team = Environment.__table__.c, Service.__table__.c, Team.__table__.c
    query = (
        select(env.id, team.name, svc.name, env.name)
        .join_from(Environment.__table__, Service.__table__, svc.id == env.service_id)
        .join(Team.__table__, team.id == svc.team_id)
    )
    if teams is not None:
        query = query.where(team.name.in_(sorted(teams)))
    if service is not None:
        query = query.where(svc.name == service)
    if environment is not None:
        query = query.where(env.name == environment)
    rows = await session.execute(query)
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


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


async def stats_series(
    session: AsyncSession, journey_id: int, start: datetime, end: datetime, step_minutes: int
) -> list[StatPoint]:
    rows = await repository.stats_between(session, [journey_id], start, end)
    step = timedelta(minutes=step_minutes)
    buckets: dict[datetime, list[object]] = {}
    for row in rows:
        slot = start + ((row.minute - start) // step) * step
        buckets.setdefault(slot, []).append(row)
    points = []
    for slot in sorted(buckets):
        group = buckets[slot]
        sketch = None
        for row in group:
            part = decode_sketch(row.latency_sketch)  # type: ignore[attr-defined]
            sketch = part if sketch is None else (sketch.merge(part) or sketch)
        requests = sum(r.requests for r in group)  # type: ignore[attr-defined]
        has = sketch is not None and sketch.count > 0
        points.append(StatPoint(
            start=slot, requests=requests,
            errors=sum(r.errors for r in group),  # type: ignore[attr-defined]
            p50_s=quantile(sketch, 0.5) if has else None,
            p99_s=quantile(sketch, 0.99) if has else None,
        ))
    return points
