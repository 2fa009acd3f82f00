"""Artifacts: render a bundle from approved SLOs, list, fetch files, approve, diff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from slo_scout.api.deps import NowDep, PrincipalDep, RowId, SessionDep, SettingsDep
from slo_scout.api.slos.schemas import Review
from slo_scout.api.versions import IfMatch, etag, reviewed
from slo_scout.control.artifacts import repository, service
from slo_scout.control.catalog.service import team_of_environment, visible_environments
from slo_scout.db.models import ArtifactBundle

router = APIRouter(tags=["artifacts"])


class BundleRequest(BaseModel):
    service: str = Field(min_length=1, max_length=200)
    environment: str = Field(default="production", min_length=1, max_length=100)


class FileOut(BaseModel):
    path: str
    sha256: str
    bytes: int
    href: str


class BundleOut(BaseModel):
    id: int
    service: str
    environment: str
    version: int
    status: Literal["proposed", "approved"]
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    files: list[FileOut]


class BundlePage(BaseModel):
    items: list[BundleOut]
    total: int


class DiffOut(BaseModel):
    bundle_id: int
    against_bundle_id: int | None = Field(description="last approved bundle; null: none yet")
    changed: list[str]
    diff: str = Field(description="unified diff, a/ = last approved, b/ = this bundle")


async def _out(session: SessionDep, bundle: ArtifactBundle, with_files: bool = True,
               response: Response | None = None) -> BundleOut:
    if response is not None:  # what an approval names in If-Match
        response.headers["ETag"] = etag(bundle.version, bundle.status)
    _, svc, env = await team_of_environment(session, bundle.environment_id)
    files = await repository.files(session, bundle.id) if with_files else []
    return BundleOut(
        id=bundle.id, service=svc, environment=env, version=bundle.version,
        status=bundle.status,  # type: ignore[arg-type]
        created_by=bundle.created_by, created_at=bundle.created_at,
        approved_by=bundle.approved_by, approved_at=bundle.approved_at,
        files=[FileOut(path=f.path, sha256=f.sha256, bytes=len(f.content.encode()),
                       href=f"/api/v1/artifacts/{bundle.id}/files/{f.path}") for f in files],
    )


@router.post("/artifacts", status_code=201, response_model=BundleOut,
             summary="Render the approved SLOs of an environment into a bundle (409 when a "
                     "render running at the same time stored the version first)")
async def create_bundle(
    body: BundleRequest, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
    now: NowDep,
) -> BundleOut:
    bundle = await service.create(
        session, principal, service=body.service, environment=body.environment, now=now,
        metric_family=settings.history.metric_family,
    )
    out = await _out(session, bundle)
    await session.commit()
    return out


@router.get("/artifacts", response_model=BundlePage, summary="Artifact bundles, newest first")
async def list_bundles(
    session: SessionDep, principal: PrincipalDep,
    service_name: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> BundlePage:
    envs = await visible_environments(session, principal.visible_teams(), service_name,
                                      environment)
    rows, total = await repository.list_bundles(session, sorted(envs), limit, offset)
    return BundlePage(items=[await _out(session, r) for r in rows], total=total)


@router.get("/artifacts/{bundle_id}", response_model=BundleOut,
            summary="An artifact bundle (ETag: its version)")
async def get_bundle(
    bundle_id: RowId, session: SessionDep, principal: PrincipalDep, response: Response
) -> BundleOut:
    bundle = await service.visible(session, principal, bundle_id, "viewer")
    return await _out(session, bundle, response=response)


@router.get("/artifacts/{bundle_id}/files/{path:path}", response_class=PlainTextResponse,
            summary="One rendered file", responses={200: {"content": {"text/plain": {}}}})
async def get_file(
    bundle_id: RowId, path: str, session: SessionDep, principal: PrincipalDep
) -> PlainTextResponse:
    found = await service.visible_file(session, principal, bundle_id, path)
    media = "application/json" if path.endswith(".json") else "text/plain; charset=utf-8"
    return PlainTextResponse(found.content, media_type=media,
                             headers={"ETag": f'"{found.sha256}"'})


@router.get("/artifacts/{bundle_id}/diff", response_model=DiffOut,
            summary="Diff against the last approved bundle")
async def bundle_diff(bundle_id: RowId, session: SessionDep, principal: PrincipalDep) -> DiffOut:
    bundle = await service.visible(session, principal, bundle_id, "viewer")
    base, changed, text = await service.diff(session, bundle)
    return DiffOut(bundle_id=bundle.id, against_bundle_id=base.id if base else None,
                   changed=changed, diff=text)


@router.post("/artifacts/{bundle_id}/approve", response_model=BundleOut,
             summary="Approve the bundle version you reviewed for delivery")
async def approve_bundle(
    bundle_id: RowId, body: Review, session: SessionDep, principal: PrincipalDep,
    settings: SettingsDep, now: NowDep, response: Response, if_match: IfMatch = None,
) -> BundleOut:
    bundle = await service.approve(session, bundle_id, body.comment,
                                   reviewed(body.version, if_match), principal, now,
                                   allow_self_approval=settings.auth.allow_self_approval)
    out = await _out(session, bundle, response=response)
    await session.commit()
    return out
