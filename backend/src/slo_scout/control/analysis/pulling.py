"""Traces an analysis job pulls from the environment's own backend (Tempo, Jaeger) before it
reads the statistics, so a team that runs only Tempo gets its analysis.

The lookback ending at the job's end (else now) is searched; each trace is decoded by the core's
decoders, assembled, and counted through the one recording path (``journeys.recording``), in
chunks that commit on their own: the trace ledger counts each trace once, so a retried job, or a
second job over an overlapping window, adds only what is new. What the pull could not fetch is
kept in the result's summary (``source``), never dropped silently. A trace that starts before
the retention's cutoff (``not_before``, as API ingest refuses it) is not recorded (the next
retention pass would drop its statistics): it is counted in ``too_old``, the first ten listed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slo_scout.control.journeys.recording import record_traces
from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys import Trace, TraceAssembler
from slo_scout.core.telemetry import decode_bytes
from slo_scout.sources import Endpoint, Jaeger, PullReport, Tempo

CHUNK = 500  # traces recorded per transaction


@dataclass(frozen=True, slots=True)
class TraceSource:
    kind: str  # "tempo" or "jaeger"
    endpoint: Endpoint
    query: str | None = None  # TraceQL; default: the traces the service takes part in
    service: str | None = None  # Jaeger's service; default: the environment's service
    limit: int = 5000
    concurrency: int = 8

    def describe(self, service: str) -> str:
        if self.kind == "tempo":
            return f"tempo at {self.endpoint.where} ({self.query_for(service)})"
        return f"jaeger at {self.endpoint.where} (service {self.service or service})"

    def query_for(self, service: str) -> str:
        escaped = service.replace("\\", "\\\\").replace('"', '\\"')
        return self.query or f'{{ resource.service.name = "{escaped}" }}'


# (service, environment) -> the source its jobs pull from, if any
SourceOf = Callable[[str, str], TraceSource | None]


async def _bodies(source: TraceSource, service: str, start_s: int, end_s: int,
                  report: PullReport) -> AsyncIterator[tuple[str, bytes]]:
    if source.kind == "tempo":
        async with Tempo(source.endpoint, concurrency=source.concurrency) as tempo:
            await tempo.ready()
            async for item in tempo.pull(source.query_for(service), start_s, end_s,
                                         limit=source.limit, report=report):
                yield item
    else:
        async with Jaeger(source.endpoint) as jaeger:
            async for item in jaeger.pull(source.service or service, start_s, end_s,
                                          limit=source.limit, report=report):
                yield item


async def pull_into(
    sessions: async_sessionmaker[AsyncSession], source: TraceSource, *, service: str,
    environment: str, team: str, start: datetime, end: datetime, now: datetime,
    progress: Callable[[int, int], Awaitable[None]] | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """Pulls ``[start, end]`` and records it; the summary the job's result keeps.
    ``progress(fetched, found)`` is awaited after each recorded chunk; traces starting before
    ``not_before`` (the retention's cutoff) are refused and counted."""
    report = PullReport()
    recorded = duplicates = 0
    too_old: list[str] = []
    pending: list[tuple[str, bytes]] = []

    async def flush() -> None:
        nonlocal recorded, duplicates
        assembler = TraceAssembler()
        traces: list[Trace] = []
        for name, body in pending:
            try:
                spans = decode_bytes(body, source=name)
            except SloScoutError as error:  # one bad trace loses nothing else
                report.failed.append(f"{name}: {error}")
                continue
            traces.extend(assembler.add(spans))  # traces gone quiet in event time
        traces.extend(assembler.close())
        pending.clear()
        if not traces:
            return
        async with sessions() as session:
            counted = await record_traces(session, traces, environment=environment, team=team,
                                          now=now, not_before=not_before)
            await session.commit()
        recorded += counted.traces
        too_old.extend(f"{trace_id} ({minute.isoformat()})" for trace_id, minute in counted.refused)
        duplicates += counted.duplicates
        if progress is not None:
            await progress(report.fetched, report.found)

    async for item in _bodies(source, service, int(start.timestamp()), int(end.timestamp()),
                              report):
        pending.append(item)
        if len(pending) >= CHUNK:
            await flush()
    await flush()
    problems = report.problems()
    return {"source": source.describe(service), "found": report.found,
            "fetched": report.fetched, "recorded": recorded, "counted_before": duplicates,
            "problems": len(problems), "first_problems": problems[:10],
            "too_old": len(too_old), "first_too_old": too_old[:10],
            "not_before": not_before.isoformat() if not_before is not None else None}
