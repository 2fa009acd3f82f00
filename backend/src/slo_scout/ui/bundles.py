"""Artifact bundles: render, the files, a side-by-side diff against the last approved bundle,
approve, deliver, the pull requests delivery opened and their state now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from slo_scout.control.artifacts import repository
from slo_scout.control.artifacts import service as artifacts
from slo_scout.control.catalog.service import team_of_environment, visible_environments
from slo_scout.control.delivery import service as delivery
from slo_scout.control.delivery.pulls import FORGES, pull_request_states
from slo_scout.control.preconditions import Seen
from slo_scout.ui.diffs import side_by_side
from slo_scout.ui.reviews import Comment, Target, Version, row_id
from slo_scout.ui.web import UiRoute, ViewerDep, page, section, see_other

router = APIRouter(route_class=UiRoute)


@router.get("/bundles", response_class=HTMLResponse)
async def bundles(
    request: Request, me: ViewerDep,
    service: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    envs = await visible_environments(me.session, me.principal.visible_teams(), service or None,
                                      None)
    rows, total = await repository.list_bundles(me.session, sorted(envs), 100, 0)
    return page(request, "bundles.html", viewer=me, total=total, envs=envs,
                items=[(b, *envs[b.environment_id]) for b in rows])


@router.post("/bundles")
async def render(
    me: ViewerDep, target: Target,
) -> Response:
    service, environment = target.split("/", 1)  # service names hold no "/"
    bundle = await artifacts.create(me.session, me.principal, service=service,
                                    environment=environment, now=me.now,
                                    metric_family=me.settings.history.metric_family)
    await me.session.commit()
    return see_other(f"/bundles/{bundle.id}")


@router.get("/bundles/{bundle_id}", response_class=HTMLResponse)
async def bundle(request: Request, bundle_id: int, me: ViewerDep) -> HTMLResponse:
    found = await artifacts.visible(me.session, me.principal, row_id(bundle_id), "viewer")
    team, svc, env = await team_of_environment(me.session, found.environment_id)
    base, changed, _ = await artifacts.diff(me.session, found)
    new = {f.path: f for f in await repository.files(me.session, found.id)}
    old = {f.path: f for f in await repository.files(me.session, base.id)} if base else {}
    diffs = [(path, "added" if path not in old else "removed" if path not in new else
              "changed", side_by_side(old[path].content if path in old else "",
                                      new[path].content if path in new else ""))
             for path in changed]
    delivered = await delivery.deliveries(me.session, me.principal, found.id)
    return page(request, "bundle.html", viewer=me, bundle=found, team=team, service=svc,
                environment=env, base=base, files=list(new.values()), diffs=diffs,
                deliveries=delivered, notice=request.query_params.get("done"),
                forge_pulls=any(d.pull_request_number is not None
                                and d.target.split(":", 1)[0] in FORGES for d in delivered))


@router.get("/bundles/{bundle_id}/pulls", response_class=HTMLResponse)
async def bundle_pulls(request: Request, bundle_id: int, me: ViewerDep) -> HTMLResponse:
    """Loaded by the bundle page after it is shown (htmx): it asks the forge for each pull
    request's state now, which may take seconds; the page itself does not wait."""
    found = await artifacts.visible(me.session, me.principal, row_id(bundle_id), "viewer")
    return section(request, me, "_pulls.html", f"Pull requests of bundle v{found.version}",
                   f"/bundles/{found.id}", f"Bundle v{found.version}",
                   pulls=await pull_request_states(me.session, me.principal, found.id,
                                                   me.settings.delivery))


@router.get("/bundles/{bundle_id}/files/{path:path}", response_class=HTMLResponse)
async def bundle_file(request: Request, bundle_id: int, path: str, me: ViewerDep
                      ) -> HTMLResponse:
    found = await artifacts.visible_file(me.session, me.principal, row_id(bundle_id), path)
    return page(request, "file.html", viewer=me, bundle_id=bundle_id, file=found)


@router.post("/bundles/{bundle_id}/approve")
async def approve(bundle_id: int, me: ViewerDep, comment: Comment, version: Version
                  ) -> Response:
    await artifacts.approve(me.session, row_id(bundle_id), comment, Seen(version),
                            me.principal, me.now,
                            allow_self_approval=me.settings.auth.allow_self_approval)
    await me.session.commit()
    return see_other(f"/bundles/{bundle_id}?done=approved")


@router.post("/bundles/{bundle_id}/deliver")
async def deliver(bundle_id: int, me: ViewerDep) -> Response:
    await delivery.deliver_bundle(me.session, me.principal, row_id(bundle_id),
                                  me.settings.delivery, me.now)
    await me.session.commit()
    return see_other(f"/bundles/{bundle_id}?done=delivered")
