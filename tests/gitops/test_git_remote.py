"""`slo-scout deliver --repo`: real git, local bare repositories as the team's remote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures.forges import GitRepository, git
from tests.gitops.conftest import raise_objective

from slo_scout.core.delivery import DeliveryConfig
from slo_scout.core.delivery.changes import TRAILER
from slo_scout.core.errors import SloScoutError
from slo_scout.gitops.checks import ChecksFailed
from slo_scout.gitops.deliver import Request, deliver
from slo_scout.gitops.git_remote import GitRemote, redact
from slo_scout.gitops.remote import DeliveryRefused

PREFIX = "slo/shop/frontend/production"
BRANCH = "slo-scout/frontend/production"
TEAM_FILES = {
    "README.md": "# our SLOs\n",
    "slo/payments/sloth.yaml": "version: prometheus/v1\nservice: payments\nslos: []\n",
    # a hand-written spec beside the layout, inside the very folder delivery writes to
    f"{PREFIX}/sloth/hand-written.yaml": "version: prometheus/v1\nservice: x\nslos: []\n",
}


@pytest.fixture
def team_repo(tmp_path: Path) -> GitRepository:
    repo = GitRepository(tmp_path / "team.git")
    repo.commit_files("main", TEAM_FILES, "our own files")
    return repo


def _files(bundle: Path) -> dict[str, str]:
    from slo_scout.cli.deliver import read_bundle

    return read_bundle(bundle)


def _deliver(bundle: Path, repo: GitRepository, **overrides: object):  # type: ignore[no-untyped-def]
    with GitRemote(repo.path.as_uri()) as remote:
        return deliver(_files(bundle), remote, Request(team="shop", environment="production",
                                                      overrides=overrides))


def test_a_first_delivery_files_the_bundle_under_the_layout_and_nothing_else(
    bundle: Path, team_repo: GitRepository,
) -> None:
    [delivery] = _deliver(bundle, team_repo)
    assert (delivery.service, delivery.branch, delivery.proposal) == ("frontend", BRANCH, None)
    held = team_repo.files(BRANCH)
    for path, text in TEAM_FILES.items():
        assert held[path] == text.rstrip("\n")  # untouched
    delivered = {p for p in held if p not in TEAM_FILES}
    bundle_files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    expected = {f"{PREFIX}/{p}" for p in bundle_files
                if p.split("/")[0] in DeliveryConfig().outputs}
    assert delivered == expected and delivered == set(delivery.changed)
    assert f"{PREFIX}/sloth/frontend.yaml" in delivered
    assert not any(p.endswith(("report.html", "journeys.json", "recommendations.yaml"))
                   for p in delivered)
    [(_, author, message)] = team_repo.log("main", BRANCH)
    assert author == "SLO Scout" and f"{TRAILER}: shop/frontend/production" in message


def test_delivering_the_same_bundle_again_makes_no_commit(
    bundle: Path, team_repo: GitRepository,
) -> None:
    _deliver(bundle, team_repo)
    tip = team_repo.tip(BRANCH)
    [again] = _deliver(bundle, team_repo)
    assert (again.commit, again.changed) == (None, ())
    assert team_repo.tip(BRANCH) == tip


def test_a_changed_bundle_adds_one_commit_with_only_the_changed_files(
    bundle: Path, team_repo: GitRepository,
) -> None:
    _deliver(bundle, team_repo)
    first = team_repo.tip(BRANCH)
    raise_objective(bundle)
    [delivery] = _deliver(bundle, team_repo)
    assert delivery.changed == (f"{PREFIX}/openslo/frontend.yaml",
                                f"{PREFIX}/sloth/frontend.yaml")
    assert [sha for sha, _, _ in team_repo.log(first, BRANCH)] == [delivery.commit]
    changed = git(team_repo.path, "diff", "--name-only", first, BRANCH).splitlines()
    assert changed == list(delivery.changed)


def test_a_branch_someone_else_pushed_to_is_never_force_pushed(
    bundle: Path, team_repo: GitRepository,
) -> None:
    _deliver(bundle, team_repo)
    human = team_repo.commit_files(BRANCH, {f"{PREFIX}/sloth/frontend.yaml": "tuned by hand\n"},
                                   "loosen checkout by hand", author="Alice")
    raise_objective(bundle)
    with pytest.raises(DeliveryRefused) as refused:
        _deliver(bundle, team_repo)
    assert human[:12] in refused.value.message and "Alice" in refused.value.message
    assert "loosen checkout by hand" in refused.value.message
    assert team_repo.tip(BRANCH) == human  # nothing pushed over it


def test_a_rule_file_promtool_rejects_stops_delivery_before_anything_is_pushed(
    bundle: Path, team_repo: GitRepository,
) -> None:
    rules = bundle / "rules" / "frontend.yaml"
    rules.write_text(rules.read_text().replace("expr: ", "expr: sum(", 1))
    with pytest.raises(ChecksFailed) as failed:
        _deliver(bundle, team_repo)
    assert f"{PREFIX}/rules/frontend.yaml: promtool check rules failed" in failed.value.message
    assert team_repo.tip(BRANCH) is None


def test_a_spec_that_does_not_validate_stops_delivery(
    bundle: Path, team_repo: GitRepository,
) -> None:
    spec = bundle / "sloth" / "frontend.yaml"
    spec.write_text(spec.read_text().replace("objective: ", "objective: 1", 1))  # e.g. 198.0
    with pytest.raises(ChecksFailed) as failed:
        _deliver(bundle, team_repo)
    assert f"{PREFIX}/sloth/frontend.yaml" in failed.value.message
    assert team_repo.tip(BRANCH) is None


def test_the_repository_config_chooses_outputs_and_path_and_flags_win(
    bundle: Path, team_repo: GitRepository,
) -> None:
    team_repo.commit_files("main", {".slo-scout.yaml": (
        "delivery:\n  path: teams/{team}/{environment}/{service}\n"
        "  outputs: [kubernetes, dashboards]\n")}, "how we take SLOs")
    [delivery] = _deliver(bundle, team_repo)
    assert {p.split("/")[4] for p in delivery.changed} == {"kubernetes", "dashboards"}
    assert all(p.startswith("teams/shop/production/frontend/") for p in delivery.changed)
    [flagged] = _deliver(bundle, team_repo, outputs=("runbooks",),
                         branch="slo/{service}-runbooks")
    assert flagged.branch == "slo/frontend-runbooks"
    assert {p.split("/")[4] for p in flagged.changed} == {"runbooks"}


def test_a_bad_repository_config_is_named(bundle: Path, team_repo: GitRepository) -> None:
    team_repo.commit_files("main", {".slo-scout.yaml": "delivery:\n  outputs: [grafana]\n"},
                           "typo")
    with pytest.raises(SloScoutError) as bad:
        _deliver(bundle, team_repo)
    assert ".slo-scout.yaml on main" in bad.value.message and "grafana" in bad.value.message
    team_repo.commit_files("main", {".slo-scout.yaml": "delivery: {}\n"}, "defaults")
    with pytest.raises(SloScoutError,
                       match=r"field 'path': path template '\.\./\{service\}' gives '\.\./"):
        _deliver(bundle, team_repo, path="../{service}")


def test_the_command_answers_problems_in_one_line(bundle: Path, team_repo: GitRepository,
                                                  tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "slo_scout.cli.main", "deliver",
                               str(bundle), "--team", "shop", *args],
                              capture_output=True, text=True, check=False)

    missing = run("--repo", team_repo.path.as_uri(), "--base", "trunk")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "has no branch 'trunk'" in missing.stderr
    secret = run("--repo", "https://user:s3cret@127.0.0.1:9/nothing.git")
    assert secret.returncode == 1 and "s3cret" not in secret.stderr + secret.stdout
    assert "https://***@127.0.0.1:9/nothing.git" in secret.stderr
    neither = run()
    assert neither.returncode == 2 and "exactly one of --repo" in neither.stderr
    done = run("--repo", team_repo.path.as_uri())
    assert done.returncode == 0, done.stderr
    assert f"files committed to {BRANCH}" in done.stderr
    again = run("--repo", team_repo.path.as_uri())
    assert f"frontend: nothing changed on {BRANCH}" in again.stderr


def test_redact_hides_userinfo_wherever_it_appears() -> None:
    assert redact("fatal: https://u:p@h/x.git and ssh://git@h/y") == (
        "fatal: https://***@h/x.git and ssh://***@h/y")
