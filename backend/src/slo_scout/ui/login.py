"""Sign in with an API key (a server-side session in an HttpOnly cookie), sign out, assets.

The sign-in form has no session yet, so its CSRF token is a double submit: a random value in
a SameSite=Strict cookie and in the form, which must agree.
"""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from slo_scout.control.auth import browser_sessions, oidc_login
from slo_scout.control.auth import service as auth
from slo_scout.control.auth.oidc import KeySetUnavailable
from slo_scout.control.auth.service import Unauthenticated
from slo_scout.ui.web import (
    COOKIE,
    HTMX,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    SECURITY_HEADERS,
    UiRoute,
    ViewerDep,
    error_page,
    now_of,
    page,
)

router = APIRouter(route_class=UiRoute)
SESSION_LIFETIME = timedelta(hours=8)
_STATIC = Path(__file__).with_name("static")
_ASSETS = {"ui.css": "text/css; charset=utf-8", HTMX: "text/javascript; charset=utf-8"}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    """Only a path of this UI: never an open redirect to another site."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and \
            "\\" not in target:
        return target
    return f"{PREFIX}/journeys"


def _login_page(request: Request, status: int = 200, error: str | None = None,
                target: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", status_code=status, error=error, login_csrf=token,
                    oidc=oidc_login.configured(request.app.state.settings.auth),
                    next=_safe_next(target or request.query_params.get("next")),
                    hours=int(SESSION_LIFETIME.total_seconds() // 3600))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=_secure(request), path=PREFIX)
    return response


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/journeys", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, api_key: Annotated[str, Form(max_length=500)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if expected is None or not browser_sessions.csrf_matches(expected, csrf_token):
        return error_page(request, 403, "Form refused", "the sign-in form's CSRF token does "
                          "not match; reload the sign-in page and try again")
    async with request.app.state.sessions() as session:
        try:
            opened = await browser_sessions.open_session(session, api_key, now_of(request),
                                                         SESSION_LIFETIME)
        except Unauthenticated:
            return _login_page(request, 401, "That API key is unknown or revoked.", next)
        await session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(COOKIE, opened.token, httponly=True, samesite="strict",
                        secure=_secure(request), path=PREFIX,
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request, me: ViewerDep) -> Response:
    await browser_sessions.close_session(me.session, request.cookies[COOKIE])
    await me.session.commit()
    response = RedirectResponse(f"{PREFIX}/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict",
                           secure=_secure(request))
    return response


OIDC_COOKIE = "slo_scout_oidc"


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/login/oidc")
async def oidc_start(request: Request, next: str = "") -> Response:
    """Sends the browser to the identity provider, keeping the sign-in's state, nonce and PKCE
    verifier in a short-lived HttpOnly cookie for the callback. SameSite=Lax: the provider's
    redirect back is a cross-site navigation, which a Strict cookie would not come with."""
    settings = request.app.state.settings.auth
    if not oidc_login.configured(settings):
        return error_page(request, 404, "Not found", "OIDC sign-in is not configured here; "
                          "sign in with an API key")
    started = oidc_login.begin(settings, _callback_url(request))
    response = RedirectResponse(started.url, status_code=303)
    kept = ".".join((started.state, started.nonce, started.verifier, _safe_next(next)))
    response.set_cookie(OIDC_COOKIE, kept, httponly=True, samesite="lax",
                        secure=_secure(request), path=f"{PREFIX}/login/oidc", max_age=600)
    return response


@router.get("/login/oidc/callback", name="oidc_callback", response_class=HTMLResponse)
async def oidc_callback(request: Request, code: str = "", state: str = "") -> Response:
    settings = request.app.state.settings.auth
    kept = (request.cookies.get(OIDC_COOKIE) or "").split(".", 3)
    if len(kept) != 4 or not browser_sessions.csrf_matches(kept[0], state):
        return _login_page(request, 403, "This sign-in was not started here, or took more "
                           "than ten minutes (state); sign in again.")
    if not code:  # the provider said no (error=...): its words are not repeated here
        return _login_page(request, 401, "The identity provider did not sign you in.")
    async with request.app.state.sessions() as session:
        try:
            claims = await oidc_login.finish(
                settings, request.app.state.oidc, code=code, code_verifier=kept[2],
                redirect_uri=_callback_url(request), nonce=kept[1])
            principal = await auth.principal_for_claims(session, claims,
                                                        settings.oidc_roles_claim)
        except Unauthenticated as error:
            return _login_page(request, 401, str(error))
        except KeySetUnavailable:
            return _login_page(request, 503, "The identity provider's key set could not be "
                               "fetched; try again shortly.")
        now = now_of(request)
        ends = min(now + SESSION_LIFETIME, datetime.fromtimestamp(int(claims["exp"]), UTC))
        opened = await browser_sessions.open_oidc_session(session, principal, now, ends)
        await session.commit()
    # A page that moves on by itself, not a redirect: a redirect still belongs to the
    # provider's cross-site navigation, and the SameSite=Strict cookie would not be sent.
    response = page(request, "signed_in.html", target=_safe_next(kept[3]))
    response.set_cookie(COOKIE, opened.token, httponly=True, samesite="strict",
                        secure=_secure(request), path=PREFIX,
                        max_age=max(1, int((ends - now).total_seconds())))
    response.delete_cookie(OIDC_COOKIE, path=f"{PREFIX}/login/oidc")
    return response


@functools.cache
def _asset(name: str) -> bytes:
    return (_STATIC / name).read_bytes()


@router.get("/static/{name}", include_in_schema=False)
async def static(request: Request, name: str) -> Response:
    media = _ASSETS.get(name)
    if media is None:  # only the files listed: no path from the URL reaches the disk
        return error_page(request, 404, "Not found", f"no asset named {name}")
    return Response(_asset(name), media_type=media,
                    headers={"Cache-Control": "public, max-age=86400",
                             "X-Content-Type-Options": "nosniff"})
