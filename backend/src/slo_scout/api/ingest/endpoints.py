"""POST /ingest/traces: trace files and OTLP payloads for embedded use.

The body is OTLP/JSON, OTLP protobuf (``application/x-protobuf``), Jaeger or Zipkin JSON, or a
CSV span table, plain or gzip. Good records are always stored. With ``skip_invalid`` bad records
are skipped and listed in a 200 answer; without it any bad record makes the answer a 400
problem naming the record and field, and that problem still reports what was stored, so a
client must not resend the whole body.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from slo_scout.api.deps import NowDep, PrincipalDep, SessionDep, SettingsDep
from slo_scout.api.ingest import service
from slo_scout.api.ingest.schemas import IngestOut, RecordProblem
from slo_scout.api.problems import Problem
from slo_scout.control.auth.guard import require
from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import FORMATS

router = APIRouter(tags=["ingest"])

Format = Literal["otlp-json", "otlp-proto", "jaeger", "zipkin", "csv"]
assert set(get_args(Format)) == set(FORMATS)

NAME = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "A trace file or OTLP export request, optionally gzip-compressed.",
        "content": {
            "application/json": {"schema": {"type": "string", "format": "binary"}},
            "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Payload Too Large", f"send at most {limit} bytes per request")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Payload Too Large", f"send at most {limit} bytes per request")
        chunks.append(chunk)
    return b"".join(chunks)


def _problem_of(error: DecodeError) -> RecordProblem:
    return RecordProblem(
        source=error.source, record=None if error.record is None else str(error.record),
        field=error.field, message=error.reason,
    )


@router.post(
    "/ingest/traces", response_model=IngestOut, openapi_extra=_BODY_DOC,
    summary="Ingest a trace file or OTLP payload",
    responses={400: {"description": "bad records (the good ones were stored)"},
               413: {"description": "body too large"}},
)
async def ingest_traces(
    request: Request, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
    now: NowDep,
    environment: Annotated[str, Query(min_length=1, max_length=100, pattern=NAME)] = "production",
    team: Annotated[str | None, Query(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="team of services seen for the first time")] = None,
    fmt: Annotated[Format | None, Query(alias="format")] = None,
    skip_invalid: bool = False,
    source: Annotated[str, Query(min_length=1, max_length=200)] = "request body",
) -> IngestOut:
    metrics = request.app.state.metrics
    began = time.perf_counter()
    if team is not None:
        require(principal, team, "editor")
    body = await _read_body(request, settings.max_ingest_bytes)
    if not body.strip():
        raise Problem(422, "Invalid Request", "the body is empty: send a trace file or OTLP "
                      "payload", errors=[{"field": "body", "message": "required"}])
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    chosen = fmt or service.CONTENT_FORMATS.get(ctype)
    decoded = await run_in_threadpool(service.decode_body, body, source=source, fmt=chosen)
    if not decoded.spans and decoded.fatal is None and not decoded.report.bad_records:
        metrics.ingest_requests.labels("refused").inc()
        raise Problem(422, "Invalid Request", "the body holds no spans: send a trace file or "
                      "an OTLP export request with spans",
                      errors=[{"field": "body", "message": "no spans"}])
    discovery = await run_in_threadpool(service.discover_journeys, decoded.spans)
    try:
        teams = await service.teams_of(session, discovery.journeys, team)
    except service.MissingTeam as missing:
        metrics.ingest_requests.labels("refused").inc()
        raise Problem(422, "Invalid Request",
                      f"name a team (?team=) for new services: {', '.join(missing.services)}",
                      errors=[{"field": "team", "message": "required for new services"}]) from None
    for name in sorted(set(teams.values())):
        require(principal, name, "editor")
    stored = await service.store(session, discovery, teams, environment=environment, now=now)
    await session.commit()
    problems = [_problem_of(p) for p in decoded.report.problems]
    if decoded.fatal is not None:
        problems.append(_problem_of(decoded.fatal))
    rejected = decoded.report.bad_records + (1 if decoded.fatal is not None else 0)
    out = IngestOut(
        accepted_spans=stored.spans, rejected_records=rejected, traces=stored.traces,
        journeys=stored.journeys, new_journeys=stored.new_journeys,
        minute_rows=stored.minute_rows, services=stored.services, problems=problems,
    )
    metrics.ingest_spans.inc(stored.spans)
    metrics.ingest_rejected.inc(rejected)
    metrics.ingest_latency.observe(time.perf_counter() - began)
    if decoded.fatal is not None or (rejected and (not skip_invalid or not stored.spans)):
        metrics.ingest_requests.labels("rejected").inc()
        first = problems[0]
        raise Problem(
            400, "Unreadable Telemetry",
            f"{rejected} record(s) could not be read, first: {first.message} "
            f"(record {first.record}, field {first.field}); {stored.spans} good span(s) were "
            "stored: fix or drop the bad records, or send skip_invalid=true",
            errors=[_error_entry(p) for p in problems],
            extensions=out.model_dump(exclude={"problems"}),
        )
    metrics.ingest_requests.labels("partial" if rejected else "accepted").inc()
    return out


def _error_entry(problem: RecordProblem) -> dict[str, Any]:
    return {"field": problem.field or "body", "record": problem.record,
            "message": problem.message}
