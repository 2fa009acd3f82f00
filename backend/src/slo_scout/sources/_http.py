"""GET with bounded retries: 429 and 5xx and transport errors are tried again, after the
server's ``Retry-After`` when it gives one (capped), else exponential backoff."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from slo_scout.sources.errors import SourceError

RETRIED = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Retry:
    """``attempts`` tries in all; waits ``backoff_s`` x 2^n, or Retry-After, at most
    ``max_wait_s``."""

    attempts: int = 4
    backoff_s: float = 0.5
    max_wait_s: float = 30.0

    def wait(self, attempt: int, response: httpx.Response | None) -> float:
        told = _retry_after(response.headers.get("Retry-After")) if response is not None else None
        chosen = told if told is not None else self.backoff_s * (2 ** (attempt - 1))
        return max(0.0, min(chosen, self.max_wait_s))


DEFAULT_RETRY = Retry()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - datetime.now(UTC)).total_seconds()


Sleep = Callable[[float], Awaitable[None]]


async def get(
    client: httpx.AsyncClient,
    path: str,
    *,
    source: str,
    where: str,
    params: Mapping[str, Any] | None = None,
    retry: Retry = DEFAULT_RETRY,
    missing_ok: bool = False,
    sleep: Sleep = asyncio.sleep,
) -> httpx.Response | None:
    """The 200 answer to ``GET path``; ``None`` for a 404 when ``missing_ok``. Anything else,
    once the retries are spent, is a :class:`SourceError` naming the source, URL and status."""
    for attempt in range(1, retry.attempts + 1):
        response: httpx.Response | None = None
        try:
            response = await client.get(path, params=params)
        except httpx.HTTPError as error:
            if _untrusted(error):  # retrying will not make the certificate trusted
                raise SourceError(source, f"{where}{path}",
                                  "its TLS certificate is not trusted (a CA bundle to trust it, "
                                  "or skip verification in a lab)") from None
            if attempt == retry.attempts:
                raise SourceError(source, f"{where}{path}",
                                  f"unreachable ({type(error).__name__}) after "
                                  f"{attempt} attempts") from None
            await sleep(retry.wait(attempt, None))
            continue
        if response.status_code == 200:
            return response
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code not in RETRIED or attempt == retry.attempts:
            tried = f" after {attempt} attempts" if attempt > 1 else ""
            raise SourceError(source, f"{where}{path}",
                              f"HTTP {response.status_code}{tried}{_hint(response.status_code)}",
                              status=response.status_code)
        await sleep(retry.wait(attempt, response))
    raise AssertionError("unreachable")  # the loop returns or raises


def _untrusted(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _hint(status: int) -> str:
    if status == 401:
        return (" (credentials refused: the bearer token, user:password, or a tenant "
                "(X-Scope-OrgID) the server requires)")
    if status == 403:
        return " (forbidden: the credentials lack access, or the tenant is wrong)"
    if status == 400:
        return " (the query or a parameter was refused)"
    return ""


def json_of(response: httpx.Response, *, source: str, where: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SourceError(source, where, "did not answer JSON") from None
