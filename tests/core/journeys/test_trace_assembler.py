"""Streaming assembly: traces close on event time; memory holds only open traces."""

from __future__ import annotations

from tests.core.journeys.traffic import MS, call, spans_of

from slo_scout.core.journeys import TraceAssembler

S = 1_000 * MS


def request(n, start_ns):
    return spans_of(call("web", "GET /x", call("db", "SELECT x")), trace_no=n, start_ns=start_ns)


def test_a_trace_closes_once_the_watermark_passes_its_last_activity_plus_idle():
    assembler = TraceAssembler(idle_ns=10 * S)
    first = request(1, 0)
    assert list(assembler.add(first)) == []
    assert list(assembler.add(request(2, 5 * S))) == []
    (closed,) = list(assembler.add(request(3, 11 * S)))
    assert closed.trace_id == first[0].trace_id
    assert closed.span_count == 2
    assert assembler.open_traces == 2
    assert [t.trace_id for t in assembler.close()] == [f"{2:032x}", f"{3:032x}"]
    assert assembler.open_traces == 0


def test_spans_of_one_trace_arriving_late_but_within_idle_join_their_trace():
    assembler = TraceAssembler(idle_ns=10 * S)
    root, child = request(1, 0)
    assert list(assembler.add([child])) == []
    assert list(assembler.add(request(2, 8 * S))) == []
    assert list(assembler.add([root])) == []
    closed = list(assembler.add(request(3, 30 * S)))
    first = next(t for t in closed if t.trace_id == root.trace_id)
    assert first.span_count == 2
    assert not first.incomplete


def test_a_span_after_its_trace_closed_becomes_an_incomplete_fragment():
    assembler = TraceAssembler(idle_ns=1 * S)
    root, child = request(1, 0)
    list(assembler.add([root]))
    (early,) = list(assembler.add(request(2, 10 * S)))
    assert early.trace_id == root.trace_id and early.span_count == 1
    # Its trace is long closed: the late child is a trace of its own, an orphan.
    (fragment,) = list(assembler.add([child]))
    assert fragment.trace_id == root.trace_id
    assert fragment.span_count == 1
    assert fragment.incomplete


def test_buffering_is_bounded_by_concurrent_traces_not_by_input_size():
    assembler = TraceAssembler(idle_ns=2 * S)
    emitted = 0
    peak_open = 0
    peak_spans = 0
    for n in range(5_000):
        # one request every 100 ms, each lasting 5 ms: about 20 traces are ever open at once
        for trace in assembler.add(request(n, n * 100 * MS)):
            emitted += 1
            assert trace.span_count == 2
        peak_open = max(peak_open, assembler.open_traces)
        peak_spans = max(peak_spans, assembler.buffered_spans)
    assert peak_open <= 22
    assert peak_spans <= 44
    emitted += sum(1 for _ in assembler.close())
    assert emitted == 5_000


def test_adding_buffers_even_when_the_caller_ignores_the_result():
    assembler = TraceAssembler(idle_ns=S)
    assembler.add(request(1, 0))
    assert assembler.open_traces == 1
