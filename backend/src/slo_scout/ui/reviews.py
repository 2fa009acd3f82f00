"""Analyses and their proposals, and SLOs: adopt, edit, approve or reject, history.

Each form posts the version the reviewer read (a hidden field), so the control layer's
conditional update refuses a review of a version that changed meanwhile (409 page).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from slo_scout.control.analysis import listing
from slo_scout.control.analysis import service as analysis
from slo_scout.control.catalog.service import team_of_environment, visible_environments
from slo_scout.control.errors import InvalidField
from slo_scout.control.journeys import repository as journeys
from slo_scout.control.preconditions import Seen
from slo_scout.control.slos import repository as slo_repository
from slo_scout.control.slos import service as slos
from slo_scout.ui import insights
from slo_scout.ui.web import UiRoute, ViewerDep, page, section, see_other

router = APIRouter(route_class=UiRoute)
Comment = Annotated[str, Form(min_length=1, max_length=2000)]
Version = Annotated[int, Form(ge=1, le=2**31 - 1)]
MAX_LOOKBACK_S = 400 * 86400
Target = Annotated[str, Form(min_length=3, max_length=301, pattern=r"^[^/]+/.+$")]  # svc/env


@router.get("/analyses", response_class=HTMLResponse)
async def analyses(request: Request, me: ViewerDep) -> HTMLResponse:
    envs = await visible_environments(me.session, me.principal.visible_teams(), None, None)
    jobs = await listing.recent_jobs(me.session, sorted(envs))
    return page(request, "analyses.html", viewer=me, envs=envs,
                jobs=[(job, *envs[job.environment_id]) for job in jobs])


@router.post("/analyses")
async def start_analysis(
    me: ViewerDep, target: Target,
    lookback: Annotated[str, Form(pattern=r"^[1-9][0-9]{0,3}[mhd]$")] = "1d",
) -> Response:
    service, environment = target.split("/", 1)  # service names hold no "/"
    seconds = int(lookback[:-1]) * {"m": 60, "h": 3600, "d": 86400}[lookback[-1]]
    if seconds > MAX_LOOKBACK_S:  # the JSON API's cap (api/analysis/schemas.py), same words
        raise InvalidField("lookback", "lookback must be between 1m and 400d (the cap on what "
                           "one analysis loads)")
    await analysis.request(
        me.session, me.principal, service=service, environment=environment, lookback=lookback,
        lookback_seconds=seconds, end=None, strategy="balanced",
        max_attempts=me.settings.jobs.max_attempts, now=me.now)
    await me.session.commit()
    return see_other("/analyses")


@router.get("/analyses/{result_id}", response_class=HTMLResponse)
async def analysis_result(request: Request, result_id: int, me: ViewerDep) -> HTMLResponse:
    result = await analysis.visible_result(me.session, me.principal, row_id(result_id))
    team, svc, env = await team_of_environment(me.session, result.environment_id)
    return page(request, "analysis.html", viewer=me, result=result, team=team, service=svc,
                environment=env, entries=[_entry(e) for e in result.recommendations])


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A journey's proposals with where each objective came from (the recommendation's own
    ``source`` when it names one; measured history otherwise) and whether it is provisional."""
    recs = []
    for rec in entry.get("recommendations", []):
        source = rec.get("source") or "measured"
        recs.append({**rec, "source": source,
                     "provisional": bool(rec.get("provisional")) or source != "measured"})
    return {**entry, "recommendations": recs}


@router.post("/analyses/{result_id}/adopt")
async def adopt(
    result_id: int, me: ViewerDep,
    journey_key: Annotated[str, Form(min_length=1, max_length=64)],
    sli_kind: Annotated[str, Form(pattern=r"^(availability|latency)$")],
) -> Response:
    slo = await slos.create_from_recommendation(
        me.session, slos.SloFromRecommendation(
            result_id=row_id(result_id), journey_key=journey_key, sli_kind=sli_kind,
            name=None, window_days=30, description=""),
        me.principal, me.now, metric_family=me.settings.history.metric_family)
    await me.session.commit()
    return see_other(f"/slos/{slo.id}")


@router.get("/slos", response_class=HTMLResponse)
async def slo_list(
    request: Request, me: ViewerDep,
    status: Annotated[str | None, Query(pattern=r"^(proposed|approved|rejected)$")] = None,
) -> HTMLResponse:
    envs = await visible_environments(me.session, me.principal.visible_teams(), None, None)
    rows, total = await slo_repository.list_slos(
        me.session, environment_ids=sorted(envs), status=status, limit=500, offset=0)
    return page(request, "slos.html", viewer=me, status=status or "", total=total,
                items=[(s, *envs[s.environment_id]) for s in rows])


@router.get("/slos/{slo_id}", response_class=HTMLResponse)
async def slo_page(request: Request, slo_id: int, me: ViewerDep) -> HTMLResponse:
    slo = await slos.visible(me.session, me.principal, row_id(slo_id), "viewer")
    team, svc, env = await team_of_environment(me.session, slo.environment_id)
    journey = await journeys.get_journey(me.session, slo.journey_id) if slo.journey_id else None
    evidence = None
    if slo.result_id is not None and journey is not None:
        result = await analysis.visible_result(me.session, me.principal, slo.result_id)
        evidence = evidence_of(result.recommendations, journey.key, slo.sli_kind)
    return page(request, "slo.html", viewer=me, slo=slo, team=team, service=svc,
                environment=env, journey=journey, budget=budget(slo, journey), evidence=evidence,
                history=await slo_repository.revisions(me.session, slo.id),
                notice=request.query_params.get("done"))


@router.get("/slos/{slo_id}/forecast", response_class=HTMLResponse)
async def slo_forecast(request: Request, slo_id: int, me: ViewerDep) -> HTMLResponse:
    """Loaded by the SLO page after it is shown (htmx): it reads and fits the window's
    minutes twice (the forecast, the incidents' band), the page itself waits for neither."""
    slo = await slos.visible(me.session, me.principal, row_id(slo_id), "viewer")
    journey = await journeys.get_journey(me.session, slo.journey_id) if slo.journey_id else None
    return section(request, me, "_forecast.html", f"Budget forecast of {slo.name}",
                   f"/slos/{slo.id}", slo.name, slo=slo,
                   outlook=await insights.slo_outlook(me, slo, journey))


def evidence_of(recommendations: list[Any], journey_key: str, kind: str
                ) -> dict[str, Any] | None:
    """The evidence the analysis gave for this journey's ``kind`` proposal: its interval, the
    incidents it kept out of the estimate, and the backtest (how the objective fared on the
    later half of the history)."""
    entry = next((e for e in recommendations if e.get("journey_key") == journey_key), None)
    rec = next((r for r in (entry or {}).get("recommendations", []) if r.get("kind") == kind),
               None)
    return rec.get("evidence") if rec else None


def budget(slo: Any, journey: Any) -> dict[str, Any]:
    """The error budget the objective allows over its window, and for availability the burn
    rate of the journey's measured error ratio (1.0 spends the budget exactly in the window)."""
    allowed = 1 - slo.objective / 100
    out: dict[str, Any] = {"allowed": allowed, "minutes": allowed * slo.window_days * 1440,
                           "burn": None, "measured": None}
    if slo.sli_kind == "availability" and journey is not None and journey.requests:
        measured = journey.errors / journey.requests
        out.update(measured=measured, burn=measured / allowed if allowed > 0 else None)
    return out


@router.post("/slos/{slo_id}/review")
async def review(
    slo_id: int, me: ViewerDep, comment: Comment, version: Version,
    verdict: Annotated[str, Form(pattern=r"^(approve|reject)$")],
) -> Response:
    await slos.review(me.session, row_id(slo_id), verdict, comment, Seen(version),
                      me.principal, me.now,
                      allow_self_approval=me.settings.auth.allow_self_approval)
    await me.session.commit()
    return see_other(f"/slos/{slo_id}?done={verdict}d")


@router.post("/slos/{slo_id}/edit")
async def edit(
    slo_id: int, me: ViewerDep, version: Version,
    objective: Annotated[float, Form(gt=0, lt=100)],
    window_days: Annotated[int, Form(ge=1, le=90)],
    description: Annotated[str, Form(max_length=2000)] = "",
    threshold_seconds: Annotated[float | None, Form(gt=0, le=3600)] = None,
    comment: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    slo = await slos.visible(me.session, me.principal, row_id(slo_id), "editor")
    changes: dict[str, Any] = {"objective": objective, "window_days": window_days,
                               "description": description}
    if slo.sli_kind == "latency":
        changes["threshold_seconds"] = threshold_seconds
    changes = {k: v for k, v in changes.items() if getattr(slo, k) != v}
    await slos.edit(me.session, slo.id, changes, comment or None, me.principal, me.now,
                    Seen(version), metric_family=me.settings.history.metric_family)
    await me.session.commit()
    return see_other(f"/slos/{slo_id}?done=edited")


def row_id(value: int) -> int:
    """Row ids are 32-bit: a larger number names nothing (404), never a driver overflow."""
    return value if 1 <= value < 2**31 else 0
