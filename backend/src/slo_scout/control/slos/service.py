"""SLO lifecycle: proposed (created or edited) -> approved or rejected, each step a revision.

Every change bumps the version and records who made it; approval needs an approver who did not
make the change being approved (unless self-approval is configured). A review names the version
it was made on, and lands only while the SLO still is that version and proposed (one conditional
UPDATE); an edit lands only on the version it was made on, and sends the SLO back to review.
Never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.analysis import repository as analysis
from slo_scout.control.artifacts import renderable
from slo_scout.control.audit import repository as audit
from slo_scout.control.auth.four_eyes import check_may_approve
from slo_scout.control.auth.guard import require_visible
from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog import repository as catalog
from slo_scout.control.catalog.service import team_of_environment
from slo_scout.control.errors import Conflict, InvalidField, NotFound
from slo_scout.control.journeys import repository as journeys
from slo_scout.control.preconditions import Seen
from slo_scout.control.slos import repository
from slo_scout.core.slis import slug
from slo_scout.db.models import Slo, SloRevision

SNAPSHOT_FIELDS = ("name", "journey_id", "sli_kind", "objective", "threshold_seconds",
                   "window_days", "description", "status")


@dataclass(frozen=True, slots=True)
class SloByHand:
    """An SLO written by hand; the runtime checked each field's shape, this layer the rest."""

    service: str
    environment: str
    journey_id: int
    name: str
    sli_kind: str
    objective: float
    threshold_seconds: float | None
    window_days: int
    description: str


@dataclass(frozen=True, slots=True)
class SloFromRecommendation:
    """An SLO adopting one recommendation of an analysis result."""

    result_id: int
    journey_key: str
    sli_kind: str
    name: str | None
    window_days: int
    description: str


def snapshot(slo: Slo) -> dict[str, Any]:
    return {name: getattr(slo, name) for name in SNAPSHOT_FIELDS}


async def _revise(
    session: AsyncSession, slo: Slo, action: str, principal: Principal, comment: str | None,
    now: datetime,
) -> None:
    await repository.add_revision(session, SloRevision(
        slo_id=slo.id, version=slo.version, action=action, actor=principal.subject,
        comment=comment, snapshot=snapshot(slo), at=now,
    ))
    team, service, environment = await team_of_environment(session, slo.environment_id)
    await audit.record(
        session, actor=principal.subject, action=f"slo.{action}", target_type="slo",
        target_id=slo.id, team=team, at=now,
        details={"service": service, "environment": environment, "name": slo.name,
                 "version": slo.version, **({"comment": comment} if comment else {})},
    )


async def _new(
    session: AsyncSession, principal: Principal, now: datetime, environment_id: int,
    **fields: Any,
) -> Slo:
    taken = Conflict(f"an SLO named '{fields['name']}' exists in this environment already")
    if await repository.by_name(session, environment_id, fields["name"]) is not None:
        raise taken
    slo = await repository.add(session, Slo(
        environment_id=environment_id, status="proposed", version=1,
        last_changed_by=principal.subject, created_at=now, updated_at=now, **fields,
    ))
    if slo is None:  # created by a request racing this one
        raise taken
    await _revise(session, slo, "create", principal, None, now)
    return slo


async def create_by_hand(
    session: AsyncSession, body: SloByHand, principal: Principal, now: datetime,
    *, metric_family: str | None = None,
) -> Slo:
    _, _, env = await _environment(session, body.service, body.environment, principal)
    journey = await journeys.get_journey(session, body.journey_id)
    if journey is None or journey.environment_id != env:
        raise InvalidField("journey_id", f"journey {body.journey_id} is not in "
                           f"{body.service}/{body.environment}")
    await renderable.check(session, renderable.Candidate(
        env, None, journey.id, body.name, body.sli_kind, body.objective, body.threshold_seconds,
        body.window_days, body.description), metric_family=metric_family, now=now,
        journey_field="journey_id")
    return await _new(
        session, principal, now, env, journey_id=journey.id, name=body.name,
        sli_kind=body.sli_kind, objective=body.objective,
        threshold_seconds=body.threshold_seconds, window_days=body.window_days,
        description=body.description, source="manual", result_id=None,
    )


async def create_from_recommendation(
    session: AsyncSession, body: SloFromRecommendation, principal: Principal, now: datetime,
    *, metric_family: str | None = None,
) -> Slo:
    result = await analysis.get_result(session, body.result_id)
    if result is None:
        raise NotFound(f"analysis result {body.result_id}")
    team, _, _ = await team_of_environment(session, result.environment_id)
    require_visible(principal, team, "editor", f"analysis result {body.result_id}")
    entry = next((e for e in result.recommendations if e["journey_key"] == body.journey_key),
                 None)
    if entry is None:
        raise InvalidField("journey_key", f"result {body.result_id} has no journey "
                           f"'{body.journey_key}'")
    rec = next((r for r in entry["recommendations"] if r["kind"] == body.sli_kind), None)
    # "below standard targets" carries an honest objective too; the others carry none
    if rec is None or rec["objective"] is None:
        status = rec["status"] if rec else "missing"
        raise InvalidField("sli_kind", f"the {body.sli_kind} recommendation is '{status}': "
                           "there is no backed objective to adopt; create this SLO by hand "
                           "instead")
    journey = await journeys.get_by_key(session, result.environment_id, body.journey_key)
    name = body.name or slug(f"{entry['journey_name']}-{body.sli_kind}")
    await renderable.check(session, renderable.Candidate(
        result.environment_id, None, journey.id if journey else None, name, body.sli_kind,
        rec["objective"], rec["threshold_s"], body.window_days, body.description),
        metric_family=metric_family, now=now, journey_field="sli_kind")
    return await _new(
        session, principal, now, result.environment_id,
        journey_id=journey.id if journey else None, name=name, sli_kind=body.sli_kind,
        objective=rec["objective"], threshold_seconds=rec["threshold_s"],
        window_days=body.window_days,
        description=body.description or rec.get("rationale", ""),
        # a draft for thin evidence stays marked through the review
        source="provisional" if rec.get("provisional") else "recommendation",
        result_id=result.id,
    )


async def _environment(session: AsyncSession, service: str, environment: str,
                       principal: Principal) -> tuple[str, str, int]:
    found = await catalog.get_service(session, service)
    if found is None:
        raise NotFound(f"service '{service}'")
    team = await catalog.team_of_service(session, found.id)
    # Checked before the environment: "not found" either way for another team's service.
    require_visible(principal, team.name, "editor", f"service '{service}'")
    env = await catalog.get_environment(session, found.id, environment)
    if env is None:
        raise NotFound(f"environment '{environment}' of service '{service}'")
    return team.name, found.name, env.id


async def visible(session: AsyncSession, principal: Principal, slo_id: int, role: str) -> Slo:
    slo = await repository.get(session, slo_id)
    if slo is None:
        raise NotFound(f"SLO {slo_id}")
    team, _, _ = await team_of_environment(session, slo.environment_id)
    require_visible(principal, team, role, f"SLO {slo_id}")
    return slo


def _stale(slo: Slo, seen: Seen, did: str) -> Conflict | None:
    if seen.holds(slo.version, slo.status):
        return None
    return Conflict(
        f"SLO {slo.id} is version {slo.version} ({slo.status}) now; you {did} "
        f"{seen.describe()}: read it again and decide on what it is now",
        current_version=slo.version, current_status=slo.status,
    )


def _not_proposed(slo: Slo) -> Conflict | None:
    if slo.status == "proposed":
        return None
    return Conflict(f"SLO {slo.id} is {slo.status}; only a proposed SLO can be reviewed "
                    "(edit it to propose a new version)",
                    current_version=slo.version, current_status=slo.status)


async def _overtaken(session: AsyncSession, slo_id: int, seen: Seen, did: str) -> Exception:
    """Why a conditional write matched no row: what the SLO became meanwhile."""
    now = await repository.current(session, slo_id)
    if now is None:
        return NotFound(f"SLO {slo_id}")
    return _stale(now, seen, did) or _not_proposed(now) or Conflict(
        f"SLO {slo_id} changed while this request ran; read it again",
        current_version=now.version, current_status=now.status)


async def edit(
    session: AsyncSession, slo_id: int, changes: Mapping[str, Any], comment: str | None,
    principal: Principal, now: datetime, seen: Seen | None = None, *,
    metric_family: str | None = None,
) -> Slo:
    """``changes``: only the fields the caller gave (a given None clears a threshold).
    ``seen``: the version the editor read, when they said; else the one read here."""
    slo = await visible(session, principal, slo_id, "editor")
    if seen is not None and (stale := _stale(slo, seen, "edited")):
        raise stale
    if not changes or all(getattr(slo, k) == v for k, v in changes.items()):
        raise InvalidField("body", "change at least one of name, objective, "
                           "threshold_seconds, window_days, description")
    if changes.get("name") and changes["name"] != slo.name and await repository.by_name(
            session, slo.environment_id, changes["name"]) is not None:
        raise Conflict(f"an SLO named '{changes['name']}' exists in this environment already")
    if "threshold_seconds" in changes and (slo.sli_kind == "latency") != (
            changes["threshold_seconds"] is not None):
        raise InvalidField("threshold_seconds",
                           "latency SLOs need one; availability SLOs have none")
    after = {**snapshot(slo), **changes}
    await renderable.check(session, renderable.Candidate(
        slo.environment_id, slo.id, slo.journey_id, after["name"], slo.sli_kind,
        after["objective"], after["threshold_seconds"], after["window_days"],
        after["description"]), metric_family=metric_family, now=now,
        journey_field="threshold_seconds" if slo.sli_kind == "latency" else "sli_kind")

    seen = seen or Seen(slo.version)
    try:
        edited = await repository.propose_edit(session, slo.id, seen, changes,
                                               principal.subject, now)
    except repository.NameTaken:
        raise Conflict(f"an SLO named '{changes['name']}' exists in this environment "
                       "already") from None
    if not edited:
        raise await _overtaken(session, slo_id, seen, "edited")
    await session.refresh(slo)
    await _revise(session, slo, "edit", principal, comment, now)
    return slo


async def review(
    session: AsyncSession, slo_id: int, verdict: str, comment: str, seen: Seen,
    principal: Principal, now: datetime, *, allow_self_approval: bool,
) -> Slo:
    """``seen``: the version (and status) the reviewer read; the verdict is on that version."""
    slo = await visible(session, principal, slo_id, "approver")
    if conflict := _stale(slo, seen, "reviewed") or _not_proposed(slo):
        raise conflict
    if verdict == "approve":
        await check_may_approve(session, principal, slo.last_changed_by,
                                "made the change being approved",
                                allow_self_approval=allow_self_approval)
    status = "approved" if verdict == "approve" else "rejected"
    if not await repository.set_verdict(session, slo.id, seen, status, now):
        raise await _overtaken(session, slo_id, seen, "reviewed")
    await session.refresh(slo)
    await _revise(session, slo, verdict, principal, comment, now)
    return slo
