"""Every request body within its limits before anything reads it: an ASGI middleware.

FastAPI reads a JSON body before it resolves a route's dependencies, so an anonymous caller could
make the API hold any body it sends before the 401. This middleware runs first: a declared
Content-Length over the route's limit is answered 413 at once, and the body is read through
:class:`~slo_scout.http_limits.GuardedReceive` (size, read deadline, the process's body budget)
whoever reads it. Ingest takes ``max_ingest_bytes``; every other route ``max_request_bytes``.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from slo_scout.api.problems import problem_response
from slo_scout.http_limits import BodyBudget, BodyRefused, GuardedReceive, declared_length
from slo_scout.settings import Settings

TITLES = {408: "Request Timeout", 413: "Payload Too Large", 503: "Service Unavailable"}
# Routes whose bodies are telemetry, not small JSON documents.
LARGE_BODY_PATHS = frozenset({"/api/v1/ingest/traces"})


class RefusedBody(StarletteHTTPException):
    """Raised from ``receive`` inside the application: FastAPI passes HTTP exceptions through
    its body parsing, and the problem handler answers it."""


def _headers(refused: BodyRefused) -> dict[str, str]:
    headers = {"connection": "close"}
    if refused.retry_after is not None:
        headers["retry-after"] = str(refused.retry_after)
    return headers


class BodyLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.budget = BodyBudget(settings.max_body_budget_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (self.settings.max_ingest_bytes if scope["path"] in LARGE_BODY_PATHS
                 else self.settings.max_request_bytes)
        declared = declared_length(scope["headers"])
        if declared is not None and declared > limit:
            refused = BodyRefused(413, f"a body of {declared} bytes is over this route's "
                                       f"{limit}-byte limit")
            await self._refuse(scope, receive, send, refused)
            return
        guarded = GuardedReceive(receive, limit=limit, timeout_s=self.settings.body_timeout_s,
                                 budget=self.budget)

        async def checked() -> Any:
            try:
                return await guarded()
            except BodyRefused as refused:
                raise RefusedBody(refused.status, f"{TITLES[refused.status]}: {refused.message}",
                                  headers=_headers(refused)) from None

        try:
            await self.app(scope, checked, send)
        finally:
            guarded.release()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send,
                      refused: BodyRefused) -> None:
        response = problem_response(refused.status, TITLES[refused.status], refused.message,
                                    instance=scope["path"], errors=None,
                                    headers=_headers(refused))
        await response(scope, receive, send)
