"""Streaming trace assembly: spans in any order, finished traces out, bounded memory.

Spans of one trace arrive over time and interleaved with other traces. The assembler keeps only
*open* traces: a trace is finished once its last activity (the latest ``end_ns`` among its spans)
is older than the event-time watermark minus ``idle_ns``, where the watermark is the largest
``end_ns`` seen so far. Time is the data's own (never the wall clock), so replaying a file gives
the same traces as receiving it live, and memory grows with the traffic's concurrency, not with
the input's size.

A span that arrives after its trace was emitted opens a new fragment of that trace; the fragment
is assembled on its own and reported incomplete (its parent is missing), never merged silently.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from slo_scout.core.journeys.assembly import assemble
from slo_scout.core.journeys.model import Trace
from slo_scout.core.telemetry.model import Span

DEFAULT_IDLE_NS = 30_000_000_000


class TraceAssembler:
    """Buffers spans by trace id and yields each trace once it has gone quiet."""

    def __init__(self, idle_ns: int = DEFAULT_IDLE_NS) -> None:
        if idle_ns < 0:
            raise ValueError("idle_ns must be >= 0")
        self.idle_ns = idle_ns
        self.watermark_ns = 0
        self._spans: dict[str, list[Span]] = {}
        self._last: dict[str, int] = {}
        # (last activity when queued, trace id); entries go stale when a trace gets newer spans
        # and are re-queued lazily when they surface, so each span costs no heap operation.
        self._queue: list[tuple[int, str]] = []

    @property
    def open_traces(self) -> int:
        return len(self._spans)

    @property
    def buffered_spans(self) -> int:
        return sum(len(spans) for spans in self._spans.values())

    def add(self, spans: Iterable[Span]) -> Iterator[Trace]:
        """Buffer ``spans`` now; return the traces that the new watermark has closed.

        Buffering happens before this returns; the traces are assembled as the caller iterates.
        """
        buffers = self._spans
        last = self._last
        watermark = self.watermark_ns
        for span in spans:
            trace_id = span.trace_id
            end = span.end_ns
            buffer = buffers.get(trace_id)
            if buffer is None:
                buffers[trace_id] = [span]
                last[trace_id] = end
                heapq.heappush(self._queue, (end, trace_id))
            else:
                buffer.append(span)
                if end > last[trace_id]:
                    last[trace_id] = end
            if end > watermark:
                watermark = end
        self.watermark_ns = watermark
        return self._expire(watermark - self.idle_ns)

    def _expire(self, horizon: int) -> Iterator[Trace]:
        queue = self._queue
        while queue and queue[0][0] < horizon:
            queued_at, trace_id = heapq.heappop(queue)
            current = self._last[trace_id]
            if current != queued_at:
                heapq.heappush(queue, (current, trace_id))
                continue
            yield self._emit(trace_id)

    def _emit(self, trace_id: str) -> Trace:
        spans = self._spans.pop(trace_id)
        del self._last[trace_id]
        return assemble(trace_id, spans)

    def close(self) -> Iterator[Trace]:
        """Flush every open trace, oldest activity first."""
        order = sorted(self._last.items(), key=lambda item: (item[1], item[0]))
        self._queue.clear()
        for trace_id, _ in order:
            yield self._emit(trace_id)
