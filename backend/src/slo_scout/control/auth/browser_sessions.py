"""Browser sessions: an API key typed once into the review UI, a session token afterwards.

The token travels in an HttpOnly cookie; only its SHA-256 is stored, beside the key it was
opened with, the CSRF token every form of the session carries, and the expiry. Each request
re-reads the key, so a revoked key ends its sessions at once, in every process. Never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth import browser_repository, repository
from slo_scout.control.auth.principal import Principal
from slo_scout.control.auth.service import Unauthenticated, principal_for_key
from slo_scout.db.models import UiSession


@dataclass(frozen=True)
class Opened:
    token: str  # for the cookie; never stored
    csrf_token: str
    principal: Principal


@dataclass(frozen=True)
class Current:
    principal: Principal
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession, api_key: str, now: datetime, lifetime: timedelta
) -> Opened:
    """A new session for ``api_key`` (Unauthenticated when it is unknown or revoked)."""
    principal = await principal_for_key(session, api_key.strip())
    assert principal.key_id is not None  # an API key's principal always names its key
    await browser_repository.remove_expired(session, now)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await browser_repository.add(session, UiSession(
        token_hash=_digest(token), key_id=principal.key_id, csrf_token=csrf, created_at=now,
        expires_at=now + lifetime))
    return Opened(token, csrf, principal)


async def open_oidc_session(
    session: AsyncSession, principal: Principal, now: datetime, expires_at: datetime
) -> Opened:
    """A new session for an OIDC user whose id token was verified: its subject and grants are
    kept with the session, which ends at ``expires_at`` (no later than the id token)."""
    await browser_repository.remove_expired(session, now)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await browser_repository.add(session, UiSession(
        token_hash=_digest(token), key_id=None, subject=principal.subject,
        grants=dict(principal.grants), csrf_token=csrf, created_at=now, expires_at=expires_at))
    return Opened(token, csrf, principal)


async def current(session: AsyncSession, token: str, now: datetime) -> Current:
    """The session's principal, read afresh: Unauthenticated when the session is unknown,
    expired, or its key was revoked since."""
    found = await browser_repository.with_key(session, _digest(token))
    if found is None:
        raise Unauthenticated("the session is unknown or has ended; sign in again")
    row, key = found
    if row.expires_at <= now or (key is not None and key.revoked_at is not None):
        await browser_repository.remove(session, row.token_hash)
        raise Unauthenticated("the session has expired or its API key was revoked; "
                              "sign in again")
    if key is None:  # an OIDC sign-in: what its id token granted, until it expires
        principal = Principal(row.subject or "oidc:unknown", dict(row.grants or {}))
    else:
        principal = Principal(key.subject, await repository.grants_of_key(session, key.id),
                              key_id=key.id)
    return Current(principal, row.csrf_token, row.expires_at)


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


async def close_session(session: AsyncSession, token: str) -> None:
    await browser_repository.remove(session, _digest(token))
