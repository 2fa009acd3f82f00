"""Every error as application/problem+json (RFC 9457), mapped in one table.

Messages say what to fix; validation problems list each offending field. Nothing from a
request's credentials or the settings' secrets is ever echoed back.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from slo_scout.api.versions import etag
from slo_scout.control.errors import (
    Conflict,
    ControlError,
    Forbidden,
    InvalidField,
    NotFound,
    NothingToRender,
    UpstreamFailed,
)
from slo_scout.core.errors import (
    DecodeError,
    InflationLimitError,
    InsufficientDataError,
    SloScoutError,
    SpecError,
)

PROBLEM = "application/problem+json"


class Problem(Exception):
    def __init__(
        self, status: int, title: str, detail: str, *, errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None, extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.extensions = extensions
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers


class ProblemOut(BaseModel):
    """The body of every error (RFC 9457), as documented in the OpenAPI document."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, Any]] | None = None


_PROBLEM_STATUSES = {
    400: "Unreadable input", 401: "No or bad credentials", 403: "Your role does not allow it",
    404: "Not found", 409: "Conflicts with the current state", 413: "Body too large",
    422: "A field is invalid (each is named in errors)",
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM: {"schema": ProblemOut.model_json_schema(
        ref_template="#/components/schemas/{model}")}}}
    for status, text in _PROBLEM_STATUSES.items()
}


def not_found(what: str) -> Problem:
    return Problem(404, "Not Found", f"{what} does not exist")


def forbidden(detail: str) -> Problem:
    return Problem(403, "Forbidden", detail)


def conflict(detail: str) -> Problem:
    return Problem(409, "Conflict", detail)


# core error class -> (HTTP status, title); the most specific class wins.
CORE_ERRORS: list[tuple[type[SloScoutError], int, str]] = [
    (InflationLimitError, 413, "Payload Too Large"),
    (DecodeError, 422, "Unreadable Telemetry"),
    (SpecError, 422, "Invalid Spec"),
    (InsufficientDataError, 422, "Insufficient Data"),
    (SloScoutError, 422, "Invalid Input"),
]


# control layer refusal -> (HTTP status, title); the most specific class wins.
CONTROL_ERRORS: list[tuple[type[ControlError], int, str]] = [
    (NotFound, 404, "Not Found"),
    (Forbidden, 403, "Forbidden"),
    (Conflict, 409, "Conflict"),
    (InvalidField, 422, "Invalid Request"),
    (NothingToRender, 422, "Nothing To Render"),
    (UpstreamFailed, 502, "Bad Gateway"),
    (ControlError, 422, "Invalid Request"),
]


def control_problem(error: ControlError) -> Problem:
    status, title = next((s, t) for c, s, t in CONTROL_ERRORS if isinstance(error, c))
    errors = None
    if isinstance(error, InvalidField):
        errors = [{"field": error.field, "message": error.message}]
    if isinstance(error, Conflict) and error.current_version is not None:
        # what the thing is now, to re-read and decide again; the ETag to send back if so
        current = {"current_version": error.current_version,
                   "current_status": error.current_status}
        headers = None if error.current_status is None else {
            "ETag": etag(error.current_version, error.current_status)}
        return Problem(status, title, error.detail, extensions=current, headers=headers)
    return Problem(status, title, error.detail, errors=errors)


def problem_response(
    status: int, title: str, detail: str, *, instance: str, errors: list[dict[str, Any]] | None,
    headers: dict[str, str] | None = None, extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    # extension members first, so they can never overwrite the standard ones
    body: dict[str, Any] = dict(extensions or {})
    body.update({
        "type": "about:blank", "title": title, "status": status, "detail": detail,
        "instance": instance,
    })
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, instance=request.url.path, errors=exc.errors,
            headers=exc.headers, extensions=exc.extensions,
        )

    @app.exception_handler(ControlError)
    async def _control(request: Request, exc: ControlError) -> JSONResponse:
        return await _problem(request, control_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(
            422, "Invalid Request", f"fix these fields: {fields}", instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code, str(exc.detail), str(exc.detail), instance=request.url.path,
            errors=None, headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(SloScoutError)
    async def _core(request: Request, exc: SloScoutError) -> JSONResponse:
        status, title = next((s, t) for c, s, t in CORE_ERRORS if isinstance(exc, c))
        errors = None
        field = getattr(exc, "field", None)
        if field:
            errors = [{"field": field, "message": getattr(exc, "reason", exc.message)}]
        return problem_response(
            status, title, f"{exc.message} ({exc.hint})", instance=request.url.path,
            errors=errors,
        )
