"""The one contract every remote keeps (git CLI, GitHub, GitLab), and what they answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from slo_scout.core.delivery import Change, PullRequestText
from slo_scout.core.errors import SloScoutError


class DeliveryRefused(SloScoutError):
    """Delivery stopped before anything of the team's could be overwritten."""

    hint = "nothing was force-pushed; resolve it in the repository and deliver again"


class RemoteError(SloScoutError):
    """The remote failed or refused a request: names it, never a token."""

    hint = "check the URL, the token's permissions and the remote's status"


@dataclass(slots=True)
class BranchState:
    base_tip: str
    tip: str | None  # the delivery branch's tip; None when the branch does not exist
    held: dict[str, str] = field(default_factory=dict)  # path -> blob id under the prefix
    foreign: list[str] = field(default_factory=list)  # commits on the branch no delivery made

    @property
    def ref(self) -> str:
        return self.tip or self.base_tip


@dataclass(frozen=True, slots=True)
class Proposal:
    url: str
    number: int
    action: str  # "opened", "updated", "unchanged"


PullState = Literal["open", "merged", "closed"]


@dataclass(frozen=True, slots=True)
class Author:
    name: str = "SLO Scout"
    email: str = "slo-scout@users.noreply.localhost"


class Remote(Protocol):
    def state(self, base: str, branch: str, prefix: str) -> BranchState:
        """The base's tip, the branch's (if any), the blob ids under ``prefix`` at the branch
        (else the base), and the branch's commits that are not deliveries."""

    def file_at_branch(self, branch: str, path: str) -> str | None:
        """The text of ``path`` at the tip of ``branch``; None when it has no such file."""

    def read(self, ref: str, paths: Sequence[str]) -> dict[str, str]:
        """Texts of those of ``paths`` that exist at ``ref``."""

    def commit(self, state: BranchState, branch: str, changes: Sequence[Change], message: str,
               author: Author) -> str:
        """One commit on ``branch`` (created from the base when absent) with ``changes``; a
        fast-forward only: raises DeliveryRefused when the branch moved meanwhile."""

    def propose(self, branch: str, base: str, text: PullRequestText, *, labels: Sequence[str],
                reviewers: Sequence[str], open_new: bool) -> Proposal | None:
        """Opens the pull request (``open_new``) or updates the open one's body; None where the
        remote has no pull requests (plain git) or none is open and ``open_new`` is false."""


def upstream_message(response: httpx.Response, token: str) -> str:
    """A forge's short ``message`` (GitHub's and GitLab's error bodies), the token removed;
    never the rest of an upstream body, which a proxy may fill with the request's headers."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = str(body.get("message", ""))[:200] if isinstance(body, dict) else ""
    return message.replace(token, "***")


def forge_call(client: httpx.Client, where: str, token: str, method: str, url: str, path: str,
               *, headers: dict[str, str], ok: tuple[int, ...] = (200, 201),
               **kwargs: Any) -> httpx.Response:
    """One REST call to a forge (``where``: "GitHub owner/repo"), its failure a
    :class:`RemoteError` with the status and the forge's short message; never the request,
    which carries the token."""
    try:
        response = client.request(method, url + path, headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        raise RemoteError(f"{where}: {method} {path}: {type(exc).__name__}") from exc
    if response.status_code not in ok:
        message = upstream_message(response, token)
        raise RemoteError(f"{where}: {method} {path} answered "
                          f"{response.status_code}{': ' + message if message else ''}")
    return response
