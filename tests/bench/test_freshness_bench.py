"""The freshness bench's own arithmetic (no services, no timing)."""

from __future__ import annotations

from bench.freshness import Sent, _requests, freshness, quantile


def test_quantile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert quantile(values, 0.5) == 50.0
    assert quantile(values, 0.99) == 99.0
    assert quantile(values, 1.0) == 100.0
    assert quantile([3.0], 0.99) == 3.0


def test_freshness_is_counted_minus_acknowledged_for_the_phase_asked_only() -> None:
    traces = {"a": Sent("measured", 10.0, acked_s=10.2), "b": Sent("measured", 11.0, 11.1),
              "c": Sent("measured", 12.0, None), "d": Sent("warmup", 1.0, 1.1),
              "e": Sent("measured", 13.0, 13.5)}
    counted = {"a": 16.7, "b": 18.1, "c": 20.0, "d": 9.0}
    values, missing = freshness(traces, counted, "measured")
    assert [round(v, 6) for v in values] == [6.5, 7.0]
    assert missing == 1  # "e" was acknowledged and never counted; "c" was never acknowledged


def test_each_trace_is_ten_spans_split_five_and_five_with_the_root_in_the_second_request(
) -> None:
    from slo_scout.core.telemetry import decode_bytes

    ids = [bytes([i + 1]) * 16 for i in range(3)]
    back, front = _requests(ids, 1_700_000_000.0)
    backend = decode_bytes(back, source="back", fmt="otlp-proto")
    frontend = decode_bytes(front, source="front", fmt="otlp-proto")
    assert len(backend) == len(frontend) == 15
    roots = [s for s in frontend if not s.parent_id]
    assert len(roots) == 3
    assert all(s.parent_id for s in backend)
    last = max(s.end_ns for s in (*backend, *frontend))
    assert last < 1_700_000_000 * 10**9  # every span ended before the request was built
    assert max(s.end_ns for s in roots) == last  # the root, in the second request, ends last
