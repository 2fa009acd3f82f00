"""`slo-scout deliver`: a bundle becomes a branch and a pull request in the team's repository."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import typer

from slo_scout import __version__
from slo_scout.cli._console import fail, note, usage_error
from slo_scout.core.delivery.layout import kind_and_stem
from slo_scout.core.errors import SloScoutError
from slo_scout.gitops.deliver import Delivery, Request, deliver
from slo_scout.gitops.git_remote import GitRemote, redact
from slo_scout.gitops.github import GitHubRemote
from slo_scout.gitops.gitlab import GitLabRemote

EXAMPLES = """

**Examples**

    slo-scout deliver out/ --repo file:///srv/git/slos.git --team shop

    GITHUB_TOKEN=... slo-scout deliver out/ --github acme/slos --team shop --environment prod

    GITLAB_TOKEN=... slo-scout deliver out/ --gitlab acme/slos --gitlab-url https://git.acme.io \\
        --team shop --outputs sloth,kubernetes,dashboards,runbooks --reviewer alice
"""


def read_bundle(folder: Path) -> dict[str, str]:
    """The bundle's deliverable files and its evidence (recommendations.yaml), by path."""
    if not folder.is_dir():
        raise SloScoutError(f"{folder} is not a folder (give the folder `slo-scout analyze "
                            "--out` wrote)")
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and (kind_and_stem(relative) or relative == "recommendations.yaml"):
            try:
                files[relative] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SloScoutError(f"{path}: cannot be read as UTF-8 text: {exc}") from exc
    return files


def _remote(repo: str | None, github: str | None, gitlab: str | None, github_api_url: str,
            gitlab_url: str) -> AbstractContextManager[Any]:
    chosen = [name for name, value in (("--repo", repo), ("--github", github),
                                       ("--gitlab", gitlab)) if value]
    if len(chosen) != 1:
        usage_error("name the repository with exactly one of --repo URL, --github OWNER/REPO, "
                    "--gitlab GROUP/PROJECT")
    if repo:
        return GitRemote(repo)
    if github:
        token = os.environ.get("GITHUB_TOKEN")
        if not token:
            usage_error("--github needs a token in GITHUB_TOKEN (contents and pull requests: "
                        "write)")
        return GitHubRemote(github, token, api_url=github_api_url)
    token = os.environ.get("GITLAB_TOKEN")
    if not token:
        usage_error("--gitlab needs a token in GITLAB_TOKEN (scope api)")
    return GitLabRemote(gitlab or "", token, url=gitlab_url)


def _say(delivery: Delivery) -> None:
    if delivery.commit is None:
        line = f"{delivery.service}: nothing changed on {delivery.branch}"
    else:
        line = (f"{delivery.service}: {len(delivery.changed)} files committed to "
                f"{delivery.branch} ({delivery.commit[:12]})")
    if delivery.proposal is not None:
        line += (f"; pull request #{delivery.proposal.number} {delivery.proposal.action}: "
                 f"{delivery.proposal.url}")
    note(line)


def deliver_command(
    bundle: Path = typer.Argument(  # noqa: B008
        ..., help="The bundle folder (what `slo-scout analyze --out` wrote)."),
    repo: str | None = typer.Option(
        None, "--repo", help="Any git remote: file://, ssh:// or https:// (your git "
        "credentials)."),
    github: str | None = typer.Option(
        None, "--github", help="OWNER/REPO on GitHub, through its REST API (GITHUB_TOKEN)."),
    gitlab: str | None = typer.Option(
        None, "--gitlab", help="GROUP/PROJECT on GitLab, through its REST API (GITLAB_TOKEN)."),
    github_api_url: str = typer.Option(
        "https://api.github.com", "--github-api-url",
        help="GitHub Enterprise: https://HOST/api/v3."),
    gitlab_url: str = typer.Option("https://gitlab.com", "--gitlab-url",
                                   help="A self-hosted GitLab."),
    team: str = typer.Option(..., "--team", help="The team the SLOs belong to ({team})."),
    environment: str = typer.Option("production", "--environment",
                                    help="The environment ({environment})."),
    base: str = typer.Option("main", "--base", help="The branch the pull request targets."),
    branch: str | None = typer.Option(
        None, "--branch", help="Branch template [default: slo-scout/{service}/{environment}]."),
    path: str | None = typer.Option(
        None, "--path", help="Folder template [default: slo/{team}/{service}/{environment}]."),
    outputs: str | None = typer.Option(
        None, "--outputs", help="Comma-separated: sloth, rules, kubernetes, openslo, pyrra, "
        "dashboards, runbooks [default: all, or the repository's .slo-scout.yaml]."),
    labels: list[str] = typer.Option(  # noqa: B008
        [], "--label", help="Pull request label (repeatable) [default: slo]."),
    reviewers: list[str] = typer.Option(  # noqa: B008
        [], "--reviewer", help="Reviewer to request (repeatable)."),
    title: str | None = typer.Option(None, "--title", help="Pull request title."),
    report_url: str | None = typer.Option(
        None, "--report-url", help="Where the report is published, linked from the body."),
) -> None:
    """Deliver a bundle: one branch and one pull request per service and environment.

    Only the bundle's files change (under --path); the repository's other files are never
    touched, a branch someone else pushed to is never force-pushed, and delivering the same
    bundle again changes nothing. Rules pass `promtool check rules` and specs
    `slo-scout validate` before anything is pushed. Flags win over the repository's
    `.slo-scout.yaml` (`delivery: {path, branch, outputs, labels, reviewers}`).
    """
    overrides: dict[str, Any] = {
        "path": path, "branch": branch,
        "outputs": tuple(o.strip() for o in outputs.split(",") if o.strip()) if outputs else None,
        "labels": tuple(labels) or None, "reviewers": tuple(reviewers) or None}
    try:
        files = read_bundle(bundle)
        with _remote(repo, github, gitlab, github_api_url, gitlab_url) as remote:
            request = Request(team=team, environment=environment, base=base,
                              overrides=overrides, title=title, report_url=report_url,
                              version=__version__)
            for delivery in deliver(files, remote, request, progress=note):
                _say(delivery)
    except SloScoutError as exc:
        exc.message = redact(exc.message)
        fail(exc)


deliver_command.__doc__ = (deliver_command.__doc__ or "") + EXAMPLES
