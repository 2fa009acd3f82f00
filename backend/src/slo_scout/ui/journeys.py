"""Journeys: the busiest-first list with search (fragments apart) and one journey's page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from slo_scout.control import series
from slo_scout.control.auth.guard import require_visible
from slo_scout.control.catalog.service import visible_environments, visible_services
from slo_scout.control.errors import NotFound
from slo_scout.control.journeys import fragments, log_templates, repository, variants
from slo_scout.control.slos import repository as slos
from slo_scout.core.journeys.model import quantile
from slo_scout.core.journeys.sketch_codec import decode_sketch, sketch_quantiles
from slo_scout.ui import charts, insights
from slo_scout.ui.web import UiRoute, Viewer, ViewerDep, page, section

router = APIRouter(route_class=UiRoute)
PAGE = 50
# The traffic chart shows the journey's last day in 15-minute steps: enough to see a burst,
# and a bounded read (96 merged steps of at most 1,440 stored minutes) for every page view.
TRAFFIC_SPAN, TRAFFIC_STEP = timedelta(days=1), 15


@router.get("/journeys", response_class=HTMLResponse)
async def journeys(
    request: Request, me: ViewerDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    service: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    envs = await visible_environments(me.session, me.principal.visible_teams(), service or None,
                                      None)
    rows, total = await repository.list_journeys(
        me.session, environment_ids=sorted(envs), search=q or None, entry_service=None,
        min_requests=None, limit=PAGE, offset=offset)
    items = []
    for row in rows:
        p50, p99 = sketch_quantiles(row.latency_sketch, (0.5, 0.99)) if row.requests else (
            None, None)
        _, svc, env = envs[row.environment_id]
        items.append({"row": row, "service": svc, "environment": env, "p50": p50, "p99": p99,
                      "error_ratio": row.errors / row.requests if row.requests else 0.0})
    context = {"items": items, "total": total, "q": q or "", "service": service or "",
               "offset": offset, "limit": PAGE}
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == (
            "journey-results"):
        return page(request, "_journey_rows.html", viewer=me, **context)
    services, _ = await visible_services(me.session, me.principal, team=None, limit=200,
                                         offset=0)
    frags, frag_total = await fragments.list_fragments(
        me.session, teams=me.principal.visible_teams(), service=service or None,
        environment=None, limit=20, offset=0)
    return page(request, "journeys.html", viewer=me, services=services, fragments=frags,
                fragment_total=frag_total, **context)


async def _visible(me: Viewer, journey_id: int) -> tuple[Any, str, str, str]:
    row = await repository.get_journey(me.session, journey_id) if journey_id < 2**31 else None
    if row is None:
        raise NotFound(f"journey {journey_id}")
    envs = await visible_environments(me.session, None, None, None)
    team, svc, env = envs[row.environment_id]
    require_visible(me.principal, team, "viewer", f"journey {journey_id}")
    return row, team, svc, env


@router.get("/journeys/{journey_id}", response_class=HTMLResponse)
async def journey(request: Request, journey_id: int, me: ViewerDep) -> HTMLResponse:
    row, team, svc, env = await _visible(me, journey_id)
    sketch = decode_sketch(row.latency_sketch)
    has = sketch.count > 0
    quantiles = {q: quantile(sketch, q / 100) if has else None for q in (50, 90, 95, 99)}
    end = row.last_seen.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = max(row.first_seen.replace(second=0, microsecond=0), end - TRAFFIC_SPAN)
    points = await series.counts_series(me.session, row.id, start, end, TRAFFIC_STEP)
    slo_rows, _ = await slos.list_slos(me.session, environment_ids=[row.environment_id],
                                       status=None, limit=500, offset=0)
    return page(
        request, "journey.html", viewer=me, row=row, team=team, service=svc, environment=env,
        quantiles=quantiles, error_ratio=row.errors / row.requests if row.requests else 0.0,
        histogram=charts.latency_histogram(charts.latency_buckets(sketch), row.name),
        traffic=charts.traffic(points, row.name),
        points=points, tree=call_tree(row.entry_service, row.edges),
        critical=[{**step, "bar": charts.share_bar(step["share"], step["service"])}
                  for step in row.critical_path],
        variants=await variants.of_journey(me.session, row.id),
        log_templates=await log_templates.errors_of_journey(me.session, row.id),
        slos=[s for s in slo_rows if s.journey_id == row.id],
    )


# Loaded by the journey page after it is shown (htmx): the bands read and fit 15 days of
# minutes, and a Milvus server may be slow to answer; the page itself waits for neither.
@router.get("/journeys/{journey_id}/bands", response_class=HTMLResponse)
async def journey_bands(request: Request, journey_id: int, me: ViewerDep) -> HTMLResponse:
    row, *_ = await _visible(me, journey_id)
    return section(request, me, "_bands.html", f"Bands of {row.name}", f"/journeys/{row.id}",
                   row.name, bands=await insights.bands(me, row))


@router.get("/journeys/{journey_id}/similar", response_class=HTMLResponse)
async def journey_similar(request: Request, journey_id: int, me: ViewerDep) -> HTMLResponse:
    row, *_ = await _visible(me, journey_id)
    return section(request, me, "_similar.html", f"Journeys similar to {row.name}",
                   f"/journeys/{row.id}", row.name,
                   similar=await insights.similar(request.app.state, me, row))


def call_tree(root: str, edges: list[dict[str, object]]) -> dict[str, object]:
    """The journey's calls as a tree from its entry service; a service already on the path
    is shown once more, not followed (call graphs can have cycles)."""
    children: dict[str, list[dict[str, object]]] = {}
    for edge in edges:
        children.setdefault(str(edge["caller"]), []).append(edge)

    def grow(service: str, path: frozenset[str]) -> dict[str, object]:
        calls = []
        for edge in sorted(children.get(service, []), key=lambda e: (-int(e["calls"]),  # type: ignore[call-overload]
                                                                    str(e["callee"]))):
            callee = str(edge["callee"])
            node = grow(callee, path | {callee}) if callee not in path else {
                "service": callee, "calls": [], "cycle": True}
            calls.append({**node, "operation": edge["operation"], "count": edge["calls"]})
        return {"service": service, "calls": calls}

    return grow(root, frozenset({root}))
