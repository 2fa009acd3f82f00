"""The pre-commit hook a team's repository can use: run as pre-commit runs it (the hook's
``entry`` with the staged files its ``files``/``exclude`` patterns select)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from tests.fixtures.forges import GitRepository
from tests.gitops.test_git_remote import PREFIX, TEAM_FILES

from slo_scout.cli.deliver import read_bundle
from slo_scout.gitops.deliver import Request, deliver
from slo_scout.gitops.git_remote import GitRemote

HOOKS = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"


def _hook() -> dict[str, object]:
    [hook] = yaml.safe_load(HOOKS.read_text())
    assert {"id", "name", "entry", "language"} <= hook.keys()
    return hook  # type: ignore[no-any-return]


def _run_hook(checkout: Path) -> subprocess.CompletedProcess[str]:
    hook = _hook()
    files = [p.relative_to(checkout).as_posix() for p in sorted(checkout.rglob("*"))
             if p.is_file() and ".git/" not in p.as_posix()]
    selected = [f for f in files if re.search(str(hook["files"]), f)
                and not re.search(str(hook.get("exclude", "^$")), f)]
    assert selected, "the hook selects no file"
    command = shlex.split(str(hook["entry"]))
    command[0] = str(Path(sys.executable).parent / command[0])  # the installed console script
    return subprocess.run([*command, *selected], cwd=checkout, capture_output=True, text=True,
                          check=False)


def test_the_hook_passes_a_delivered_repository_and_names_a_broken_spec(
    bundle: Path, tmp_path: Path,
) -> None:
    repo = GitRepository(tmp_path / "team.git")
    repo.commit_files("main", {"README.md": TEAM_FILES["README.md"]}, "init")
    with GitRemote(repo.path.as_uri()) as remote:
        [delivery] = deliver(read_bundle(bundle), remote,
                             Request(team="shop", environment="production"))
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", "-b", delivery.branch, str(repo.path), str(checkout)],
                   check=True)
    passed = _run_hook(checkout)
    assert passed.returncode == 0, passed.stderr
    assert f"valid {PREFIX}/sloth/frontend.yaml" in passed.stderr
    assert "/rules/" not in passed.stderr  # rule files are not specs
    spec = checkout / PREFIX / "sloth" / "frontend.yaml"
    spec.write_text(spec.read_text().replace("objective: ", "objective: 1", 1))
    failed = _run_hook(checkout)
    assert failed.returncode == 1 and f"{PREFIX}/sloth/frontend.yaml" in failed.stderr
    assert "Traceback" not in failed.stderr
