"""FastAPI dependencies: the request's session, settings, clock and caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.api.problems import Problem
from slo_scout.control.auth import service as auth
from slo_scout.control.auth.oidc import KeySetUnavailable
from slo_scout.control.auth.principal import Principal
from slo_scout.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An API key (ssk_...) or an OIDC JWT")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (ssk_...)")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


# Dependencies are ``async`` even when they never await: FastAPI runs a plain ``def`` dependency
# in a worker thread, a hand-off that costs more than the work on every request.


async def single_query_values(request: Request) -> None:
    """No query parameter of this API is a list: a repeated one is an error, not 'last wins'."""
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise Problem(422, "Invalid Request", f"give each of these once: {', '.join(repeated)}",
                      errors=[{"field": k, "message": "given more than once"} for k in repeated])


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_now(request: Request) -> datetime:
    return request.app.state.clock() if hasattr(request.app.state, "clock") else datetime.now(UTC)


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


async def get_principal(
    request: Request,
    session: Annotated[AsyncSession, Depends(get_session)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    credential = api_key or (bearer.credentials if bearer else None)
    if not credential:
        raise _unauthorized("send an API key (X-API-Key or Authorization: Bearer) or an OIDC JWT")
    settings: Settings = request.app.state.settings
    try:
        if credential.startswith("ssk_"):
            principal = await auth.principal_for_key(
                session, credential, request.app.state.principals
            )
        else:
            principal = await auth.principal_for_token(
                session, request.app.state.oidc, credential, settings.auth.oidc_roles_claim
            )
    except auth.Unauthenticated as error:
        raise _unauthorized(str(error)) from None
    except KeySetUnavailable:
        raise Problem(503, "Service Unavailable", "the identity provider's key set could not "
                      "be fetched; try again shortly", headers={"Retry-After": "5"}) from None
    request.state.subject = principal.subject
    return principal


SessionDep = Annotated[AsyncSession, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
NowDep = Annotated[datetime, Depends(get_now)]
# Row ids are 32-bit: larger numbers are a 422 naming the field, not a driver overflow.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="row id")]
