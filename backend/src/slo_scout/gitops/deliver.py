"""One delivery: each service of a bundle onto its own branch, with its pull request.

Per service: plan the files (the core), check them (promtool, spec validation), read the
branch, stop if someone else has pushed to it, commit what differs (nothing: no commit), and
open the pull request or update the open one's body. Delivering the same bundle twice changes
nothing; a pull request that was closed is left alone, and the next change opens a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slo_scout.core.delivery import (
    CONFIG_FILE,
    DeliveryConfig,
    Target,
    branch_name,
    changes,
    commit_message,
    expand,
    plan,
    read_config,
    render,
    services_in,
    summarize,
)
from slo_scout.core.errors import SloScoutError
from slo_scout.gitops.checks import check
from slo_scout.gitops.remote import Author, DeliveryRefused, Proposal, Remote


@dataclass(frozen=True, slots=True)
class Delivery:
    service: str
    branch: str
    commit: str | None  # None: the branch already held exactly these files
    changed: tuple[str, ...]
    proposal: Proposal | None


@dataclass(frozen=True, slots=True)
class Request:
    team: str
    environment: str
    base: str = "main"
    # path, branch, outputs, labels, reviewers given on the command line: they win over the
    # repository's own .slo-scout.yaml
    overrides: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    report_url: str | None = None
    version: str = ""
    author: Author = field(default_factory=Author)


def deliver(files: Mapping[str, str], remote: Remote, request: Request,
            progress: Callable[[str], None] = lambda _: None) -> list[Delivery]:
    services = services_in(files)
    if not services:
        raise SloScoutError("the bundle has no service files (sloth/<service>.yaml, ...): is it "
                            "the folder `slo-scout analyze --out` or `generate` wrote?")
    text = remote.file_at_branch(request.base, CONFIG_FILE)
    config = read_config(text, f"{CONFIG_FILE} on {request.base}") if text else DeliveryConfig()
    config = config.with_overrides(**request.overrides)
    return [_one(files, remote, request, config, service, progress) for service in services]


def _one(files: Mapping[str, str], remote: Remote, request: Request, config: DeliveryConfig,
         service: str, progress: Callable[[str], None]) -> Delivery:
    target = Target(request.team, service, request.environment)
    prefix = expand(config.path, target)
    planned = plan(files, target, config)
    branch = branch_name(config, target)
    progress(f"{service}: checking {len(planned)} files")
    check(planned)
    state = remote.state(request.base, branch, prefix)
    if state.foreign:
        raise DeliveryRefused(
            f"branch '{branch}' has commits SLO Scout did not make ({'; '.join(state.foreign)}); "
            "it is never force-pushed: merge or close its pull request and delete the branch, "
            "or deliver to another --branch")
    todo = changes(planned, state.held)
    spec_paths = [path for path in state.held if path.startswith(f"{prefix}/sloth/")
                  or path == f"{prefix}/openslo/{service}.yaml"]
    # The body describes what merging changes: the targets against the base's (the last
    # delivery that was merged), not against earlier commits of the same pull request.
    held_before = remote.read(state.base_tip, spec_paths)
    before = summarize(held_before, service, prefix=prefix) or None  # None: none merged yet
    text = render(target, slos=summarize(files, service), before=before, files=sorted(planned),
                  prefix=prefix, title=request.title, report_url=request.report_url,
                  version=request.version)
    commit = None
    if todo:
        progress(f"{service}: committing {len(todo)} changed files to {branch}")
        commit = remote.commit(state, branch, todo, commit_message(
            f"SLOs for {service} in {target.values['environment']}", target.values),
            request.author)
    proposal = None
    if commit is not None or state.tip is not None:
        proposal = remote.propose(branch, request.base, text, labels=config.labels,
                                  reviewers=config.reviewers, open_new=commit is not None)
    return Delivery(service, branch, commit, tuple(c.path for c in todo), proposal)
