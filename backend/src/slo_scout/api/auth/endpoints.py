"""API keys (shown once), role grants, services registration and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from slo_scout.api.deps import NowDep, PrincipalDep, SessionDep
from slo_scout.control.audit import service as audit
from slo_scout.control.auth import service
from slo_scout.control.catalog import service as catalog

router = APIRouter(tags=["access"])

Role = Literal["viewer", "editor", "approver", "admin"]
NAME = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"


class KeyRequest(BaseModel):
    subject: str = Field(min_length=1, max_length=150, pattern=NAME,
                         description="who the key acts as; stored as key:<subject>")
    name: str = Field(min_length=1, max_length=200)
    team: str = Field(min_length=1, max_length=100, pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9._-]*)$")
    role: Role


class KeyOut(BaseModel):
    key: str = Field(description="shown once; only its hash is stored")
    prefix: str
    subject: str
    team: str
    role: Role


class ServiceRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=NAME)
    team: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    environments: list[Annotated[str, Field(min_length=1, max_length=100, pattern=NAME)]] = (
        Field(default_factory=lambda: ["production"], max_length=20)
    )


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    team: str | None
    details: dict[str, Any]


@router.post("/api-keys", status_code=201, response_model=KeyOut, summary="Issue an API key")
async def create_key(
    body: KeyRequest, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> KeyOut:
    key, stored = await service.issue_key(
        session, principal, subject=body.subject, name=body.name, team=body.team,
        role=body.role, now=now,
    )
    await session.commit()
    # nothing to clear from the key cache: a new key changes no other key's grants
    return KeyOut(key=key, prefix=stored.prefix, subject=stored.subject, team=body.team,
                  role=body.role)


class RevokedOut(BaseModel):
    prefix: str
    subject: str
    revoked_at: datetime


@router.post("/api-keys/{prefix}/revoke", response_model=RevokedOut, summary="Revoke an API key")
async def revoke_key(
    prefix: Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$")],
    request: Request, session: SessionDep, principal: PrincipalDep, now: NowDep,
) -> RevokedOut:
    stored = await service.revoke_key(session, principal, prefix, now)
    assert stored.revoked_at is not None
    await session.commit()
    request.app.state.principals.clear()  # after the commit, so nothing re-caches the key
    return RevokedOut(prefix=stored.prefix, subject=stored.subject, revoked_at=stored.revoked_at)


@router.post("/services", status_code=201, summary="Register a service and its environments")
async def create_service(
    body: ServiceRequest, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> dict[str, Any]:
    environments = await catalog.register_service(
        session, principal, name=body.name, team=body.team, environments=body.environments,
        now=now,
    )
    await session.commit()
    return {"name": body.name, "team": body.team, "environments": environments}


@router.get("/audit", response_model=list[AuditOut], summary="Audit log of every mutation",
            responses={403: {"description": "the caller is an admin of no team"}})
async def audit_log(
    session: SessionDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> list[AuditOut]:
    rows = await audit.visible_entries(session, principal, limit=limit, offset=offset)
    return [AuditOut(at=r.at, actor=r.actor, action=r.action, target_type=r.target_type,
                     target_id=r.target_id, team=r.team, details=r.details) for r in rows]
