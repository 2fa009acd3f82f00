"""The ingest bench's steady-state arithmetic (no services, no timing)."""

from __future__ import annotations

from bench.ingest import steady_state


def test_steady_state_counts_the_writes_after_the_first_over_the_time_between_them() -> None:
    # Writes at 10 s (400 traces), 11 s (1,000) and 12 s (600) of 20 spans each: the first
    # write's traces closed during the start-up, so 1,600 traces in 2 s.
    assert steady_state([(10.0, 400), (11.0, 1000), (12.0, 600)], 20.0) == 16_000.0


def test_steady_state_needs_two_writes_apart_in_time() -> None:
    assert steady_state([], 20.0) is None
    assert steady_state([(10.0, 400)], 20.0) is None
    assert steady_state([(10.0, 400), (10.0, 5)], 20.0) is None
