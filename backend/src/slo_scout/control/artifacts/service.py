"""Artifact bundles: render the approved SLOs of an environment, approve, diff. Never commits.

A bundle is what delivery would ship: every file rendered from the environment's approved SLOs
at one moment. Its diff is against the last approved bundle before it, so a reviewer sees what
would change in the team's repository.

Bundle versions count up per environment. A render takes the next version when it starts; when
another render stores that version first (two editors at once), this one is a Conflict naming
the winner, never a second bundle of the same SLOs. An approval names the version reviewed and
lands only while that bundle is still proposed (one conditional UPDATE).
"""

from __future__ import annotations

import difflib
import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.artifacts import rendering, repository
from slo_scout.control.audit import repository as audit
from slo_scout.control.auth.four_eyes import check_may_approve
from slo_scout.control.auth.guard import require_visible
from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog.service import find_environment, team_of_environment
from slo_scout.control.errors import Conflict, NotFound, NothingToRender
from slo_scout.control.preconditions import Seen
from slo_scout.control.slos import repository as slos
from slo_scout.db.models import ArtifactBundle, ArtifactFile


async def create(
    session: AsyncSession, principal: Principal, *, service: str, environment: str,
    now: datetime, metric_family: str | None,
) -> ArtifactBundle:
    """A bundle of every file the environment's approved SLOs render to, by an editor."""
    owner, svc, env = await find_environment(session, service=service, environment=environment,
                                             principal=principal, role="editor")
    approved = await slos.of_environment(session, env.id, "approved")
    version = await repository.next_version(session, env.id)
    files = await rendering.render(session, approved, metric_family=metric_family, now=now)
    if len(files) <= 1:  # recommendations.yaml alone: nothing an SLO tool could load
        raise NothingToRender(f"{svc.name}/{env.name} has no approved SLO with a journey; "
                              "approve one first")
    digests = {p: hashlib.sha256(t.encode()).hexdigest() for p, t in files.items()}
    bundle = await repository.add(session, ArtifactBundle(
        environment_id=env.id, result_id=None, version=version, status="proposed",
        created_by=principal.subject, created_at=now,
    ), files, digests)
    if bundle is None:
        raise await _overtaken_render(session, env.id, f"{svc.name}/{env.name}", version)
    await audit.record(session, actor=principal.subject, action="artifacts.create",
                       target_type="artifact_bundle", target_id=bundle.id, team=owner.name,
                       at=now, details={"service": svc.name, "environment": env.name,
                                        "version": bundle.version, "files": len(files),
                                        "slos": sorted(s.name for s in approved)})
    return bundle


async def _overtaken_render(session: AsyncSession, environment_id: int, where: str,
                            version: int) -> Conflict:
    winner = await repository.latest(session, environment_id)
    detail = (f"another render stored version {version} of {where} while this one ran; read "
              "that bundle, and render again only if the approved SLOs changed since")
    if winner is None:  # bundles are never deleted: only if that changes
        return Conflict(detail)
    return Conflict(f"{detail} (bundle {winner.id} is version {winner.version} now)",
                    current_version=winner.version, current_status=winner.status)


async def visible(session: AsyncSession, principal: Principal, bundle_id: int, role: str
                  ) -> ArtifactBundle:
    bundle = await repository.get(session, bundle_id)
    if bundle is None:
        raise NotFound(f"artifact bundle {bundle_id}")
    team, _, _ = await team_of_environment(session, bundle.environment_id)
    require_visible(principal, team, role, f"artifact bundle {bundle_id}")
    return bundle


async def visible_file(
    session: AsyncSession, principal: Principal, bundle_id: int, path: str
) -> ArtifactFile:
    await visible(session, principal, bundle_id, "viewer")
    found = await repository.file(session, bundle_id, path)
    if found is None:
        raise NotFound(f"file '{path}' of artifact bundle {bundle_id}")
    return found


def _not_approvable(bundle: ArtifactBundle, seen: Seen) -> Conflict | None:
    if not seen.holds(bundle.version, bundle.status):
        detail = (f"artifact bundle {bundle.id} is version {bundle.version} ({bundle.status}); "
                  f"you reviewed {seen.describe()}: read it again")
    elif bundle.status != "proposed":
        detail = f"artifact bundle {bundle.id} is {bundle.status} already"
    else:
        return None
    return Conflict(detail, current_version=bundle.version, current_status=bundle.status)


async def approve(
    session: AsyncSession, bundle_id: int, comment: str, seen: Seen, principal: Principal,
    now: datetime, *, allow_self_approval: bool,
) -> ArtifactBundle:
    """``seen``: the bundle version (and status) the approver reviewed."""
    bundle = await visible(session, principal, bundle_id, "approver")
    if conflict := _not_approvable(bundle, seen):
        raise conflict
    await check_may_approve(session, principal, bundle.created_by, "rendered this bundle",
                            allow_self_approval=allow_self_approval)
    if not await repository.set_approved(session, bundle.id, seen, principal.subject, now):
        await session.refresh(bundle)  # what another approval made of it meanwhile
        raise _not_approvable(bundle, seen) or Conflict(
            f"artifact bundle {bundle_id} changed while this request ran; read it again",
            current_version=bundle.version, current_status=bundle.status)
    await session.refresh(bundle)
    team, _, _ = await team_of_environment(session, bundle.environment_id)
    await audit.record(session, actor=principal.subject, action="artifacts.approve",
                       target_type="artifact_bundle", target_id=bundle.id, team=team, at=now,
                       details={"version": bundle.version, "comment": comment})
    return bundle


async def diff(session: AsyncSession, bundle: ArtifactBundle
               ) -> tuple[ArtifactBundle | None, list[str], str]:
    """(the bundle compared against, changed paths, unified diff of every changed file)."""
    base = await repository.last_approved_before(session, bundle.environment_id, bundle.version)
    old = {f.path: f for f in await repository.files(session, base.id)} if base else {}
    new = {f.path: f for f in await repository.files(session, bundle.id)}
    changed, parts = [], []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before is not None and after is not None and before.sha256 == after.sha256:
            continue
        changed.append(path)
        parts.extend(difflib.unified_diff(
            before.content.splitlines(keepends=True) if before else [],
            after.content.splitlines(keepends=True) if after else [],
            fromfile=f"a/{path}" if before else "/dev/null",
            tofile=f"b/{path}" if after else "/dev/null",
        ))
    return base, changed, "".join(p if p.endswith("\n") else p + "\n" for p in parts)
