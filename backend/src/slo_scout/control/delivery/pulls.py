"""The live state of the pull (merge) requests a bundle's deliveries opened or updated: open,
merged or closed, asked of the forge now (a delivery records what it did, not what became of
the pull request since). Never commits; reads only.

Only ``github:`` and ``gitlab:`` deliveries have one (a plain git remote has no pull requests).
The forge is asked with the configured token and URL, each pull request once, with a short
timeout: the page waits on it. A forge that cannot be asked (no token, unreachable, refusing)
gives a sentence in place of the state, never the token.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth.principal import Principal
from slo_scout.control.delivery.service import deliveries
from slo_scout.gitops.git_remote import redact
from slo_scout.gitops.github import GitHubRemote
from slo_scout.gitops.gitlab import GitLabRemote
from slo_scout.gitops.remote import PullState, RemoteError
from slo_scout.settings import DeliverySettings

TIMEOUT_S = 5.0
FORGES = {"github": "GitHub", "gitlab": "GitLab"}


@dataclass(frozen=True, slots=True)
class PullRequestState:
    target: str  # "github:acme/slos"
    number: int
    url: str
    state: PullState | None  # None: the forge could not be asked
    problem: str | None  # why not, in words


def _ask(target: str, number: int, settings: DeliverySettings
         ) -> tuple[PullState | None, str | None]:
    """(the state, None), or (None, the sentence saying why the forge could not be asked)."""
    forge, name = target.split(":", 1)
    token = settings.github_token if forge == "github" else settings.gitlab_token
    if token is None:
        return None, (f"{FORGES[forge]} cannot be asked for its state: "
                      f"SLO_SCOUT_DELIVERY__{forge.upper()}_TOKEN is not set.")
    client = httpx.Client(timeout=TIMEOUT_S)
    remote = (GitHubRemote(name, token.get_secret_value(), api_url=settings.github_api_url,
                           client=client) if forge == "github" else
              GitLabRemote(name, token.get_secret_value(), url=settings.gitlab_url,
                           client=client))
    try:
        with remote:
            return remote.pull_state(number), None
    except RemoteError as exc:  # its message names the request, never the token
        return None, f"{FORGES[forge]} could not be asked for its state: {redact(exc.message)}."


def _ask_all(asked: list[tuple[str, int]], settings: DeliverySettings
             ) -> dict[tuple[str, int], tuple[PullState | None, str | None]]:
    return {key: _ask(*key, settings) for key in asked}


async def pull_request_states(session: AsyncSession, principal: Principal, bundle_id: int,
                              settings: DeliverySettings) -> list[PullRequestState]:
    """Each distinct pull request of the bundle's forge deliveries, newest delivery's first."""
    urls: dict[tuple[str, int], str] = {}
    for row in await deliveries(session, principal, bundle_id):
        forge = row.target.split(":", 1)[0]
        if forge in FORGES and row.pull_request_number is not None and row.pull_request_url:
            urls.setdefault((row.target, row.pull_request_number), row.pull_request_url)
    if not urls:
        return []
    # blocking HTTP of up to seconds: in a thread, as delivery itself runs
    found = await asyncio.to_thread(_ask_all, list(urls), settings)
    return [PullRequestState(target, number, urls[target, number], state, problem)
            for (target, number), (state, problem) in found.items()]
