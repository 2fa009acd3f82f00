"""POST /ingest/traces: trace files and OTLP payloads for embedded use.

The body is OTLP/JSON, OTLP protobuf (``application/x-protobuf``), Jaeger or Zipkin JSON, or a
CSV span table, plain or gzip. Good records are always kept and bad ones named (record, field):
the answer is a partial success (200, with ``rejected_records`` and ``problems``) unless no span
at all could be read (400). Traces older than the retention (``stats_retention_days``) are
refused one by one (``refused_traces``, each named in ``problems``): the retention pass would drop
them. Spans wait for the rest of their trace (``control.journeys.pending``)
and each trace is counted once (the trace ledger), so resending an upload counts nothing twice.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from slo_scout.api.deps import NowDep, PrincipalDep, SessionDep, SettingsDep
from slo_scout.api.ingest.schemas import FragmentOut, IngestOut, RecordProblem
from slo_scout.api.problems import Problem
from slo_scout.control.auth.guard import require
from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import Forbidden
from slo_scout.control.journeys import pending, uploads
from slo_scout.control.journeys.recording import MissingTeam, teams_of
from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import FORMATS, Inflation

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
    responses={400: {"description": "nothing readable (no span was kept)"},
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
    flush: Annotated[bool, Query(
        description="the upload is complete: count every waiting trace of the environment "
        "now instead of after the trace gap")] = False,
    skip_invalid: Annotated[bool, Query(
        description="kept for compatibility: bad records are always skipped and named, and "
        "the good ones kept (partial success)")] = False,
    source: Annotated[str, Query(min_length=1, max_length=200)] = "request body",
) -> IngestOut:
    metrics = request.app.state.metrics
    began = time.perf_counter()
    _may_upload(principal, team)  # from the headers, before a byte of the body is read
    body = await _read_body(request, settings.max_ingest_bytes)
    if not body.strip():
        raise Problem(422, "Invalid Request", "the body is empty: send a trace file or OTLP "
                      "payload", errors=[{"field": "body", "message": "required"}])
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    chosen = fmt or uploads.CONTENT_FORMATS.get(ctype)
    decoded = await run_in_threadpool(
        uploads.decode_body, body, source=source, fmt=chosen,
        inflation=Inflation(max_bytes=settings.max_ingest_bytes))
    if not decoded.spans and decoded.fatal is None and not decoded.report.bad_records:
        metrics.ingest_requests.labels("refused").inc()
        raise Problem(422, "Invalid Request", "the body holds no spans: send a trace file or "
                      "an OTLP export request with spans",
                      errors=[{"field": "body", "message": "no spans"}])
    entries = await run_in_threadpool(uploads.entry_services, decoded.spans)
    try:
        teams = await teams_of(session, entries, team)
    except MissingTeam as missing:
        metrics.ingest_requests.labels("refused").inc()
        raise _missing_team(missing) from None
    for name in sorted(set(teams.values())):
        require(principal, name, "editor")
    cutoff = retention_cutoff(now, settings.stats_retention_days)
    try:
        held = await pending.hold_and_close(
            session, decoded.spans, environment=environment, team=team, now=now,
            gap=timedelta(seconds=settings.ingest.trace_gap_seconds), flush=flush,
            max_spans=settings.ingest.max_waiting_spans, actor=principal.subject,
            not_before=cutoff)
    except MissingTeam as missing:
        metrics.ingest_requests.labels("refused").inc()
        raise _missing_team(missing) from None
    await session.commit()
    stored = held.recorded
    problems = [_problem_of(p) for p in decoded.report.problems]
    if decoded.fatal is not None:
        problems.append(_problem_of(decoded.fatal))
    refused = _refused(held, source, cutoff, settings.stats_retention_days)
    problems.extend(refused[:max(0, MAX_PROBLEMS - len(problems))])
    rejected = decoded.report.bad_records + (1 if decoded.fatal is not None else 0)
    out = IngestOut(
        accepted_spans=len(decoded.spans) - held.late_spans - held.refused_spans,
        rejected_records=rejected, refused_traces=len(refused),
        traces=stored.traces, waiting_traces=held.waiting_traces,
        duplicate_traces=stored.duplicates + held.counted_before, late_spans=held.late_spans,
        journeys=stored.journeys, new_journeys=len(stored.new_journeys),
        minute_rows=stored.minute_rows, services=stored.services,
        fragments=[FragmentOut(entry=f.label, traces=f.traces,
                               samples=[trace_id for _, trace_id in f.samples])
                   for f in stored.fragments],
        problems=problems,
    )
    metrics.ingest_spans.inc(len(decoded.spans))
    metrics.ingest_rejected.inc(rejected)
    metrics.ingest_latency.observe(time.perf_counter() - began)
    if rejected and not decoded.spans:
        metrics.ingest_requests.labels("rejected").inc()
        first = problems[0]
        raise Problem(
            400, "Unreadable Telemetry",
            f"{rejected} record(s) could not be read, first: {first.message} "
            f"(record {first.record}, field {first.field}); no span could be kept",
            errors=[_error_entry(p) for p in problems],
            extensions=out.model_dump(exclude={"problems"}),
        )
    metrics.ingest_requests.labels("partial" if rejected else "accepted").inc()
    return out


def _may_upload(principal: Principal, team: str | None) -> None:
    """Uploading needs the editor role: in ``team`` when named, else in some team (which teams
    the spans belong to is checked again once they are decoded)."""
    if team is not None:
        require(principal, team, "editor")
    elif not any(principal.can(name, "editor") for name in principal.grants):
        raise Forbidden("uploading traces needs the editor role in a team; you have "
                        + (", ".join(f"{r} in {t}" for t, r in sorted(principal.grants.items()))
                           or "no role"))


MAX_PROBLEMS = 100


def retention_cutoff(now: datetime, retention_days: int) -> datetime | None:
    """Data older than this is refused (the retention pass would drop it); None: no retention."""
    return now - timedelta(days=retention_days) if retention_days else None


def _refused(held: pending.Held, source: str, cutoff: datetime | None,
             days: int) -> list[RecordProblem]:
    """One problem per refused trace: this upload's, and any waiting one refused as it closed."""
    mine = {trace_id for trace_id, _ in held.refused}
    late = [(t, minute) for t, minute in held.recorded.refused if t not in mine]
    return [RecordProblem(
        source=source, record=f"trace {trace_id}", field="startTimeUnixNano",
        message=f"older than the retention: starts {start.isoformat()}, before the cutoff "
        f"{cutoff.isoformat() if cutoff else ''} (stats_retention_days={days}); not counted")
        for trace_id, start in [*held.refused, *late]]


def _missing_team(missing: MissingTeam) -> Problem:
    return Problem(422, "Invalid Request",
                   f"name a team (?team=) for new services: {', '.join(missing.services)}",
                   errors=[{"field": "team", "message": "required for new services"}])


def _error_entry(problem: RecordProblem) -> dict[str, Any]:
    return {"field": problem.field or "body", "record": problem.record,
            "message": problem.message}
