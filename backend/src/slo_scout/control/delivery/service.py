"""Deliver an approved bundle with its environment's configured target. Never commits.

The repository work (``gitops``) is blocking I/O of seconds and runs in a thread. Deliveries of
one environment take turns (a lock in this process, the environment's row on PostgreSQL), so a
retried or concurrent request finds the branch already holding the files and changes nothing:
the same answer, not a race between two pushes.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout import __version__
from slo_scout.control.artifacts import repository as artifacts
from slo_scout.control.artifacts.service import visible
from slo_scout.control.audit import repository as audit
from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog.service import team_of_environment
from slo_scout.control.delivery import repository
from slo_scout.control.errors import Conflict, UpstreamFailed
from slo_scout.control.journeys.keys import lock_environment
from slo_scout.core.errors import SloScoutError
from slo_scout.db.models import Delivery
from slo_scout.gitops.deliver import Delivery as Delivered
from slo_scout.gitops.deliver import Request, deliver
from slo_scout.gitops.git_remote import GitRemote, redact
from slo_scout.gitops.github import GitHubRemote
from slo_scout.gitops.gitlab import GitLabRemote
from slo_scout.gitops.remote import DeliveryRefused
from slo_scout.settings import DeliverySettings, DeliveryTarget

# Deliveries of one environment take turns in this process (they run in threads, whatever
# event loop asked for them); across processes the environment's row lock does it.
_turns: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
_turns_guard = threading.Lock()


def describe(target: DeliveryTarget) -> str:
    """The target as shown to people and stored: never a credential."""
    if target.github:
        return f"github:{target.github}"
    if target.gitlab:
        return f"gitlab:{target.gitlab}"
    return redact(target.repo.get_secret_value()) if target.repo else "none"


def _run(environment_id: int, files: dict[str, str], target: DeliveryTarget,
         settings: DeliverySettings, request: Request) -> list[Delivered]:
    with _turns_guard:
        turn = _turns[environment_id]
    with turn:
        return _deliver(files, target, settings, request)


def _deliver(files: dict[str, str], target: DeliveryTarget, settings: DeliverySettings,
             request: Request) -> list[Delivered]:
    remote: GitRemote | GitHubRemote | GitLabRemote
    if target.github:
        token = settings.github_token
        if token is None:
            raise SloScoutError("SLO_SCOUT_DELIVERY__GITHUB_TOKEN is not set")
        remote = GitHubRemote(target.github, token.get_secret_value(),
                              api_url=settings.github_api_url)
    elif target.gitlab:
        token = settings.gitlab_token
        if token is None:
            raise SloScoutError("SLO_SCOUT_DELIVERY__GITLAB_TOKEN is not set")
        remote = GitLabRemote(target.gitlab, token.get_secret_value(), url=settings.gitlab_url)
    else:
        assert target.repo is not None
        remote = GitRemote(target.repo.get_secret_value())
    with remote:
        return deliver(files, remote, request)


async def deliver_bundle(
    session: AsyncSession, principal: Principal, bundle_id: int, settings: DeliverySettings,
    now: datetime,
) -> list[Delivery]:
    """Delivers an approved bundle (by an approver of its team); one row per service."""
    bundle = await visible(session, principal, bundle_id, "approver")
    if bundle.status != "approved":
        raise Conflict(f"artifact bundle {bundle_id} is {bundle.status}: only an approved "
                       "bundle is delivered")
    team, service, environment = await team_of_environment(session, bundle.environment_id)
    target = settings.target_for(service, environment)
    if target is None:
        raise Conflict(f"{service}/{environment} has no delivery target: set "
                       "SLO_SCOUT_DELIVERY__GITHUB (or __GITLAB, __REPO), or a target of its "
                       "own in SLO_SCOUT_DELIVERY__TARGETS")
    files = {f.path: f.content for f in await artifacts.files(session, bundle.id)}
    overrides = {"path": target.path, "branch": target.branch,
                 "outputs": tuple(target.outputs) if target.outputs else None,
                 "labels": tuple(target.labels) if target.labels else None,
                 "reviewers": tuple(target.reviewers) if target.reviewers else None}
    request = Request(team=team, environment=environment, base=target.base,
                      overrides=overrides, version=__version__)
    await lock_environment(session, bundle.environment_id)
    try:
        delivered = await asyncio.to_thread(_run, bundle.environment_id, files, target,
                                            settings, request)
    except DeliveryRefused as exc:
        raise Conflict(redact(exc.message)) from exc
    except SloScoutError as exc:
        raise UpstreamFailed(f"delivery to {describe(target)} failed: "
                             f"{redact(exc.message)}") from exc
    rows = await repository.add(session, [Delivery(
        bundle_id=bundle.id, target=describe(target), service=d.service, branch=d.branch,
        commit=d.commit, files_changed=len(d.changed),
        pull_request_url=d.proposal.url if d.proposal else None,
        pull_request_number=d.proposal.number if d.proposal else None,
        pull_request_action=d.proposal.action if d.proposal else None,
        delivered_by=principal.subject, delivered_at=now) for d in delivered])
    await audit.record(session, actor=principal.subject, action="artifacts.deliver",
                       target_type="artifact_bundle", target_id=bundle.id, team=team, at=now,
                       details={"target": describe(target), "version": bundle.version,
                                "deliveries": [{"branch": r.branch, "commit": r.commit,
                                                "pull_request": r.pull_request_url}
                                               for r in rows]})
    return rows


async def deliveries(session: AsyncSession, principal: Principal, bundle_id: int
                     ) -> list[Delivery]:
    await visible(session, principal, bundle_id, "viewer")
    return await repository.of_bundle(session, bundle_id)
