"""Error log templates of a service's environment over a range: per journey, new or not."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from slo_scout.api.deps import NowDep, PrincipalDep, SessionDep
from slo_scout.api.journeys.endpoints import IsoTime
from slo_scout.api.logs.schemas import JourneyTraces, LogTemplateOut, LogTemplatePage
from slo_scout.api.problems import Problem
from slo_scout.control.logs import service

router = APIRouter(tags=["logs"])
MAX_RANGE = timedelta(days=31)


@router.get("/logs/templates", response_model=LogTemplatePage,
            summary="Error log templates per service and journey, new against the baseline")
async def log_templates(
    session: SessionDep, principal: PrincipalDep, now: NowDep,
    service_name: Annotated[str, Query(alias="service", min_length=1, max_length=200)],
    environment: Annotated[str, Query(min_length=1, max_length=100)],
    journey_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    start: Annotated[IsoTime | None, Query(description="default: a day before end")] = None,
    end: Annotated[IsoTime | None, Query(description="default: now")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> LogTemplatePage:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise Problem(400, "Bad Request", f"{name} needs a time zone (e.g. Z)",
                          errors=[{"field": name, "message": "add a time zone"}])
    end = end or now
    start = start or end - timedelta(days=1)
    if not start < end or end - start > MAX_RANGE:
        raise Problem(400, "Bad Request", f"start must be before end, at most {MAX_RANGE.days} "
                      "days apart", errors=[{"field": "start", "message": "must be before end"}])
    found = await service.templates_of(
        session, principal, service=service_name, environment=environment, start=start,
        end=end, journey_id=journey_id, limit=limit)
    return LogTemplatePage(
        service=service_name, environment=environment, start=start, end=end,
        journey_id=journey_id,
        items=[LogTemplateOut(
            id=t.id, service=t.service, template=t.template, occurrences=t.occurrences,
            first_seen=t.first_seen, last_seen=t.last_seen, new=t.new, traces=t.traces,
            journeys=[JourneyTraces(journey_id=j, traces=n)
                      for j, n in sorted(t.journeys.items(), key=lambda jn: (-jn[1], jn[0]))],
            sample_trace_ids=t.sample_trace_ids,
        ) for t in found],
    )
