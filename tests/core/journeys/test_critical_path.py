"""Critical path: jaeger-ui's last-finishing-child walk, segment by segment."""

from __future__ import annotations

from tests.builders import span
from tests.core.journeys.trees import decode_file, traces_of

from slo_scout.core.journeys import assemble, critical_path

T = 1_700_000_000_000_000_000
MS = 1_000_000


def s(span_id, parent, start_ms, end_ms, *, service="svc", kind="internal"):
    return span(
        span_id=span_id.rjust(16, "0"),
        parent_id=parent.rjust(16, "0") if parent else None,
        service=service,
        name=span_id,
        kind=kind,
        start_ns=T + start_ms * MS,
        end_ns=T + end_ms * MS,
    )


def path(trace):
    return [(node.span.name, nanos // MS) for node, nanos in critical_path(trace)]


def test_the_walk_returns_to_the_child_that_finished_before_the_last_one_started():
    # jaeger-ui's own example: |----A----| with B then C inside; C finishes last.
    trace = assemble("t", [s("A", None, 0, 100), s("B", "A", 10, 40), s("C", "A", 50, 90)])
    assert path(trace) == [("A", 10), ("B", 30), ("A", 10), ("C", 40), ("A", 10)]


def test_overlapping_children_leave_the_hidden_one_off_the_path():
    # B ends after C starts, so after C the walk goes back to A, never into B.
    trace = assemble("t", [s("A", None, 0, 100), s("B", "A", 10, 60), s("C", "A", 50, 90)])
    assert path(trace) == [("A", 50), ("C", 40), ("A", 10)]


def test_children_overflowing_their_parent_are_clipped_and_outsiders_dropped():
    spans = [
        s("A", None, 0, 100),
        s("B", "A", 80, 130),  # ends after A: clipped to 80..100
        s("C", "A", 120, 140),  # entirely after A: dropped
        s("D", "A", 10, 20),
    ]
    trace = assemble("t", spans)
    assert path(trace) == [("A", 10), ("D", 10), ("A", 60), ("B", 20)]


def test_a_consumer_under_a_producer_does_not_block_it():
    spans = [
        s("A", None, 0, 100),
        s("P", "A", 10, 20, kind="producer"),
        s("Q", "P", 15, 95, service="worker", kind="consumer"),
    ]
    trace = assemble("t", spans)
    assert path(trace) == [("A", 10), ("P", 10), ("A", 80)]


def test_nested_overlap_skips_the_child_hidden_by_a_later_sibling():
    spans = [
        s("A", None, 0, 100),
        s("B", "A", 5, 50),
        s("C", "B", 6, 30),
        s("D", "B", 20, 45),
        s("E", "A", 55, 99),
    ]
    trace = assemble("t", spans)
    # C (6..30) still runs when D (20..45) starts: B waits on D, so C is off the path.
    assert path(trace) == [("A", 5), ("B", 15), ("D", 25), ("B", 5), ("A", 5), ("E", 44), ("A", 1)]
    assert sum(nanos for _, nanos in critical_path(trace)) == 100 * MS


def test_ride_sharing_sample_follows_the_single_chain(datasets):
    (trace,) = traces_of(decode_file(datasets / "jaeger" / "ride-sharing-trace.json")).values()
    us = [(n.span.name, nanos // 1000) for n, nanos in critical_path(trace)]
    assert us == [
        ("OrderVehicle", 213_134),
        ("HTTP GET", 877),
        ("BikeHandler", 166),
        ("FindNearestVehicle", 966_333),
        ("BikeHandler", 567),
        ("HTTP GET", 391),
        ("OrderVehicle", 128),
    ]
    assert sum(n for _, n in us) == 1_181_596  # the root's duration


def test_trace_graph_sample_walks_back_through_every_sequential_child(datasets):
    (trace,) = traces_of(decode_file(datasets / "jaeger" / "trace-graph-trace.json")).values()
    ms = [(n.span.span_id, nanos // MS) for n, nanos in critical_path(trace)]
    assert ms == [
        ("9f6163dc4b373372", 125),
        ("7aeb6e6c3caebcdd", 33),
        ("9f6163dc4b373372", 22),
        ("8a366851442c95e6", 20),
        ("e1b64854c71792e5", 1),
        ("5fda2c4dfde2bcbd", 18),
        ("e1b64854c71792e5", 1),
        ("8a366851442c95e6", 26),
        ("9f6163dc4b373372", 4),
        ("d285575d513a7f0a", 37),
        ("9f6163dc4b373372", 13),
        # op4 is a producer: its consumer (200 ms, long after) does not block it.
        ("370cfe8cdb237d36", 20),
        ("9f6163dc4b373372", 10),
        ("7527f11d9ea48ee6", 1),
        # two op7 children end together: the earlier-starting one is the last finisher.
        ("bca7ccefa0b5db13", 9),
        ("9f6163dc4b373372", 50),
    ]


def test_yelp_sample_path_passes_through_the_proxy_not_the_parallel_call(datasets):
    (trace,) = traces_of(decode_file(datasets / "zipkin" / "yelp.json")).values()
    us = [(n.span.span_id, nanos // 1000) for n, nanos in critical_path(trace)]
    assert us == [
        ("2e8cfb154b59a41f", 1646),
        ("a5aaa39d954f7a8e", 25995),
        ("668ed78ad94b35a1", 3020),
        ("e7d1a2d5a788ac81", 993),
        ("668ed78ad94b35a1", 202),
        ("241cea1aa4cb2884", 522),
        ("b593cd7513dc736e", 445),
        ("241cea1aa4cb2884", 261),
        ("2b68987704862c4f", 1068),
        ("241cea1aa4cb2884", 619),
        ("0facde7c9130fd93", 233),
        ("241cea1aa4cb2884", 246),
        ("50b57281525a99d8", 374),
        ("241cea1aa4cb2884", 116),
        ("668ed78ad94b35a1", 80836),
        ("a5aaa39d954f7a8e", 10070),
        ("2e8cfb154b59a41f", 5202),
    ]
    assert sum(n for _, n in us) == 131_848


def test_zipkin_skew_sample_path_uses_the_corrected_times(datasets):
    (trace,) = traces_of(decode_file(datasets / "zipkin" / "skew.json")).values()
    us = [(n.span.name, nanos // 1000) for n, nanos in critical_path(trace)]
    assert us == [
        ("get", 3134),
        ("post", 481),
        ("post", 1),
        ("async", 65000),
        ("post", 28576),
        ("post", 481),
        ("get", 1738),
    ]
