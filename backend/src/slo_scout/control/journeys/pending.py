"""Uploaded spans wait for the rest of their trace before the trace is classified.

Collectors and SDKs send a trace in several requests (each service exports its own spans, in
batches). Classifying what one request holds would turn the halves of a trace into two
requests: a root with "no downstream calls" and a fragment. So uploaded spans are kept in
``pending_spans`` (by trace id, in the wire format the stream uses) until their trace has been
quiet for ``gap`` (the stream's session window, by arrival time), or the client says the
upload is complete (``flush``), or the waiting spans pass ``max_spans`` (oldest traces close
first). Spans of a trace counted already arrive too late: they are dropped and counted as such.
Traces older than the retention are refused as they arrive (their statistics would be dropped by
the next retention pass, leaving journey totals that no statistics back): named, never kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import keys
from slo_scout.control.journeys.convert import minute_to_datetime, ns_to_datetime
from slo_scout.control.journeys.recording import Recorded, record_traces
from slo_scout.core.journeys import Trace, assemble
from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import decode_fragment, encode_fragments


@dataclass
class Held:
    recorded: Recorded
    waiting_traces: int  # of this upload, still waiting for more spans
    counted_before: int  # traces of this upload counted already (resent, or late spans)
    late_spans: int  # their spans: dropped
    # traces of this upload older than the retention: (trace id, earliest span start); dropped
    refused: list[tuple[str, datetime]] = field(default_factory=list)
    refused_spans: int = 0


def _rows(spans: Sequence[Span], environment: str, team: str | None,
          now: datetime) -> list[dict[str, object]]:
    return [
        {"team": team, "environment": environment, "trace_id": fragment.trace_id,
         "spans": fragment.value.decode(), "span_count": fragment.spans,
         "last_end_ns": fragment.timestamp_ms * 1_000_000, "received_at": now}
        for fragment in encode_fragments(spans)
    ]


def _earliest(spans: Sequence[Span]) -> dict[str, int]:
    """trace id -> its earliest span's start (ns) among ``spans``."""
    earliest: dict[str, int] = {}
    for span in spans:
        start = earliest.get(span.trace_id)
        if start is None or span.start_ns < start:
            earliest[span.trace_id] = span.start_ns
    return earliest


def older_than(earliest: dict[str, int], not_before: datetime) -> dict[str, datetime]:
    """The traces that start (their earliest span's minute) before ``not_before``, with that
    start: the retention would drop their statistics, so they are refused."""
    return {trace_id: ns_to_datetime(start) for trace_id, start in earliest.items()
            if minute_to_datetime(start // 1_000_000_000) < not_before}


async def hold_and_close(
    session: AsyncSession, spans: Sequence[Span], *, environment: str, team: str | None,
    now: datetime, gap: timedelta, flush: bool, max_spans: int, actor: str | None = None,
    not_before: datetime | None = None,
) -> Held:
    """Adds ``spans`` to the waiting traces, then records every trace of ``environment`` that
    is complete by the rules above. Traces that start before ``not_before`` (the retention's
    cutoff) are refused: not kept, not counted, named in ``Held.refused``."""
    earliest = _earliest(spans)
    old = older_than(earliest, not_before) if not_before is not None else {}
    late = await keys.counted(session, {
        trace_id: minute_to_datetime(start // 1_000_000_000)
        for trace_id, start in earliest.items() if trace_id not in old})
    kept = [span for span in spans if span.trace_id not in late and span.trace_id not in old]
    refused_spans = sum(1 for span in spans if span.trace_id in old)
    await keys.add_pending(session, _rows(kept, environment, team, now))
    ready = await keys.pending_ready(session, environment, None if flush else now - gap)
    over = await keys.pending_span_count(session) - max_spans
    if over > 0:
        ready = list(dict.fromkeys([*ready, *await keys.oldest_pending(session, environment,
                                                                         over)]))
    recorded = await close(session, ready, environment=environment, team=team, now=now,
                           actor=actor, not_before=not_before)
    waiting = len({span.trace_id for span in kept} - set(ready))
    return Held(recorded, waiting, len(late), len(spans) - len(kept) - refused_spans,
                sorted(old.items()), refused_spans)


async def close(
    session: AsyncSession, trace_ids: Sequence[str], *, environment: str, team: str | None,
    now: datetime, actor: str | None = None, not_before: datetime | None = None,
) -> Recorded:
    """Assembles and records the waiting traces ``trace_ids`` of ``environment``."""
    grouped: dict[str, list[Span]] = {}
    named: str | None = team
    for row in await keys.take_pending(session, environment, trace_ids):
        grouped.setdefault(row.trace_id, []).extend(decode_fragment(row.spans)[1])
        named = named or row.team
    traces: list[Trace] = [assemble(trace_id, spans) for trace_id, spans in grouped.items()]
    return await record_traces(session, traces, environment=environment, team=named, now=now,
                               actor=actor, not_before=not_before)


async def close_idle(session: AsyncSession, *, now: datetime, gap: timedelta) -> Recorded:
    """Records every waiting trace, in every environment, that has been quiet for ``gap``."""
    total = Recorded()
    for environment in await keys.pending_environments(session):
        ready = await keys.pending_ready(session, environment, now - gap)
        if ready:  # the team each upload named comes with its waiting rows
            done = await close(session, ready, environment=environment, team=None, now=now)
            total.traces += done.traces
            total.spans += done.spans
            total.new_journeys.extend(done.new_journeys)
    return total
