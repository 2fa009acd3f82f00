"""`slo-scout deliver --github` / `--gitlab`: through each REST contract, against local servers
that implement the endpoints used on real git repositories (tests/fixtures/forges.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.forges import FakeGitHub, FakeGitLab, GitRepository
from tests.gitops.conftest import raise_objective
from tests.gitops.test_git_remote import BRANCH, PREFIX, TEAM_FILES

from slo_scout.cli.deliver import read_bundle
from slo_scout.gitops.deliver import Request, deliver
from slo_scout.gitops.github import GitHubRemote
from slo_scout.gitops.gitlab import GitLabRemote
from slo_scout.gitops.remote import DeliveryRefused, RemoteError

TOKEN = "ghp_secret-token-0123456789"  # a test credential


@pytest.fixture
def team_repo(tmp_path: Path) -> GitRepository:
    repo = GitRepository(tmp_path / "team.git")
    # more of the team's files in the delivered folder than one page of a tree listing holds
    many = {f"{PREFIX}/notes/note-{i:03}.md": f"note {i}\n" for i in range(130)}
    repo.commit_files("main", {**TEAM_FILES, **many}, "our own files")
    return repo


@pytest.fixture(params=["github", "gitlab"])
def forge(request: pytest.FixtureRequest, team_repo: GitRepository) -> Iterator[Any]:
    if request.param == "github":
        server: Any = FakeGitHub(team_repo, "acme/slos", TOKEN)
    else:
        server = FakeGitLab(team_repo, "acme/slos", TOKEN, users={"alice": 7})
    try:
        yield server
    finally:
        server.close()


def _remote(forge: Any) -> Any:
    if isinstance(forge, FakeGitHub):
        return GitHubRemote("acme/slos", TOKEN, api_url=forge.url)
    return GitLabRemote("acme/slos", TOKEN, url=forge.url)


def _deliver(bundle: Path, forge: Any, **overrides: Any):  # type: ignore[no-untyped-def]
    with _remote(forge) as remote:
        return deliver(read_bundle(bundle), remote, Request(
            team="shop", environment="production", report_url="https://slo.example/report",
            overrides={"reviewers": ("alice",), "labels": ("slo", "generated"), **overrides}))


def _proposals(forge: Any) -> list[Any]:
    return forge.pulls if isinstance(forge, FakeGitHub) else forge.merge_requests


def _body(proposal: Any) -> str:
    return proposal.body if hasattr(proposal, "body") else proposal.description


def test_a_delivery_opens_one_pull_request_with_the_evidence(
    bundle: Path, forge: Any, team_repo: GitRepository,
) -> None:
    [delivery] = _deliver(bundle, forge)
    assert delivery.proposal is not None and delivery.proposal.action == "opened"
    [proposal] = _proposals(forge)
    body = _body(proposal)
    assert "| SLO | SLI | objective | window |" in body
    assert "First delivery of these SLOs" in body
    assert "95% interval" in body and "good of" in body and "min" in body
    assert "https://slo.example/report" in body
    assert "### Backtest: each target on its own history" in body
    assert "on the later half (" in body and "would have paged" in body
    if isinstance(forge, FakeGitHub):
        assert (proposal.labels, proposal.reviewers) == (["slo", "generated"], ["alice"])
    else:
        assert (proposal.labels, proposal.reviewer_ids) == ("slo,generated", [7])
    held = team_repo.files(BRANCH)
    for path, text in TEAM_FILES.items():
        assert held[path] == text.rstrip("\n")
    assert held[f"{PREFIX}/notes/note-129.md"] == "note 129"
    assert set(delivery.changed) == {p for p in held if p.startswith(PREFIX)
                                     and "/notes/" not in p and "hand-written" not in p}


def test_the_same_bundle_again_changes_nothing_and_opens_nothing(
    bundle: Path, forge: Any, team_repo: GitRepository,
) -> None:
    _deliver(bundle, forge)
    tip = team_repo.tip(BRANCH)
    [again] = _deliver(bundle, forge)
    assert again.commit is None and again.proposal is not None
    assert again.proposal.action == "unchanged"
    assert team_repo.tip(BRANCH) == tip and len(_proposals(forge)) == 1


def test_a_changed_bundle_adds_one_commit_and_updates_the_body(
    bundle: Path, forge: Any, team_repo: GitRepository,
) -> None:
    _deliver(bundle, forge)
    first = team_repo.tip(BRANCH)
    raise_objective(bundle)
    [delivery] = _deliver(bundle, forge)
    assert [sha for sha, _, _ in team_repo.log(first, BRANCH)] == [delivery.commit]
    assert delivery.proposal is not None and delivery.proposal.action == "updated"
    [proposal] = _proposals(forge)
    assert "First delivery" in _body(proposal)  # nothing merged yet: all of it is new


def test_after_a_merge_the_next_pull_request_shows_how_targets_change(
    bundle: Path, forge: Any, team_repo: GitRepository,
) -> None:
    _deliver(bundle, forge)
    [merged] = _proposals(forge)
    team_repo.commit_files("main", {}, "merge", parent=team_repo.tip(BRANCH))  # fast-forward
    merged.state = "closed" if isinstance(forge, FakeGitHub) else "merged"
    name, old, new = raise_objective(bundle)
    [delivery] = _deliver(bundle, forge)
    assert delivery.proposal is not None and delivery.proposal.action == "opened"
    body = _body(_proposals(forge)[1])
    assert f"`{name}`: objective {old:g}% → {new:g}%" in body
    assert "First delivery" not in body


def test_a_branch_someone_pushed_to_stops_delivery(
    bundle: Path, forge: Any, team_repo: GitRepository,
) -> None:
    _deliver(bundle, forge)
    human = team_repo.commit_files(BRANCH, {"extra.txt": "mine\n"}, "my fix", author="Bob")
    raise_objective(bundle)
    with pytest.raises(DeliveryRefused, match="Bob"):
        _deliver(bundle, forge)
    assert team_repo.tip(BRANCH) == human


def test_a_closed_pull_request_is_left_alone_and_a_new_one_opened(
    bundle: Path, forge: Any,
) -> None:
    _deliver(bundle, forge)
    [first] = _proposals(forge)
    first.state = "closed"
    [quiet] = _deliver(bundle, forge)
    assert quiet.proposal is None and len(_proposals(forge)) == 1  # nothing new to propose
    raise_objective(bundle)
    [delivery] = _deliver(bundle, forge)
    assert delivery.proposal is not None and delivery.proposal.action == "opened"
    assert [p.state for p in _proposals(forge)] == ["closed", "open" if isinstance(
        forge, FakeGitHub) else "opened"]
    assert "First delivery" in _body(_proposals(forge)[1])  # the closed one was not merged


def test_a_remote_error_never_shows_the_token(bundle: Path, forge: Any) -> None:
    forge.echo_next_error = True
    with pytest.raises(RemoteError) as failed:
        _deliver(bundle, forge)
    assert "500" in failed.value.message and TOKEN not in failed.value.message
    bad = GitHubRemote("acme/slos", "wrong", api_url=forge.url) if isinstance(
        forge, FakeGitHub) else GitLabRemote("acme/slos", "wrong", url=forge.url)
    with bad as remote, pytest.raises(RemoteError, match="401"):
        deliver(read_bundle(bundle), remote, Request(team="shop", environment="production"))


def test_gitlab_refuses_an_update_of_a_file_changed_meanwhile(
    bundle: Path, team_repo: GitRepository,
) -> None:
    """GitLab's own check (``last_commit_id``): the file changed after it was read."""
    server = FakeGitLab(team_repo, "acme/slos", TOKEN)
    try:
        with GitLabRemote("acme/slos", TOKEN, url=server.url) as remote:
            request = Request(team="shop", environment="production")
            deliver(read_bundle(bundle), remote, request)
            raise_objective(bundle)
            state = remote.state("main", BRANCH, PREFIX)
            # someone else's delivery-looking commit lands between the read and the commit
            team_repo.commit_files(BRANCH, {f"{PREFIX}/sloth/frontend.yaml": "changed\n"},
                                   "edit\n\nSLO-Scout-Delivery: shop/frontend/production\n")
            from slo_scout.core.delivery import changes

            todo = changes({f"{PREFIX}/sloth/frontend.yaml": "new text\n"}, state.held)
            with pytest.raises(DeliveryRefused, match="changed since you started editing"):
                remote.commit(state, BRANCH, todo, "x", request.author)
    finally:
        server.close()



def test_a_pull_request_opened_meanwhile_is_updated_not_duplicated(
    bundle: Path, forge: Any,
) -> None:
    """Another delivery opens the request between this one's lookup and its create: the forge
    refuses a second open request (GitHub 422, GitLab 409) and this one updates it instead."""
    from slo_scout.core.delivery import PullRequestText

    _deliver(bundle, forge)
    forge.hide_next_listing = True  # the race: the first lookup does not see it yet
    with _remote(forge) as remote:
        proposal = remote.propose(BRANCH, "main", PullRequestText("SLOs", "a newer body"),
                                  labels=(), reviewers=(), open_new=True)
    assert proposal is not None and proposal.action == "updated"
    assert len(_proposals(forge)) == 1 and _body(_proposals(forge)[0]) == "a newer body"
