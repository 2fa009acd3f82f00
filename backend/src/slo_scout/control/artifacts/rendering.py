"""Approved SLO rows -> the core's approved SLO records -> rendered files.

Every number a file renders comes from the approved row: name, objective, SLI kind and
threshold, window, description, and the owning team. An SLO adopted from an analysis keeps that
recommendation (its own numbers and evidence) to explain them; one written by hand has none (its
evidence counts are zero and its rationale says so), so ``recommendations.yaml`` never claims
history that was not measured. Each runbook lists the error log templates logged in its
journey's traces (``control.journeys.log_templates``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout import __version__
from slo_scout.control.analysis import repository as analysis
from slo_scout.control.catalog.service import team_of_environment
from slo_scout.control.journeys import log_templates
from slo_scout.control.journeys import repository as journeys_repo
from slo_scout.control.journeys.convert import journey_from_row
from slo_scout.control.slos import repository as slos_repo
from slo_scout.core.artifacts import SloRecord, render_approved
from slo_scout.core.artifacts.runbook import LoggedError
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation, Status, Strategy
from slo_scout.core.recommend.model import Backtest, Evidence, Incident, Interval
from slo_scout.core.slis import FAMILIES, FamilyKind, MetricFamily, SliKind
from slo_scout.db.models import Slo

NO_EVIDENCE = Evidence(0, 0, None, None, 0, 0, None, 0, 0.0, None, None)


def family_of(metric_family: str | None) -> MetricFamily:
    """The metric family the bundle's queries use (the configured one, else spanmetrics)."""
    return FAMILIES[FamilyKind(metric_family or FamilyKind.SPANMETRICS.value)]


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


def recommendation_of(slo: Slo, key: str, stored: dict[str, Any] | None) -> Recommendation:
    """The recommendation an SLO was adopted from, with its own numbers; for one written by
    hand, the SLO's numbers with no evidence."""
    if stored is None:
        return Recommendation(
            journey_id=key, kind=SliKind(slo.sli_kind), strategy=Strategy.BALANCED,
            status=Status.OK, objective=slo.objective, threshold_s=slo.threshold_seconds,
            evidence=NO_EVIDENCE, low_traffic=False, low_traffic_reason=None,
            rationale="Set by hand: no analysis measured this SLI's history.",
        )
    return Recommendation(
        journey_id=key, kind=SliKind(slo.sli_kind), strategy=Strategy(stored["strategy"]),
        status=Status.OK, objective=stored["objective"], threshold_s=stored["threshold_s"],
        evidence=_evidence(stored["evidence"]), low_traffic=bool(stored.get("low_traffic")),
        low_traffic_reason=stored.get("low_traffic_reason"), rationale=stored["rationale"],
    )


async def _approval(session: AsyncSession, slo: Slo) -> str:
    approvers = [r.actor for r in await slos_repo.revisions(session, slo.id)
                 if r.action == "approve" and r.version == slo.version]
    by = f", approved by {approvers[-1]}" if approvers else ""
    return f"version {slo.version}, last changed by {slo.last_changed_by}{by}"


async def record_of(session: AsyncSession, slo: Slo, journey: Journey, owner: str
                    ) -> SloRecord:
    stored = await _stored_recommendation(session, slo, journey.id)
    # Adopting without a description copies the recommendation's rationale, whose numbers go
    # stale on the first edit: render the SLI's own description (the approved threshold) then.
    adopted = stored is not None and slo.description == stored["rationale"]
    return SloRecord(
        journey_id=journey.id, kind=SliKind(slo.sli_kind), name=slo.name,
        objective=slo.objective, threshold_s=slo.threshold_seconds,
        period_days=slo.window_days, description="" if adopted else slo.description,
        owner=owner,
        approval=await _approval(session, slo),
        recommendation=recommendation_of(slo, journey.id, stored),
    )


async def inputs(session: AsyncSession, slos: list[Slo]
                 ) -> tuple[list[Journey], list[SloRecord]]:
    journeys: dict[int, Journey] = {}
    records = []
    for slo in slos:
        if slo.journey_id is None:
            continue  # an SLO whose journey is gone has no SLI to render
        row = await journeys_repo.get_journey(session, slo.journey_id)
        if row is None:
            continue
        journey = journeys.setdefault(row.id, journey_from_row(row, []))
        team, _, _ = await team_of_environment(session, slo.environment_id)
        records.append(await record_of(session, slo, journey, team))
    return sorted(journeys.values(), key=lambda j: j.id), records


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
    journeys, records = await inputs(session, slos)
    strategy = records[0].recommendation.strategy if records else Strategy.BALANCED
    return render_approved(journeys, records, family=family_of(metric_family),
                           strategy=strategy, now=now, version=__version__,
                           logged_errors=await logged_errors(session, slos))
