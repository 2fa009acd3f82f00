"""Any git remote (``file://``, ``ssh://``, ``https://``) through the git CLI.

Works in a private bare repository with git's plumbing: nothing is checked out, so a team
repository of any size costs one fetch of the two branches, and the commit is built from the
branch's tree with only the delivered paths replaced. Pushes are plain (never forced): a
branch that moved since it was read rejects the push, and delivery stops.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from slo_scout.core.delivery import Change, PullRequestText
from slo_scout.core.delivery.changes import is_delivery_commit
from slo_scout.gitops.remote import (
    Author,
    BranchState,
    DeliveryRefused,
    Proposal,
    RemoteError,
)

_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """``https://user:secret@host`` -> ``https://***@host``, wherever it appears."""
    return _USERINFO.sub("***@", text)


class GitRemote:
    """A remote reached with the git CLI. Use as a context manager (its scratch folder goes)."""

    def __init__(self, url: str, *, git: str = "git") -> None:
        self.url = url
        self._git_binary = git
        self._scratch = tempfile.TemporaryDirectory(prefix="slo-scout-deliver-")
        self._dir = Path(self._scratch.name) / "repo.git"
        self._run("init", "--quiet", "--bare", str(self._dir), bare=False)

    def __enter__(self) -> GitRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self._scratch.cleanup()

    def _run(self, *args: str, text_in: str | None = None, env: dict[str, str] | None = None,
             bare: bool = True, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        full = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        if bare:
            full["GIT_DIR"] = str(self._dir)
        result = subprocess.run([self._git_binary, *args], input=text_in, capture_output=True,
                                text=True, env=full, check=False, timeout=300)
        if result.returncode not in ok:
            detail = redact((result.stderr or result.stdout).strip().splitlines()[-1:][0]
                            if (result.stderr or result.stdout).strip() else "no output")
            raise RemoteError(f"git {args[0]} failed for {redact(self.url)}: {detail}")
        return result

    def state(self, base: str, branch: str, prefix: str) -> BranchState:
        listed = self._run("ls-remote", "--heads", self.url, base, branch).stdout
        heads = {ref.removeprefix("refs/heads/"): sha for sha, ref in
                 (line.split("\t") for line in listed.splitlines() if "\t" in line)}
        if base not in heads:
            raise RemoteError(f"{redact(self.url)} has no branch '{base}' to deliver onto "
                              "(--base names it)")
        refs = [f"+refs/heads/{name}:refs/remotes/origin/{name}" for name in {base, branch}
                if name in heads]
        self._run("fetch", "--quiet", "--no-tags", self.url, *refs)
        state = BranchState(base_tip=heads[base], tip=heads.get(branch))
        if state.tip is not None:
            log = self._run("log", "--format=%H%x1f%an%x1f%B%x1e",
                            f"{state.base_tip}..{state.tip}").stdout
            for record in filter(str.strip, log.split("\x1e")):
                sha, author, message = record.strip().split("\x1f", 2)
                if not is_delivery_commit(message):
                    subject = message.strip().splitlines()[0] if message.strip() else ""
                    state.foreign.append(f"{sha[:12]} by {author}: {subject}")
        tree = self._run("ls-tree", "-r", state.ref, "--", prefix).stdout
        for line in tree.splitlines():
            meta, path = line.split("\t", 1)
            _, kind, sha = meta.split()
            if kind == "blob":
                state.held[path] = sha
        return state

    def file_at_branch(self, branch: str, path: str) -> str | None:
        fetched = self._run("fetch", "--quiet", "--no-tags", self.url,
                            f"+refs/heads/{branch}:refs/remotes/origin/{branch}", ok=(0, 128))
        if fetched.returncode != 0:
            return None  # no such branch: state() names the problem
        return self.read(f"refs/remotes/origin/{branch}", [path]).get(path)

    def read(self, ref: str, paths: Sequence[str]) -> dict[str, str]:
        out = {}
        for path in paths:
            shown = self._run("cat-file", "blob", f"{ref}:{path}", ok=(0, 128))
            if shown.returncode == 0:
                out[path] = shown.stdout
        return out

    def commit(self, state: BranchState, branch: str, changes: Sequence[Change], message: str,
               author: Author) -> str:
        index = Path(self._scratch.name) / "index"
        env = {"GIT_INDEX_FILE": str(index)}
        self._run("read-tree", state.ref, env=env)
        for change in changes:
            blob = self._run("hash-object", "-w", "--stdin", text_in=change.text).stdout.strip()
            self._run("update-index", "--add", "--cacheinfo", f"100644,{blob},{change.path}",
                      env=env)
        tree = self._run("write-tree", env=env).stdout.strip()
        who = {"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
               "GIT_COMMITTER_NAME": author.name, "GIT_COMMITTER_EMAIL": author.email}
        commit = self._run("commit-tree", tree, "-p", state.ref, text_in=message,
                           env=who).stdout.strip()
        pushed = self._run("push", "--quiet", self.url, f"{commit}:refs/heads/{branch}",
                           ok=(0, 1))
        if pushed.returncode != 0:
            raise DeliveryRefused(
                f"branch '{branch}' of {redact(self.url)} moved while delivering (someone "
                f"pushed to it); nothing was pushed: {redact(pushed.stderr.strip())}")
        return commit

    def propose(self, branch: str, base: str, text: PullRequestText, *, labels: Sequence[str],
                reviewers: Sequence[str], open_new: bool) -> Proposal | None:
        return None  # a plain git remote has no pull requests: the branch is the proposal
