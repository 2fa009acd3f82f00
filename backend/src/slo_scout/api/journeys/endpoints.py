"""Journeys: list with filters and pagination, detail with graph and the error log templates of
its traces, statistics, SLI candidates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator

from slo_scout.api.deps import PrincipalDep, RowId, SessionDep, SettingsDep
from slo_scout.api.journeys import service
from slo_scout.api.journeys.schemas import (
    CriticalStep,
    GraphEdge,
    JourneyDetail,
    JourneyGraph,
    JourneyPage,
    JourneyStats,
    LogTemplate,
    SimilarJourneys,
)
from slo_scout.api.problems import PROBLEM_RESPONSES, Problem, not_found
from slo_scout.control.analysis.family import family_for_environment
from slo_scout.control.analysis.recommending import candidate_dict
from slo_scout.control.auth.guard import require_visible
from slo_scout.control.catalog.service import visible_environments
from slo_scout.control.journeys import log_templates, repository
from slo_scout.control.journeys.convert import journey_from_row
from slo_scout.core.journeys.model import quantile
from slo_scout.core.journeys.sketch_codec import decode_sketch
from slo_scout.core.slis import FAMILIES, FamilyKind, sli_candidates

router = APIRouter(tags=["journeys"])


def _iso_only(value: object) -> object:
    # pydantic would read "0.5" as Unix seconds; the document promises RFC 3339 date-times
    if isinstance(value, str) and not any(c in value for c in "-:T"):
        raise ValueError("use an RFC 3339 date-time such as 2026-11-01T00:00:00Z")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]


@router.get("/journeys", response_model=JourneyPage, summary="List journeys")
async def list_journeys(
    session: SessionDep,
    principal: PrincipalDep,
    service_name: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    entry_service: Annotated[str | None, Query(max_length=200)] = None,
    min_requests: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> JourneyPage:
    envs = await visible_environments(
        session, principal.visible_teams(), service_name, environment
    )
    rows, total = await repository.list_journeys(
        session, environment_ids=sorted(envs), search=search, entry_service=entry_service,
        min_requests=min_requests, limit=limit, offset=offset,
    )
    return service.page(rows, envs, total, limit, offset)


async def _visible(session: SessionDep, principal: PrincipalDep, journey_id: RowId):  # type: ignore[no-untyped-def]
    """The journey with its service and environment names; 404 when it does not exist or the
    caller has no role in its team (the words are the same: see ``require_visible``)."""
    row = await repository.get_journey(session, journey_id)
    if row is None:
        raise not_found(f"journey {journey_id}")
    envs = await visible_environments(session, None, None, None)
    team, svc, env = envs[row.environment_id]
    require_visible(principal, team, "viewer", f"journey {journey_id}")
    return row, svc, env


visible_journey = _visible  # for the endpoints of other resources that name a journey


@router.get("/journeys/{journey_id}", response_model=JourneyDetail, summary="A journey")
async def journey_detail(
    journey_id: RowId, session: SessionDep, principal: PrincipalDep
) -> JourneyDetail:
    row, svc, env = await _visible(session, principal, journey_id)
    base = service.summary(row, svc, env)
    sketch = decode_sketch(row.latency_sketch)
    has = sketch.count > 0
    return JourneyDetail(
        **base.model_dump(), protocol=row.protocol, span_name=row.span_name, method=row.method,
        fingerprint=row.fingerprint,
        p90_s=quantile(sketch, 0.9) if has else None,
        p95_s=quantile(sketch, 0.95) if has else None,
        graph=JourneyGraph(nodes=list(row.services), edges=[GraphEdge(**e) for e in row.edges]),
        critical_path=[CriticalStep(**s) for s in row.critical_path],
        sample_trace_ids=list(row.sample_trace_ids),
        log_templates=[LogTemplate(service=e.service, template=e.template,
                                   occurrences=e.occurrences, first_seen=e.first_seen,
                                   last_seen=e.last_seen)
                       for e in await log_templates.errors_of_journey(session, row.id)],
    )


@router.get("/journeys/{journey_id}/stats", response_model=JourneyStats,
            summary="A journey's requests, errors and latency over time")
async def journey_stats(
    journey_id: RowId, session: SessionDep, principal: PrincipalDep,
    start: Annotated[IsoTime | None, Query(
        description="default: the journey's first stored minute (at most 400 days before end)"
    )] = None,
    end: Annotated[IsoTime | None, Query(
        description="default: the end of the journey's last stored minute")] = None,
    step_minutes: Annotated[int, Query(ge=1, le=1440)] = 60,
) -> JourneyStats:
    row, _, _ = await _visible(session, principal, journey_id)
    if (start is not None and start.tzinfo is None) or (end is not None and end.tzinfo is None):
        raise Problem(422, "Invalid Request", "start and end need a time zone (e.g. Z)",
                      errors=[{"field": "start", "message": "add a time zone"}])
    start, end = service.stats_range(row, start, end)
    if not start < end or end - start > service.MAX_STATS_RANGE:
        raise Problem(422, "Invalid Request", "start must be before end, at most "
                      f"{service.MAX_STATS_RANGE.days} days apart",
                      errors=[{"field": "start", "message": "must be before end"}])
    points = await service.stats_series(session, journey_id, start, end, step_minutes)
    return JourneyStats(journey_id=journey_id, start=start, end=end, step_minutes=step_minutes,
                        points=points)


@router.get("/journeys/{journey_id}/sli-candidates", summary="SLI candidates with their PromQL")
async def journey_slis(
    journey_id: RowId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
    family: Annotated[FamilyKind | None, Query()] = None,
) -> list[dict[str, Any]]:
    row, _, _ = await _visible(session, principal, journey_id)
    if family is not None:
        chosen = FAMILIES[family]
    else:
        chosen = (await family_for_environment(
            session, row.environment_id, configured_kind=settings.history.metric_family,
            prometheus_url=settings.history.prometheus_url is not None)).family
    return [candidate_dict(c) for c in sli_candidates(journey_from_row(row, []), chosen)]


@router.get("/journeys/{journey_id}/similar", response_model=SimilarJourneys,
            summary="The nearest journeys the caller may see, with their approved SLOs",
            responses={503: {**PROBLEM_RESPONSES[404],
                             "description": "Milvus cannot answer (named in detail)"}})
async def journey_similar(
    journey_id: RowId, request: Request, session: SessionDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SimilarJourneys:
    row, _, _ = await _visible(session, principal, journey_id)
    return await service.similar_of(request, session, row, principal, limit)
