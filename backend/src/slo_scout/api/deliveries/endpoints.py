"""Delivery: an approved bundle becomes a branch and a pull request in the team's repository."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from slo_scout.api.deps import NowDep, PrincipalDep, RowId, SessionDep, SettingsDep
from slo_scout.control.delivery import service
from slo_scout.db.models import Delivery

router = APIRouter(tags=["artifacts"])


class DeliveryOut(BaseModel):
    id: int
    bundle_id: int
    target: str
    service: str
    branch: str
    commit: str | None
    files_changed: int
    pull_request_url: str | None
    pull_request_number: int | None
    pull_request_action: str | None
    delivered_by: str
    delivered_at: datetime


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


def _out(rows: list[Delivery]) -> DeliveryList:
    return DeliveryList(items=[DeliveryOut.model_validate(row, from_attributes=True)
                               for row in rows])


@router.post("/artifacts/{bundle_id}/deliver", response_model=DeliveryList,
             summary="Deliver an approved bundle to the environment's repository")
async def deliver_bundle(
    bundle_id: RowId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
    now: NowDep,
) -> DeliveryList:
    rows = await service.deliver_bundle(session, principal, bundle_id, settings.delivery, now)
    out = _out(rows)
    await session.commit()
    return out


@router.get("/artifacts/{bundle_id}/deliveries", response_model=DeliveryList,
            summary="A bundle's deliveries, newest first")
async def bundle_deliveries(bundle_id: RowId, session: SessionDep, principal: PrincipalDep
                            ) -> DeliveryList:
    return _out(await service.deliveries(session, principal, bundle_id))
