"""GitLab (gitlab.com or self-hosted) through its REST API (v4), with plain httpx.

The change is one commit through the commits API with one action per file (``create`` or
``update``, each update carrying the file's last commit id as read, so a file someone changed
meanwhile fails the commit instead of being overwritten); the merge request is opened or its
description updated. python-gitlab would add an object layer over the same five endpoints
without the per-status decisions this flow makes, so httpx is simpler here.
"""

from __future__ import annotations

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
    upstream_message,
)

PAGE = 100


class GitLabRemote:
    def __init__(self, project: str, token: str, *, url: str = "https://gitlab.com",
                 client: httpx.Client | None = None) -> None:
        self.project = project
        self._client = client or httpx.Client(timeout=30)
        self._base = f"{url.rstrip('/')}/api/v4/projects/{quote(project, safe='')}"
        self._token = token
        self._headers = {"PRIVATE-TOKEN": token}

    def __enter__(self) -> GitLabRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201),
              **kwargs: Any) -> httpx.Response:
        where = f"GitLab {self.project}"
        return forge_call(self._client, where, self._token, method, self._base, path,
                          headers=self._headers, ok=ok, **kwargs)

    def pull_state(self, number: int) -> PullState:
        """The merge request's state now: GitLab's opened (or locked, an open one mid-update),
        merged or closed."""
        state = self._call("GET", f"/merge_requests/{number}").json().get("state")
        if state == "merged":
            return "merged"
        return "closed" if state == "closed" else "open"

    def _tip(self, branch: str) -> str | None:
        response = self._call("GET", f"/repository/branches/{quote(branch, safe='')}",
                              ok=(200, 404))
        return None if response.status_code == 404 else response.json()["commit"]["id"]

    def file_at_branch(self, branch: str, path: str) -> str | None:
        return self.read(branch, [path]).get(path)

    def state(self, base: str, branch: str, prefix: str) -> BranchState:
        base_tip = self._tip(base)
        if base_tip is None:
            raise RemoteError(f"GitLab {self.project} has no branch '{base}' to deliver onto "
                              "(--base names it)")
        state = BranchState(base_tip=base_tip, tip=self._tip(branch))
        if state.tip is not None:
            compare = self._call("GET", "/repository/compare",
                                 params={"from": base_tip, "to": state.tip}).json()
            for commit in compare.get("commits", []):
                if not is_delivery_commit(commit.get("message", "")):
                    state.foreign.append(f"{commit['id'][:12]} by "
                                         f"{commit.get('author_name', 'someone')}: "
                                         f"{commit.get('title', '')}")
        state.held = {item["path"]: item["id"] for item in self._tree(state.ref, prefix)
                      if item["type"] == "blob"}
        return state

    def _tree(self, ref: str, prefix: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page: str | None = "1"
        while page:
            response = self._call("GET", "/repository/tree", ok=(200, 404), params={
                "ref": ref, "path": prefix, "recursive": "true", "per_page": PAGE, "page": page})
            if response.status_code == 404:  # the prefix is not there yet
                return items
            items.extend(response.json())
            page = response.headers.get("X-Next-Page") or None
        return items

    def read(self, ref: str, paths: Sequence[str]) -> dict[str, str]:
        out = {}
        for path in paths:
            response = self._call("GET", f"/repository/files/{quote(path, safe='')}/raw",
                                  params={"ref": ref}, ok=(200, 404))
            if response.status_code == 200:
                out[path] = response.text
        return out

    def commit(self, state: BranchState, branch: str, changes: Sequence[Change], message: str,
               author: Author) -> str:
        actions = []
        for change in changes:
            action: dict[str, Any] = {"action": "update" if change.exists else "create",
                                      "file_path": change.path, "content": change.text}
            if change.exists and state.tip is not None:
                # The file's last commit as of the tip this delivery read: GitLab refuses the
                # update when the file changed after it, so an edit made meanwhile on the
                # branch is never overwritten.
                action["last_commit_id"] = self._last_commit(state.tip, change.path)
            actions.append(action)
        body: dict[str, Any] = {"branch": branch, "commit_message": message,
                                "author_name": author.name, "author_email": author.email,
                                "actions": actions}
        if state.tip is None:
            body["start_sha"] = state.base_tip
        response = self._call("POST", "/repository/commits", json=body, ok=(201, 400, 409))
        if response.status_code != 201:
            message_ = upstream_message(response, self._token)
            raise DeliveryRefused(f"GitLab {self.project} refused the commit to '{branch}' "
                                  f"({message_[:200]}): a file or the branch changed while "
                                  "delivering; nothing was committed")
        return str(response.json()["id"])

    def _last_commit(self, ref: str, path: str) -> str:
        found = self._call("GET", "/repository/commits", params={
            "ref_name": ref, "path": path, "per_page": 1}).json()
        return str(found[0]["id"]) if found else ""

    def propose(self, branch: str, base: str, text: PullRequestText, *, labels: Sequence[str],
                reviewers: Sequence[str], open_new: bool) -> Proposal | None:
        found = self._call("GET", "/merge_requests", params={
            "source_branch": branch, "target_branch": base, "state": "opened"}).json()
        if found:
            request = found[0]
            if request.get("description") == text.body and request.get("title") == text.title:
                return Proposal(request["web_url"], request["iid"], "unchanged")
            self._call("PUT", f"/merge_requests/{request['iid']}",
                       json={"title": text.title, "description": text.body})
            return Proposal(request["web_url"], request["iid"], "updated")
        if not open_new:
            return None
        body: dict[str, Any] = {"source_branch": branch, "target_branch": base,
                                "title": text.title, "description": text.body,
                                "labels": ",".join(labels)}
        if reviewers:
            body["reviewer_ids"] = [self._user_id(name) for name in reviewers]
        created = self._call("POST", "/merge_requests", json=body, ok=(201, 409))
        if created.status_code == 409:  # opened meanwhile by a concurrent delivery: update it
            return self.propose(branch, base, text, labels=labels, reviewers=reviewers,
                                open_new=False)
        request = created.json()
        return Proposal(request["web_url"], request["iid"], "opened")

    def _user_id(self, username: str) -> int:
        root = self._base.split("/projects/")[0]
        response = self._client.get(f"{root}/users", params={"username": username},
                                    headers=self._headers)
        users = response.json() if response.status_code == 200 else []
        if not users:
            raise RemoteError(f"GitLab has no user '{username}' to ask for review")
        return int(users[0]["id"])
