"""Fragments: traces whose root never arrived, listed apart from journeys (never one of them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from slo_scout.api.deps import PrincipalDep, SessionDep
from slo_scout.control.journeys.fragments import list_fragments

router = APIRouter(tags=["journeys"])


class FragmentSummary(BaseModel):
    team: str
    environment: str
    service: str = Field(description="the service of the fragments' topmost span")
    operation: str = Field(description="the topmost span's operation, templated")
    traces: int
    spans: int
    sample_trace_ids: list[str] = Field(description="the earliest few, to look up")
    first_seen: datetime
    last_seen: datetime


class FragmentPage(BaseModel):
    items: list[FragmentSummary]
    total: int
    limit: int
    offset: int


@router.get("/fragments", response_model=FragmentPage,
            summary="Incomplete traces, by where they start (never journeys)")
async def fragments(
    session: SessionDep,
    principal: PrincipalDep,
    service: Annotated[str | None, Query(max_length=200)] = None,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> FragmentPage:
    rows, total = await list_fragments(
        session, teams=principal.visible_teams(), service=service, environment=environment,
        limit=limit, offset=offset)
    return FragmentPage(items=[FragmentSummary(
        team=team, environment=row.environment, service=row.service, operation=row.operation,
        traces=row.traces, spans=row.spans,
        sample_trace_ids=[trace_id for _, trace_id in row.samples],
        first_seen=row.first_seen, last_seen=row.last_seen) for team, row in rows],
        total=total, limit=limit, offset=offset)
