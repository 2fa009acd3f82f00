"""Incidents: why a journey burns, from the control plane's stored minutes (synchronous)."""

from __future__ import annotations

from fastapi import APIRouter

from slo_scout.api.deps import PrincipalDep, SessionDep
from slo_scout.api.incidents.schemas import IncidentIn, IncidentOut
from slo_scout.api.journeys.endpoints import visible_journey
from slo_scout.api.problems import PROBLEM_RESPONSES
from slo_scout.control.incidents.service import IncidentRequest, investigate_journey

router = APIRouter(tags=["incidents"])


@router.post(
    "/incidents", response_model=IncidentOut, summary="Why a journey is burning",
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 404, 422)},
)
async def create_incident(body: IncidentIn, session: SessionDep,
                          principal: PrincipalDep) -> IncidentOut:
    """Compares the journey's window from ``started_at`` with the baseline before it and ranks
    suspect services by their stored step statistics; nothing is stored. 404: the journey does
    not exist or is not visible to the caller; 422: ``started_at`` is outside the journey's
    stored minutes (the detail names them)."""
    row, service, environment = await visible_journey(session, principal, body.journey_id)
    summary = await investigate_journey(session, row, service, environment, IncidentRequest(
        started_at=body.started_at, window_minutes=body.window_minutes,
        baseline_minutes=body.baseline_minutes))
    return IncidentOut.model_validate(summary)
