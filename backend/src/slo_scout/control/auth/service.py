"""Authentication (API key or OIDC JWT) to a Principal, and API key issuing. Never commits."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.audit import repository as audit
from slo_scout.control.auth import keys, repository
from slo_scout.control.auth.cache import PrincipalCache
from slo_scout.control.auth.guard import require
from slo_scout.control.auth.oidc import InvalidToken, OidcVerifier
from slo_scout.control.auth.principal import ALL_TEAMS, ROLES, Principal
from slo_scout.control.errors import Forbidden, NotFound
from slo_scout.db.models import ApiKey

BOOTSTRAP_SUBJECT = "key:bootstrap-admin"


class Unauthenticated(Exception):
    pass


async def principal_for_key(
    session: AsyncSession, key: str, cache: PrincipalCache | None = None
) -> Principal:
    digest = keys.hash_key(key)
    if cache is not None and (known := cache.get(digest)) is not None:
        return known
    generation = cache.generation if cache is not None else 0
    prefix = keys.prefix_of(key)
    stored = await repository.key_by_prefix(session, prefix) if prefix else None
    if stored is None or stored.revoked_at is not None or not hmac.compare_digest(
            digest, stored.secret_hash):
        raise Unauthenticated("the API key is unknown or revoked")
    principal = Principal(stored.subject, await repository.grants_of_key(session, stored.id),
                          key_id=stored.id)
    if cache is not None:
        cache.put(digest, principal, generation)
    return principal


async def principal_for_token(
    session: AsyncSession, verifier: OidcVerifier, token: str, roles_claim: str
) -> Principal:
    try:
        claims = await verifier.verify(token)
    except InvalidToken as error:
        raise Unauthenticated(str(error)) from error
    return await principal_for_claims(session, claims, roles_claim)


async def principal_for_claims(
    session: AsyncSession, claims: dict[str, Any], roles_claim: str
) -> Principal:
    """An OIDC user's principal from verified claims: role bindings and the roles claim."""
    subject = f"oidc:{claims['sub']}"
    grants = await repository.grants_of(session, subject)
    for grant in _claimed_roles(claims.get(roles_claim)):
        team, role = grant
        if role in ROLES and (team not in grants or ROLES.index(role) > ROLES.index(grants[team])):
            grants[team] = role
    return Principal(subject, grants)


def _claimed_roles(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, str) and ":" in item:
            team, role = item.rsplit(":", 1)
            out.append((team, role))
    return out


async def issue_key(
    session: AsyncSession, principal: Principal, *, subject: str, name: str, team: str,
    role: str, now: datetime,
) -> tuple[str, ApiKey]:
    """A new key acting as ``key:<subject>`` with ``role`` in ``team`` (and nothing else),
    issued by an admin of that team. A subject that exists already (it authored changes, other
    people know it) may only be given a new key by an admin of every team it has a role in, so
    nobody takes over a name they could not have created. Returns (the key, shown once; its
    stored row)."""
    require(principal, team, "admin")
    subject = f"key:{subject}"
    if subject == BOOTSTRAP_SUBJECT:  # the global admin's name, even before its key exists
        require(principal, ALL_TEAMS, "admin")
    short = sorted(t for t in await repository.teams_of_subject(session, subject)
                   if not principal.can(t, "admin"))
    if short:
        raise Forbidden(f"{subject} has roles in teams you do not administer ({', '.join(short)})"
                        "; issue a key for another subject, or ask an admin of those teams")
    return await _add_key(session, subject=subject, name=name, team=team, role=role, now=now,
                          actor=principal.subject, issued_by=principal.key_id)


async def issue_operator_key(
    session: AsyncSession, *, subject: str, name: str, team: str, role: str, now: datetime,
    operator: str,
) -> tuple[str, ApiKey]:
    """A key made by whoever holds the database (``slo-scout keys create``): how the first
    admin gets in. No principal: access to the database is the authority."""
    return await _add_key(session, subject=f"key:{subject}", name=name, team=team, role=role,
                          now=now, actor=operator, issued_by=None)


async def _add_key(
    session: AsyncSession, *, subject: str, name: str, team: str, role: str, now: datetime,
    actor: str, issued_by: int | None,
) -> tuple[str, ApiKey]:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    key, prefix, digest = keys.new_key()
    stored = await repository.add_key(
        session,
        ApiKey(prefix=prefix, secret_hash=digest, subject=subject, name=name, created_by=actor,
               created_at=now, issued_by_key_id=issued_by),
    )
    await repository.grant_key(session, stored.id, team, role)
    await audit.record(
        session, actor=actor, action="api_key.create", target_type="api_key",
        target_id=prefix, team=_audit_team(team), at=now,
        details={"subject": subject, "name": name, "team": team, "role": role},
    )
    return key, stored


def _audit_team(team: str) -> str | None:
    """Entries about every team belong to no one team: only admins of every team read them."""
    return None if team == ALL_TEAMS else team


async def has_keys(session: AsyncSession) -> bool:
    return await repository.count_keys(session) > 0


async def ensure_bootstrap_key(session: AsyncSession, key: str, now: datetime) -> None:
    """The configured bootstrap key exists as an admin of every team (idempotent)."""
    prefix = keys.prefix_of(key)
    if prefix is None:
        raise ValueError("SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY must look like ssk_<prefix>_<secret>")
    found = await repository.key_by_prefix(session, prefix)
    if found is not None:
        if found.created_by == "settings" and not await repository.grants_of_key(
                session, found.id):
            await repository.grant_key(session, found.id, ALL_TEAMS, "admin")
        return
    stored = await repository.add_key(
        session,
        ApiKey(prefix=prefix, secret_hash=keys.hash_key(key), subject=BOOTSTRAP_SUBJECT,
               name="bootstrap admin", created_by="settings", created_at=now),
    )
    await repository.grant_key(session, stored.id, ALL_TEAMS, "admin")
    await audit.record(
        session, actor="settings", action="api_key.bootstrap", target_type="api_key",
        target_id=prefix, team=None, at=now, details={"subject": BOOTSTRAP_SUBJECT},
    )


async def revoke_key(
    session: AsyncSession, principal: Principal, prefix: str, now: datetime
) -> ApiKey:
    """Revokes a key. The key itself may revoke it (not another key of the same subject: a
    name can be shared); otherwise revoking needs the admin role in every team the key holds a
    role in. Audited once per such team, so each team's admins read it."""
    stored = await repository.key_by_prefix(session, prefix)
    if stored is None:
        raise NotFound(f"API key '{prefix}'")
    teams = sorted(await repository.grants_of_key(session, stored.id)) or [ALL_TEAMS]
    if stored.id != principal.key_id:
        short = [t for t in teams if not principal.can(t, "admin")]
        if short:
            raise Forbidden(f"revoking this key needs the admin role in: {', '.join(short)}")
    if stored.revoked_at is None:
        stored.revoked_at = now
        await session.flush()
        for team in teams:
            await audit.record(
                session, actor=principal.subject, action="api_key.revoke",
                target_type="api_key", target_id=prefix, team=_audit_team(team), at=now,
                details={"subject": stored.subject, "name": stored.name},
            )
    return stored
