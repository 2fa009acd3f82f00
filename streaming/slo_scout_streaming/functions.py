"""The journey job's Python operators (thread mode: they run inside the TaskManager's JVM).

``TraceSessions`` (keyed by trace id) keeps a trace's fragments in Flink state until no span of
it arrived for ``gap`` of event time, then emits the trace's outcome. ``StatsWriter`` (keyed by
a constant, one writer) buffers outcomes in *checkpointed* list state and writes them in
batches; see ``stats_store`` for why a replay never counts a trace twice.
"""

from __future__ import annotations

from collections.abc import Iterator

from pyflink.common import Types
from pyflink.datastream.functions import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry.wire import decode_fragment
from slo_scout_streaming.stats_store import JourneyInfo, StatsStore, TraceOutcome
from slo_scout_streaming.traces import classify

OUTCOME, JOURNEY, DEAD = "O", "J", "D"
END_OF_INPUT = 2**63 - 1


class TraceSessions(KeyedProcessFunction):  # type: ignore[misc]
    def __init__(self, gap_ms: int) -> None:
        self.gap_ms = gap_ms
        self.known: set[str] = set()

    def open(self, runtime_context: RuntimeContext) -> None:
        self.fragments = runtime_context.get_list_state(
            ListStateDescriptor("fragments", Types.STRING()))
        self.deadline = runtime_context.get_state(ValueStateDescriptor("deadline", Types.LONG()))

    def process_element(self, value: str, ctx: KeyedProcessFunction.Context) -> Iterator[str]:
        self.fragments.add(value)
        deadline = max(ctx.timestamp() + self.gap_ms, self.deadline.value() or 0)
        self.deadline.update(deadline)
        ctx.timer_service().register_event_time_timer(deadline)
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Iterator[str]:
        if timestamp != self.deadline.value():
            return  # a later span moved the session's end
        spans = []
        trace_id = ctx.get_current_key()
        try:
            for fragment in self.fragments.get():
                spans.extend(decode_fragment(fragment)[1])
        except DecodeError as exc:
            yield f"{DEAD}{trace_id} {exc.message}"
        self.fragments.clear()
        self.deadline.clear()
        if not spans:
            return
        outcome, info = classify(trace_id, spans)
        if info.key not in self.known:
            # Once per journey per operator instance (and again after a restart): the writer
            # keeps descriptions in state and the store inserts a journey once.
            self.known.add(info.key)
            yield JOURNEY + info.dumps()
        yield OUTCOME + outcome.dumps()


class StatsWriter(KeyedProcessFunction):  # type: ignore[misc]
    def __init__(self, dsn: str, team: str, environment: str, batch: int,
                 flush_ms: int) -> None:
        self.dsn, self.team, self.environment = dsn, team, environment
        self.batch, self.flush_ms = batch, flush_ms

    def open(self, runtime_context: RuntimeContext) -> None:
        self.pending = runtime_context.get_list_state(
            ListStateDescriptor("pending", Types.STRING()))
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.INT()))
        self.timer = runtime_context.get_state(ValueStateDescriptor("timer", Types.LONG()))
        self.infos = runtime_context.get_map_state(
            MapStateDescriptor("journeys", Types.STRING(), Types.STRING()))
        self.store = StatsStore(self.dsn, self.team, self.environment)
        self.store.open()

    def close(self) -> None:
        self.store.close()

    def process_element(self, value: str, ctx: KeyedProcessFunction.Context) -> Iterator[str]:
        if value.startswith(DEAD):
            return  # an unreadable fragment: counted by the session operator's logs only
        if value.startswith(JOURNEY):
            info = JourneyInfo.loads(value[1:])
            if not self.infos.contains(info.key):
                self.infos.put(info.key, value[1:])
            return
        self.pending.add(value[1:])
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        if count >= self.batch:
            yield from self._flush()
        elif self.timer.value() is None:
            at = ctx.timer_service().current_processing_time() + self.flush_ms
            self.timer.update(at)
            ctx.timer_service().register_processing_time_timer(at)
            # A bounded run ends without firing processing-time timers, which would lose the
            # last partial batch; the final watermark (Long.MAX_VALUE) fires this one instead.
            ctx.timer_service().register_event_time_timer(END_OF_INPUT)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext) -> Iterator[str]:
        self.timer.clear()
        yield from self._flush()

    def _flush(self) -> Iterator[str]:
        outcomes = [TraceOutcome.loads(text) for text in self.pending.get()]
        if outcomes:
            infos = {o.journey_key: JourneyInfo.loads(self.infos.get(o.journey_key))
                     for o in outcomes}
            for info in self.store.write_batch(outcomes, infos):
                yield info.dumps()
        self.pending.clear()
        self.count.clear()
