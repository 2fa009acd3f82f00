"""The journey job's Python operators (thread mode: they run inside the TaskManager's JVM).

``ShardKey`` keys each record by its shard where it was read (``key_groups``), and
``TraceSessions`` does the rest. A record is a bundle of trace fragments of one shard
(``core.telemetry.wire``), so Flink's per-record work is paid once per bundle, not per trace.

Flink's state holds the bundles only: per key a map state (sequence number -> the bundle's
deadline, fixed width, and its fragments, one a line), one ``put`` when a bundle arrives and one
``remove`` once none of its traces is held. Everything else is an in-memory index of that state
(``_Shard``): per trace its deadline, fragments and bundles; per tick of event time the traces
that close then and the closed traces released then. The index is rebuilt from the bundles the
first time a key is seen after a restore, so no per-trace state access crosses into the JVM.

A bundle's traces close at its timestamp + ``gap``, rounded up to the next whole second (a
tick): one event-time timer per key and tick, not per bundle (Flink's timer coalescing; a
registration through pemja cost as much as decoding a trace). The timer closes the traces whose
deadline is in its tick, assembles them and appends them to an in-memory batch, handed to the
writer (a process of its own, ``writer_process``) when it is full or ``flush_ms`` of processing
time has passed.

Why the batch may live in memory although Flink does not checkpoint it: a closed trace keeps its
bundles in the state until a second timer, ``hold`` later, finds it written (it forces the write
when not). A checkpoint therefore holds every trace whose outcome is not surely in the database;
after a restore the rebuilt index closes every trace it holds again, and the store's ledger
(``stats_store``) drops the ones it already has. At least once from Flink, at most once from the
ledger. docs/streaming.md has the whole argument.

A record that is a bare fragment (the format before bundles) is keyed by its trace id and goes
through the same code as a bundle of one.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from concurrent import futures
from concurrent.futures import Future
from dataclasses import dataclass, field

from pyflink.common import Row, Types
from pyflink.datastream import TimeDomain
from pyflink.datastream.functions import KeyedProcessFunction, ProcessFunction, RuntimeContext
from pyflink.datastream.state import MapStateDescriptor

from slo_scout import gc_tuning
from slo_scout.control.journeys.recording import TraceBatch
from slo_scout.core.journeys import assemble
from slo_scout.core.telemetry.wire import (
    BUNDLE,
    TRACE_ID_LEN,
    record_fragments,
    record_key,
)
from slo_scout_streaming.key_groups import LocalKeys
from slo_scout_streaming.stats_store import JourneyInfo
from slo_scout_streaming.writer_process import WriterProcess, spans_of

log = logging.getLogger(__name__)

_DEADLINE = 20  # digits of the deadline (ms) in front of the fragments
_TICK_MS = 1000  # timers fire on whole seconds of event time
_IN_FLIGHT = 2  # batches handed to the writer and not yet written, at most
_CLOSE_WAIT_S = 30.0


def _tick(at_ms: int) -> int:
    """The timer that serves ``at_ms``: the next whole tick at or after it."""
    return -(-at_ms // _TICK_MS) * _TICK_MS


@dataclass
class _Shard:
    """One key's bundles in the state, indexed: the next sequence number; per bundle how many
    of its fragments belong to traces still held; per trace its deadline and fragments, and the
    bundles holding it; per tick the traces that may close then (``closing``) and the closed
    ones released then (``releasing``), each tick with one timer. Per key, not per operator: a
    trace id seen under two keys (bare fragments beside bundles, while an upgrade is under way)
    is two sessions, as it would be in Flink's state, and the ledger keeps the first."""

    next_seq: int = 0
    live: dict[int, int] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)
    in_bundles: dict[str, list[int]] = field(default_factory=dict)
    closing: dict[int, list[str]] = field(default_factory=dict)
    releasing: dict[int, list[str]] = field(default_factory=dict)

    def hold(self, trace_id: str, fragment: str, deadline: int, seq: int) -> None:
        held = self.held.get(trace_id)
        if held is None:
            self.held[trace_id] = f"{deadline:0{_DEADLINE}d}{fragment}"
        else:
            later = max(deadline, int(held[:_DEADLINE]))
            self.held[trace_id] = f"{later:0{_DEADLINE}d}{held[_DEADLINE:]}\n{fragment}"
        self.in_bundles.setdefault(trace_id, []).append(seq)


def _schedule(table: dict[int, list[str]], at: int, trace_ids: list[str],
              ctx: KeyedProcessFunction.Context) -> None:
    """Lists the traces under tick ``at``; the tick's first listing registers its timer."""
    listed = table.get(at)
    if listed is None:
        table[at] = trace_ids
        ctx.timer_service().register_event_time_timer(at)
    else:
        listed.extend(trace_ids)


class ShardKey(ProcessFunction):  # type: ignore[misc]
    """Each record as the row (key, record), keyed by its shard (a bare fragment by its trace
    id) with a key this subtask owns (``key_groups``)."""

    def open(self, runtime_context: RuntimeContext) -> None:
        # PyFlink 2.0's get_index_of_this_subtask() and its siblings call methods Flink 2.0
        # moved to the Java context's TaskInfo; ask TaskInfo directly.
        task = runtime_context._runtime_context.getTaskInfo()
        self.keys = LocalKeys(task.getIndexOfThisSubtask(), task.getNumberOfParallelSubtasks(),
                              task.getMaxNumberOfParallelSubtasks())

    def process_element(self, value: str, ctx: ProcessFunction.Context) -> Iterator[Row]:
        yield Row(self.keys.key(record_key(value), remember=value.startswith(BUNDLE)), value)


class TraceSessions(KeyedProcessFunction):  # type: ignore[misc]
    def __init__(self, gap_ms: int, hold_ms: int, dsn: str, team: str, environment: str,
                 batch: int, flush_ms: int, python: str, retention_days: int = 0) -> None:
        self.gap_ms, self.hold_ms = gap_ms, hold_ms
        self.python = python  # the interpreter the writer process runs on
        self.dsn, self.team, self.environment = dsn, team, environment
        self.batch, self.flush_ms = batch, flush_ms
        self.retention_days = retention_days

    def open(self, runtime_context: RuntimeContext) -> None:
        # The operator is one long decode-and-classify pass, as analyze is: same GC settings.
        self.gc_before = gc_tuning.tune()
        # sequence number -> deadline + the record's fragments that were kept, one a line.
        # Pickled: a str crosses into the JVM as bytes, copied once, not converted.
        self.bundles = runtime_context.get_map_state(
            MapStateDescriptor("bundles", Types.LONG(), Types.PICKLED_BYTE_ARRAY()))
        # What ``bundles`` holds, indexed in memory; a key's is rebuilt once after a restore.
        self.shards: dict[str, _Shard] = {}
        self.closed = TraceBatch()  # closed traces, classified, not yet written
        self.pending: dict[str, str] = {}  # their held fragments, should one be needed again
        # batches handed to the writer, oldest first, with their traces (as ``pending``)
        self.writing: deque[tuple[Future[list[JourneyInfo]], dict[str, str]]] = deque()
        self.written: set[str] = set()  # written, not yet released
        self.flush_at: int | None = None  # processing-time timer armed for the batch
        self.store = WriterProcess(self.python, self.dsn, self.team, self.environment,
                                   retention_days=self.retention_days)
        self.store.open()

    def close(self) -> None:
        # Every trace of a bounded input was released (so written) by the final watermark. A
        # write still in flight (the job fails or is cancelled) may end before the connection
        # closes; its outcome no longer matters, as the restore redoes what it held.
        futures.wait([future for future, _ in self.writing], timeout=_CLOSE_WAIT_S)
        self.store.close()
        gc_tuning.restore(self.gc_before)

    def _shard(self, key: str, ctx: KeyedProcessFunction.Context) -> _Shard:
        shard = self.shards.get(key)
        if shard is None:
            # First sight of this key in this process: what a restore brought back (nothing
            # on a fresh start), in arrival order. Every trace held closes again at its tick
            # (closed and written before the checkpoint or not: the ledger tells them apart).
            shard = self.shards[key] = _Shard()
            for seq, value in sorted(self.bundles.items()):
                deadline = int(value[:_DEADLINE])
                fragments = value[_DEADLINE:].split("\n")
                for fragment in fragments:
                    shard.hold(fragment[:TRACE_ID_LEN], fragment, deadline, seq)
                shard.live[seq] = len(fragments)
                shard.next_seq = seq + 1
            ticks: dict[int, list[str]] = {}
            for trace_id, held in shard.held.items():
                ticks.setdefault(_tick(int(held[:_DEADLINE])), []).append(trace_id)
            for at, trace_ids in ticks.items():
                _schedule(shard.closing, at, trace_ids, ctx)
        return shard

    def _release(self, key: str, shard: _Shard, trace_id: str) -> None:
        """Forgets a written trace; a bundle none of whose traces is held any more leaves the
        state."""
        shard.held.pop(trace_id, None)
        for seq in shard.in_bundles.pop(trace_id, ()):
            left = shard.live[seq] - 1
            if left:
                shard.live[seq] = left
            else:
                del shard.live[seq]
                self.bundles.remove(seq)
        if not shard.live:
            # Nothing held, so nothing listed either: bare fragments make a key per trace,
            # keep none idle.
            self.shards.pop(key, None)

    def process_element(self, value: str, ctx: KeyedProcessFunction.Context) -> Iterator[str]:
        yield from self._settle()
        shard = self._shard(ctx.get_current_key(), ctx)
        deadline = ctx.timestamp() + self.gap_ms
        at = _tick(deadline)
        watermark = ctx.timer_service().current_watermark()
        kept: list[str] = []
        listed: list[str] = []  # traces that now close at tick ``at``
        for fragment in record_fragments(value):
            trace_id = fragment[:TRACE_ID_LEN]
            held = shard.held.get(trace_id)
            current = -1 if held is None else int(held[:_DEADLINE])
            if held is not None and current <= watermark:
                # Its session is over (closed, or closing at this tick): a second session of
                # this trace id would be dropped by the ledger anyway, so its late spans are
                # dropped here.
                continue
            if at > _tick(current):  # else listed already, at this tick or a later one
                listed.append(trace_id)
            shard.hold(trace_id, fragment, deadline, shard.next_seq)
            kept.append(fragment)
        if not kept:
            return
        seq = shard.next_seq
        shard.next_seq += 1
        shard.live[seq] = len(kept)
        self.bundles.put(seq, f"{deadline:0{_DEADLINE}d}" + "\n".join(kept))
        if listed:
            _schedule(shard.closing, at, listed, ctx)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Iterator[str]:
        yield from self._settle()
        if ctx.time_domain() == TimeDomain.PROCESSING_TIME:
            self.flush_at = None
            yield from self._flush()
            return
        key = ctx.get_current_key()
        shard = self._shard(key, ctx)
        closing = shard.closing.pop(timestamp, None)
        if closing is not None:
            closed = [trace_id for trace_id in dict.fromkeys(closing)
                      if self._close_at(shard, trace_id, timestamp, ctx)]
            if closed:
                _schedule(shard.releasing, _tick(timestamp + self.hold_ms), closed, ctx)
        releasing = shard.releasing.pop(timestamp, None)
        if releasing is not None:
            # Held long enough: write them now (and wait), then release.
            if any(trace_id in self.pending for trace_id in releasing):
                yield from self._flush()
            if self.writing and any(trace_id not in self.written for trace_id in releasing):
                yield from self._settle(keep=0)
            for trace_id in releasing:
                self.written.discard(trace_id)
                self._release(key, shard, trace_id)
        if len(self.pending) >= self.batch:
            yield from self._flush()

    def _close_at(self, shard: _Shard, trace_id: str, timestamp: int,
                  ctx: KeyedProcessFunction.OnTimerContext) -> bool:
        """Closes the trace if its session ends in the tick ``timestamp`` (a later fragment may
        have moved it on); whether it now waits for its release."""
        held = shard.held.get(trace_id)
        if held is None or _tick(int(held[:_DEADLINE])) != timestamp:
            return False
        self._close(trace_id, held, ctx)
        return True

    def _close(self, trace_id: str, held: str,
               ctx: KeyedProcessFunction.OnTimerContext) -> None:
        spans = spans_of(trace_id, held[_DEADLINE:])
        if not spans:
            self.written.add(trace_id)  # nothing to store: release at the hold timer
            return
        self.closed.add(assemble(trace_id, spans))
        self.pending[trace_id] = held
        if self.flush_at is None:
            self.flush_at = ctx.timer_service().current_processing_time() + self.flush_ms
            ctx.timer_service().register_processing_time_timer(self.flush_at)

    def _flush(self) -> Iterator[str]:
        """Hands the batch to the writer (which writes one batch at a time, in order); waits
        first while ``_IN_FLIGHT`` batches are queued, which bounds the memory they take."""
        if not self.pending:
            return
        yield from self._settle(keep=_IN_FLIGHT - 1)
        held = self.pending
        self.writing.append((self.store.submit(
            self.closed, lambda ids: {i: held[i][_DEADLINE:] for i in ids if i in held}),
            held))
        self.closed, self.pending = TraceBatch(), {}

    def _settle(self, keep: int | None = None) -> Iterator[str]:
        """Takes the outcomes of the writes that ended, oldest first, and waits for more while
        over ``keep`` are in flight: their traces may be released, their new journeys leave; a
        write that failed fails the operator here."""
        while self.writing and (self.writing[0][0].done()
                                or (keep is not None and len(self.writing) > keep)):
            future, held = self.writing.popleft()
            created = future.result()
            self.written.update(held)
            for info in created:
                yield info.dumps()
