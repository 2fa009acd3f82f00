"""What every UI page shares: templates, the signed-in viewer, CSRF, and errors as pages.

Every page handler runs inside :class:`UiRoute`, which turns the control layer's refusals into
an HTML page with the same status the JSON API would answer (404, 403, 409, 422), and a
request without a session into a redirect to the sign-in page.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession  # handed to the control layer, never queried

from slo_scout.control.auth import browser_sessions
from slo_scout.control.auth.principal import Principal
from slo_scout.control.auth.service import Unauthenticated
from slo_scout.control.errors import (
    Conflict,
    ControlError,
    Forbidden,
    InvalidField,
    NotFound,
    NothingToRender,
    UpstreamFailed,
)
from slo_scout.settings import Settings

PREFIX = "/ui"
COOKIE = "slo_scout_session"
LOGIN_CSRF_COOKIE = "slo_scout_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
HTMX = "htmx-2.0.11.min.js"

# Scripts and styles only from this origin: no inline script, no inline style, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html", "svg"]), trim_blocks=True, lstrip_blocks=True,
    auto_reload=False, extensions=["jinja2.ext.do"],
)


def _pct(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1000
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms"


def _when(moment: datetime | None) -> str:
    return "–" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


templates.filters.update(
    pct=_pct, ms=_ms, when=_when, thousands=lambda n: f"{n:,}",
    epoch=lambda s: _when(datetime.fromtimestamp(s, UTC)))


@dataclass
class Viewer:
    """The signed-in person of one request, with the request's database session."""

    session: AsyncSession
    principal: Principal
    csrf_token: str
    now: datetime
    settings: Settings

    def can(self, team: str, role: str) -> bool:
        return self.principal.can(team, role)


class SignInRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


def now_of(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


async def _viewer(request: Request) -> AsyncIterator[Viewer]:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired
    async with request.app.state.sessions() as session:
        now = now_of(request)
        try:
            found = await browser_sessions.current(session, token, now)
        except Unauthenticated:
            await session.commit()  # the ended session's row is gone
            raise SignInRequired from None
        if request.method == "POST":
            form = await request.form()
            given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
            if not browser_sessions.csrf_matches(found.csrf_token,
                                                 given if isinstance(given, str) else None):
                raise CsrfRefused
        request.state.subject = found.principal.subject
        yield Viewer(session, found.principal, found.csrf_token, now,
                     request.app.state.settings)


ViewerDep = Annotated[Viewer, Depends(_viewer)]


# what a redirect after a form says it did (``?done=``); anything else says nothing
NOTICES = {"approved": "Approved.", "rejected": "Rejected.", "delivered": "Delivered.",
           "edited": "Your edit is a new version, proposed for review.",
           "revoked": "The key is revoked; its sessions have ended."}


def page(request: Request, template: str, status_code: int = 200, viewer: Viewer | None = None,
         **context: Any) -> HTMLResponse:
    context["notice"] = NOTICES.get(context.get("notice") or "")
    html = templates.get_template(template).render(
        request=request, me=viewer, prefix=PREFIX, htmx=HTMX,
        htmx_request=request.headers.get("HX-Request") == "true", **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def section(request: Request, viewer: Viewer, partial: str, title: str, back: str,
            back_name: str, **context: Any) -> HTMLResponse:
    """A section a page loads after it is shown (htmx swaps it in): the section alone for
    htmx, else a page around it, for a browser without script or a link followed."""
    if request.headers.get("HX-Request") == "true":
        return page(request, partial, viewer=viewer, **context)
    return page(request, "section.html", viewer=viewer, partial=partial, title=title,
                back=f"{PREFIX}{back}", back_name=back_name, **context)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}", status_code=303, headers=SECURITY_HEADERS)


# control refusal -> (status, title), as api/problems.py maps them for the JSON API
_REFUSALS: list[tuple[type[ControlError], int, str]] = [
    (NotFound, 404, "Not found"), (Forbidden, 403, "Your role does not allow this"),
    (Conflict, 409, "It changed since you read it"), (InvalidField, 422, "Not accepted"),
    (NothingToRender, 422, "Nothing to render"), (UpstreamFailed, 502, "The remote failed"),
    (ControlError, 422, "Not accepted"),
]


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "error.html", status_code=status, title=title, detail=detail)


def _sign_in(request: Request) -> Response:
    target = f"{PREFIX}/login?next={quote(request.url.path, safe='/')}"
    if request.headers.get("HX-Request") == "true":  # htmx follows this header, not a 303
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


class UiRoute(APIRoute):
    """Errors of UI pages as pages, never problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            started = time.perf_counter()
            response = await self._answer(handler, request)
            # the page's own time (session, control-layer reads, template), for `make bench`
            # and the browser's devtools; a number, nothing about the data
            response.headers["Server-Timing"] = (
                f"app;dur={(time.perf_counter() - started) * 1000:.1f}")
            return response

        return run

    @staticmethod
    async def _answer(handler: Callable[[Request], Coroutine[Any, Any, Response]],
                      request: Request) -> Response:
        try:
            return await handler(request)
        except SignInRequired:
            return _sign_in(request)
        except CsrfRefused:
            return error_page(request, 403, "Form refused",
                              "the form's CSRF token is missing or is not this session's; "
                              "reload the page and try again")
        except ControlError as error:
            status, title = next((s, t) for c, s, t in _REFUSALS if isinstance(error, c))
            return error_page(request, status, title, str(error.detail))
        except RequestValidationError as error:
            fields = ", ".join(sorted({str(e["loc"][-1]) for e in error.errors()}))
            status = 404 if any(e["loc"][0] == "path" for e in error.errors()) else 422
            return error_page(request, status, "Not found" if status == 404 else
                              "Not accepted", f"check these fields: {fields}")
