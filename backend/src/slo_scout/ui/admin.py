"""For admins: API keys (issue, shown once; revoke) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from slo_scout.control.audit import service as audit
from slo_scout.control.auth import service as auth
from slo_scout.control.auth.key_listing import administered_keys
from slo_scout.control.errors import Forbidden
from slo_scout.ui.web import UiRoute, Viewer, ViewerDep, page, see_other

router = APIRouter(route_class=UiRoute)
NAME = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"


def _admin(me: Viewer) -> None:
    if not me.principal.administers_any():
        raise Forbidden("keys and the audit log are for admins of a team; you are none")


async def _keys_page(request: Request, me: Viewer, issued: str | None = None,
                     status: int = 200) -> HTMLResponse:
    return page(request, "keys.html", status_code=status, viewer=me, issued=issued,
                keys=await administered_keys(me.session, me.principal),
                teams=sorted(me.principal.grants), notice=request.query_params.get("done"))


@router.get("/admin/keys", response_class=HTMLResponse)
async def keys(request: Request, me: ViewerDep) -> HTMLResponse:
    _admin(me)
    return await _keys_page(request, me)


@router.post("/admin/keys", response_class=HTMLResponse)
async def issue(
    request: Request, me: ViewerDep,
    subject: Annotated[str, Form(min_length=1, max_length=150, pattern=NAME)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    team: Annotated[str, Form(min_length=1, max_length=100,
                              pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9._-]*)$")],
    role: Annotated[str, Form(pattern=r"^(viewer|editor|approver|admin)$")],
) -> HTMLResponse:
    key, _ = await auth.issue_key(me.session, me.principal, subject=subject, name=name,
                                  team=team, role=role, now=me.now)
    await me.session.commit()
    # shown once, on this answer only (no-store): it is never stored or shown again
    return await _keys_page(request, me, issued=key, status=201)


@router.post("/admin/keys/{prefix}/revoke")
async def revoke(request: Request, prefix: str, me: ViewerDep) -> Response:
    await auth.revoke_key(me.session, me.principal, prefix[:32], me.now)
    await me.session.commit()
    request.app.state.principals.clear()  # the API's key cache, as the JSON endpoint does
    return see_other("/admin/keys?done=revoked")


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_log(
    request: Request, me: ViewerDep,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    rows = await audit.visible_entries(me.session, me.principal, limit=100, offset=offset)
    return page(request, "audit.html", viewer=me, rows=rows, offset=offset, limit=100)
