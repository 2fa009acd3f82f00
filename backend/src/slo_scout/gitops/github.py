"""GitHub (and GitHub Enterprise) through its REST API, with plain httpx.

The change is one commit made with the git data API: a tree on ``base_tree`` with only the
delivered paths, a commit on the branch's tip, and a fast-forward ref update (``force: false``:
GitHub answers 422 when the branch moved, and delivery stops). PyGithub would wrap the same
eight endpoints in an object model that hides the status codes this flow decides on, and its
retries and pagination, so httpx is simpler here.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from slo_scout.core.delivery import Change, PullRequestText
from slo_scout.core.delivery.changes import is_delivery_commit
from slo_scout.gitops.remote import (
    Author,
    BranchState,
    DeliveryRefused,
    Proposal,
    PullState,
    RemoteError,
    forge_call,
)

API_VERSION = "2022-11-28"


class GitHubRemote:
    def __init__(self, repository: str, token: str, *, api_url: str = "https://api.github.com",
                 client: httpx.Client | None = None) -> None:
        if repository.count("/") != 1:
            raise RemoteError(f"--github takes OWNER/REPO, not {repository!r}")
        self.repository = repository
        self.owner = repository.split("/")[0]
        self._client = client or httpx.Client(timeout=30)
        self._base = f"{api_url.rstrip('/')}/repos/{repository}"
        self._token = token
        self._headers = {"Authorization": f"Bearer {token}",
                         "Accept": "application/vnd.github+json",
                         "X-GitHub-Api-Version": API_VERSION}

    def __enter__(self) -> GitHubRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201),
              **kwargs: Any) -> httpx.Response:
        where = f"GitHub {self.repository}"
        return forge_call(self._client, where, self._token, method, self._base, path,
                          headers=self._headers, ok=ok, **kwargs)

    def pull_state(self, number: int) -> PullState:
        """The pull request's state now: GitHub's ``state`` is open or closed, and a closed one
        was merged when ``merged`` (or ``merged_at``) says so."""
        pull = self._call("GET", f"/pulls/{number}").json()
        if pull.get("merged") or pull.get("merged_at"):
            return "merged"
        return "open" if pull.get("state") == "open" else "closed"

    def _open_pulls(self, branch: str, base: str) -> list[dict[str, Any]]:
        return list(self._call("GET", "/pulls", params={
            "head": f"{self.owner}:{branch}", "base": base, "state": "open"}).json())

    def _ref(self, branch: str) -> str | None:
        response = self._call("GET", f"/git/ref/heads/{quote(branch)}", ok=(200, 404))
        return None if response.status_code == 404 else response.json()["object"]["sha"]

    def file_at_branch(self, branch: str, path: str) -> str | None:
        tip = self._ref(branch)
        return None if tip is None else self.read(tip, [path]).get(path)

    def state(self, base: str, branch: str, prefix: str) -> BranchState:
        base_tip = self._ref(base)
        if base_tip is None:
            raise RemoteError(f"GitHub {self.repository} has no branch '{base}' to deliver onto "
                              "(--base names it)")
        state = BranchState(base_tip=base_tip, tip=self._ref(branch))
        if state.tip is not None:
            compare = self._call("GET", f"/compare/{base_tip}...{state.tip}").json()
            for commit in compare.get("commits", []):
                message = commit["commit"]["message"]
                if not is_delivery_commit(message):
                    author = (commit["commit"].get("author") or {}).get("name", "someone")
                    state.foreign.append(
                        f"{commit['sha'][:12]} by {author}: {message.splitlines()[0]}")
        tree = self._tree(state.ref)
        state.held = {item["path"]: item["sha"] for item in tree
                      if item["type"] == "blob" and item["path"].startswith(prefix + "/")}
        return state

    def _tree(self, commit: str) -> list[dict[str, Any]]:
        tree_sha = self._call("GET", f"/git/commits/{commit}").json()["tree"]["sha"]
        body = self._call("GET", f"/git/trees/{tree_sha}", params={"recursive": "1"}).json()
        if body.get("truncated"):
            raise RemoteError(f"GitHub {self.repository}: the tree of {commit[:12]} is too "
                              "large to list in one call; deliver with the git remote (--repo)")
        return list(body["tree"])

    def read(self, ref: str, paths: Sequence[str]) -> dict[str, str]:
        out = {}
        for path in paths:
            response = self._call("GET", f"/contents/{quote(path)}", params={"ref": ref},
                                  ok=(200, 404))
            if response.status_code == 200:
                out[path] = base64.b64decode(response.json()["content"]).decode()
        return out

    def commit(self, state: BranchState, branch: str, changes: Sequence[Change], message: str,
               author: Author) -> str:
        base_tree = self._call("GET", f"/git/commits/{state.ref}").json()["tree"]["sha"]
        tree = self._call("POST", "/git/trees", json={
            "base_tree": base_tree,
            "tree": [{"path": c.path, "mode": "100644", "type": "blob", "content": c.text}
                     for c in changes]}).json()["sha"]
        who = {"name": author.name, "email": author.email}
        commit = self._call("POST", "/git/commits", json={
            "message": message, "tree": tree, "parents": [state.ref], "author": who,
            "committer": who}).json()["sha"]
        if state.tip is None:
            created = self._call("POST", "/git/refs", ok=(201, 422),
                                 json={"ref": f"refs/heads/{branch}", "sha": commit})
            moved = created.status_code == 422
        else:
            updated = self._call("PATCH", f"/git/refs/heads/{quote(branch)}", ok=(200, 422),
                                 json={"sha": commit, "force": False})
            moved = updated.status_code == 422
        if moved:
            raise DeliveryRefused(f"branch '{branch}' of GitHub {self.repository} moved while "
                                  "delivering (someone pushed to it); nothing was pushed")
        return str(commit)

    def propose(self, branch: str, base: str, text: PullRequestText, *, labels: Sequence[str],
                reviewers: Sequence[str], open_new: bool) -> Proposal | None:
        found = self._open_pulls(branch, base)
        if found:
            pull = found[0]
            if pull.get("body") == text.body and pull.get("title") == text.title:
                return Proposal(pull["html_url"], pull["number"], "unchanged")
            self._call("PATCH", f"/pulls/{pull['number']}",
                       json={"title": text.title, "body": text.body})
            return Proposal(pull["html_url"], pull["number"], "updated")
        if not open_new:
            return None
        created = self._call("POST", "/pulls", ok=(201, 422), json={
            "title": text.title, "head": branch, "base": base, "body": text.body})
        if created.status_code == 422:  # opened meanwhile by a concurrent delivery: update it
            return self.propose(branch, base, text, labels=labels, reviewers=reviewers,
                                open_new=False)
        pull = created.json()
        if labels:
            self._call("POST", f"/issues/{pull['number']}/labels", json={"labels": list(labels)})
        if reviewers:
            self._call("POST", f"/pulls/{pull['number']}/requested_reviewers",
                       json={"reviewers": list(reviewers)})
        return Proposal(pull["html_url"], pull["number"], "opened")

