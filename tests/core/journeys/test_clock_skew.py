"""Clock skew: children on another host are moved inside their parent, Jaeger's way."""

from __future__ import annotations

from tests.builders import span
from tests.core.journeys.trees import decode_file, nodes, traces_of

from slo_scout.core.journeys import assemble

T = 1_700_000_000_000_000_000
US = 1_000


def s(span_id, parent, service, start_us, end_us):
    return span(
        span_id=span_id.rjust(16, "0"),
        parent_id=parent.rjust(16, "0") if parent else None,
        service=service,
        start_ns=T + start_us * US,
        end_ns=T + end_us * US,
    )


def times(trace):
    return {n.span.span_id.lstrip("0"): (n.start_ns - T, n.end_ns - T) for n, _ in nodes(trace)}


def test_a_child_on_a_fast_clock_is_centred_in_its_parent_with_its_subtree():
    # The server's clock runs 500 µs ahead: it seems to start after the client has finished.
    spans = [
        s("1", None, "a", 0, 1000),
        s("2", "1", "b", 1100, 1900),
        s("3", "2", "b", 1200, 1300),
    ]
    trace = assemble("t", spans)
    # latency = (1000 - 800) / 2 = 100 µs: the server starts 100 µs after the client.
    assert times(trace) == {
        "1": (0, 1_000_000),
        "2": (100_000, 900_000),
        "3": (200_000, 300_000),
    }
    assert trace.problems == (
        "clock skew: shifted b span 0000000000000002 by -1000000 ns "
        "to fit inside its parent 0000000000000001",
    )


def test_a_child_that_fits_is_not_moved():
    spans = [s("1", None, "a", 0, 1000), s("2", "1", "b", 100, 900)]
    trace = assemble("t", spans)
    assert times(trace)["2"] == (100_000, 900_000)
    assert trace.problems == ()


def test_same_service_children_are_never_remeasured():
    # One clock: a same-service child that overflows its parent is left to the critical path.
    spans = [s("1", None, "a", 0, 100), s("2", "1", "a", 50, 150)]
    trace = assemble("t", spans)
    assert times(trace)["2"] == (50_000, 150_000)
    assert trace.problems == ()


def test_a_child_longer_than_its_parent_only_stops_starting_before_it():
    spans = [s("1", None, "a", 100, 200), s("2", "1", "b", 50, 400)]
    trace = assemble("t", spans)
    assert times(trace)["2"] == (100_000, 450_000)


def test_a_grandchild_on_a_third_host_is_measured_against_the_adjusted_child():
    spans = [
        s("1", None, "a", 0, 1000),
        s("2", "1", "b", 5000, 5800),  # b is 5 ms ahead
        s("3", "2", "c", -3000, -2800),  # c is 3.5 ms behind
    ]
    trace = assemble("t", spans)
    t = times(trace)
    assert t["2"] == (100_000, 900_000)
    # Inside the adjusted child (100..900 µs): latency (800 - 200) / 2 = 300 -> starts at 400.
    assert t["3"] == (400_000, 600_000)
    assert len(trace.problems) == 2


def test_zipkin_skew_sample_is_corrected_so_no_child_starts_before_its_parent(datasets):
    (trace,) = traces_of(decode_file(datasets / "zipkin" / "skew.json")).values()
    for node, parent in nodes(trace):
        if parent is not None:
            assert node.start_ns >= parent.start_ns, node.span.span_id
    server = next(n for n, _ in nodes(trace) if n.span.span_id == "74280ae0c10d8062")
    # client post: 1470150004074202 µs, 94539 µs; server post: 93577 µs -> latency 481 µs.
    assert server.start_ns == 1470150004074683000
    assert server.start_ns - server.span.start_ns == 65_922_000
    (problem,) = trace.problems
    assert problem.startswith("clock skew: shifted serviceb span 74280ae0c10d8062 by 65922000 ns")
    # The async child on the same host moves with it.
    child = next(n for n, _ in nodes(trace) if n.span.span_id == "43210ae0c10d1234")
    assert child.start_ns - child.span.start_ns == 65_922_000
