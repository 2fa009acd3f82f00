"""Approved SLO rows -> the core's journeys and recommendations -> rendered files.

An SLO adopted from an analysis keeps that recommendation's evidence; one written by hand has
none (its evidence counts are zero and its rationale says who set it), so the rendered
``recommendations.yaml`` never claims history that was not measured. Each runbook lists the
error log templates logged in its journey's traces (``control.journeys.log_templates``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout import __version__
from slo_scout.control.analysis import repository as analysis
from slo_scout.control.journeys import log_templates
from slo_scout.control.journeys import repository as journeys_repo
from slo_scout.control.journeys.convert import journey_from_row
from slo_scout.core.artifacts import render_bundle
from slo_scout.core.artifacts.runbook import LoggedError
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation, Status, Strategy
from slo_scout.core.recommend.model import Backtest, Evidence, Incident, Interval
from slo_scout.core.slis import FAMILIES, FamilyKind, SliKind
from slo_scout.db.models import Slo

NO_EVIDENCE = Evidence(0, 0, None, None, 0, 0, None, 0, 0.0, None, None)


def _evidence(stored: dict[str, Any] | None) -> Evidence:
    if stored is None:
        return NO_EVIDENCE
    fields = dict(stored)
    fields["interval"] = Interval(**fields["interval"]) if fields.get("interval") else None
    fields["incidents"] = tuple(Incident(**i) for i in fields.get("incidents", ()))
    fields["backtest"] = Backtest(**fields["backtest"]) if fields.get("backtest") else None
    return Evidence(**fields)


async def _stored_recommendation(session: AsyncSession, slo: Slo, key: str
                                 ) -> dict[str, Any] | None:
    if slo.result_id is None:
        return None
    result = await analysis.get_result(session, slo.result_id)
    for entry in result.recommendations if result else []:
        if entry["journey_key"] == key:
            return next((r for r in entry["recommendations"] if r["kind"] == slo.sli_kind),
                        None)
    return None


async def inputs(session: AsyncSession, slos: list[Slo]
                 ) -> tuple[list[Journey], list[Recommendation]]:
    journeys: dict[int, Journey] = {}
    recommendations = []
    for slo in slos:
        if slo.journey_id is None:
            continue  # an SLO whose journey is gone has no SLI to render
        row = await journeys_repo.get_journey(session, slo.journey_id)
        if row is None:
            continue
        journeys.setdefault(row.id, journey_from_row(row, []))
        stored = await _stored_recommendation(session, slo, row.key)
        rationale = (f"approved SLO '{slo.name}' (version {slo.version}, last changed by "
                     f"{slo.last_changed_by})")
        if stored is not None:
            rationale = f"{stored['rationale']}; {rationale}"
        recommendations.append(Recommendation(
            journey_id=row.key, kind=SliKind(slo.sli_kind),
            strategy=Strategy(stored["strategy"]) if stored else Strategy.BALANCED,
            status=Status.OK, objective=slo.objective, threshold_s=slo.threshold_seconds,
            evidence=_evidence(stored["evidence"] if stored else None), low_traffic=False,
            low_traffic_reason=None, rationale=rationale,
        ))
    return sorted(journeys.values(), key=lambda j: j.id), recommendations


async def logged_errors(session: AsyncSession, slos: list[Slo]
                        ) -> dict[str, list[LoggedError]]:
    """The error log templates of each SLO's journey traces, by journey key (for runbooks)."""
    ids = {slo.journey_id for slo in slos if slo.journey_id is not None}
    out = {}
    for journey_id, errors in (await log_templates.errors_of_journeys(session, ids)).items():
        row = await journeys_repo.get_journey(session, journey_id)  # loaded by inputs() already
        if row is not None:
            out[row.key] = errors
    return out


async def render(
    session: AsyncSession, slos: list[Slo], *, metric_family: str | None, now: datetime
) -> dict[str, str]:
    journeys, recommendations = await inputs(session, slos)
    family = FAMILIES[FamilyKind(metric_family or FamilyKind.SPANMETRICS.value)]
    strategy = recommendations[0].strategy if recommendations else Strategy.BALANCED
    return render_bundle(journeys, recommendations, family=family, strategy=strategy, now=now,
                         version=__version__, logged_errors=await logged_errors(session, slos))
