"""The journey job's one Python operator (thread mode: it runs inside the TaskManager's JVM).

``TraceSessions`` is keyed by trace id. Per trace it holds ONE value in Flink state: the event
time at which the session closes (fixed width) followed by the trace's wire fragments, one a
line. Each fragment re-arms an event-time timer at its timestamp + ``gap``; the timer that finds
the stored deadline equal to its own time closes the trace, assembles it and appends it to an
in-memory batch that is written to PostgreSQL when it is full or
``flush_ms`` of processing time has passed.

Why the batch may live in memory although Flink does not checkpoint it: a closed trace keeps its
state until a second timer, ``hold`` later in event time, finds it written (it forces
the write when not). A checkpoint therefore holds every trace whose outcome is not surely in the
database, with its timers; after a restore those traces are closed and written again, and the
store's ledger (``stats_store``) drops the ones it already has. At least once from Flink, at most
once from the ledger. docs/streaming.md has the whole argument.

Per trace that is: one key selection, per fragment one state read, one write and one timer, then
two timer callbacks (close, release) with one read each and one clear; no second shuffle and no
per-trace record downstream: only journeys stored for the first time leave the operator.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from pyflink.common import Types
from pyflink.datastream import TimeDomain
from pyflink.datastream.functions import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import ValueStateDescriptor

from slo_scout import gc_tuning
from slo_scout.control.journeys.recording import TraceBatch
from slo_scout.core.errors import DecodeError
from slo_scout.core.journeys import Trace, assemble
from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import decode_fragment
from slo_scout_streaming.stats_store import StatsStore

log = logging.getLogger(__name__)

_DEADLINE = 20  # digits of the deadline (ms) in front of the fragments


class TraceSessions(KeyedProcessFunction):  # type: ignore[misc]
    def __init__(self, gap_ms: int, hold_ms: int, dsn: str, team: str, environment: str,
                 batch: int, flush_ms: int, retention_days: int = 0) -> None:
        self.gap_ms, self.hold_ms = gap_ms, hold_ms
        self.dsn, self.team, self.environment = dsn, team, environment
        self.batch, self.flush_ms = batch, flush_ms
        self.retention_days = retention_days

    def open(self, runtime_context: RuntimeContext) -> None:
        # The operator is one long decode-and-classify pass, as analyze is: same GC settings.
        self.gc_before = gc_tuning.tune()
        self.trace = runtime_context.get_state(ValueStateDescriptor("trace", Types.STRING()))
        self.closed = TraceBatch()  # closed traces, classified, not yet written
        self.pending: dict[str, str] = {}  # their held fragments, should one be needed again
        self.written: set[str] = set()  # written, state not yet released
        self.flush_at: int | None = None  # processing-time timer armed for the batch
        self.store = StatsStore(self.dsn, self.team, self.environment,
                                retention_days=self.retention_days)
        self.store.open()

    def close(self) -> None:
        self.store.close()
        gc_tuning.restore(self.gc_before)

    def process_element(self, value: str, ctx: KeyedProcessFunction.Context) -> Iterator[str]:
        held = self.trace.value()
        deadline = ctx.timestamp() + self.gap_ms
        if held is None:
            self.trace.update(f"{deadline:0{_DEADLINE}d}{value}")
        else:
            current = int(held[:_DEADLINE])
            if current <= ctx.timer_service().current_watermark():
                # Closed already and counted: a second session of this trace id would be
                # dropped by the ledger anyway, so its late spans are dropped here.
                return iter(())
            deadline = max(deadline, current)
            self.trace.update(f"{deadline:0{_DEADLINE}d}{held[_DEADLINE:]}\n{value}")
        ctx.timer_service().register_event_time_timer(deadline)
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Iterator[str]:
        if ctx.time_domain() == TimeDomain.PROCESSING_TIME:
            self.flush_at = None
            yield from self._flush()
            return
        held = self.trace.value()
        if held is None:
            return
        deadline = int(held[:_DEADLINE])
        trace_id = ctx.get_current_key()
        if timestamp < deadline:
            return  # a timer of an earlier deadline, superseded by a later fragment
        if timestamp == deadline:  # the session closes
            self._close(trace_id, held, ctx)
            ctx.timer_service().register_event_time_timer(deadline + self.hold_ms)
        elif trace_id in self.written:
            self.written.discard(trace_id)
            self.trace.clear()
        elif trace_id in self.pending:  # held long enough: write it now, then release
            yield from self._flush()
            self.written.discard(trace_id)
            self.trace.clear()
        else:
            # Closed before the restore this process started from: close it again and give
            # the batch one more hold to take it (one transaction per such trace is too slow).
            self._close(trace_id, held, ctx)
            ctx.timer_service().register_event_time_timer(timestamp + self.hold_ms)
        if len(self.pending) >= self.batch:
            yield from self._flush()

    @staticmethod
    def _spans(trace_id: str, held: str) -> list[Span]:
        spans: list[Span] = []
        for fragment in held[_DEADLINE:].split("\n"):
            try:
                spans.extend(decode_fragment(fragment)[1])
            except DecodeError as exc:
                log.warning("dropped an unreadable span fragment of trace %s: %s",
                            trace_id, exc.message)
        return spans

    def _assemble(self, trace_id: str, held: str) -> Trace:
        return assemble(trace_id, self._spans(trace_id, held))

    def _close(self, trace_id: str, held: str,
               ctx: KeyedProcessFunction.OnTimerContext) -> None:
        spans = self._spans(trace_id, held)
        if not spans:
            self.written.add(trace_id)  # nothing to store: release at the hold timer
            return
        self.closed.add(assemble(trace_id, spans))
        self.pending[trace_id] = held
        if self.flush_at is None:
            self.flush_at = ctx.timer_service().current_processing_time() + self.flush_ms
            ctx.timer_service().register_processing_time_timer(self.flush_at)

    def _flush(self) -> Iterator[str]:
        if not self.pending:
            return
        held = self.pending
        created = self.store.write_batch(
            self.closed, lambda ids: [self._assemble(i, held[i]) for i in ids if i in held])
        self.closed, self.pending = TraceBatch(), {}
        self.written.update(held)
        for info in created:
            yield info.dumps()
