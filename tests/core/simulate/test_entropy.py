"""The simulator's seeded random source: reproducible and spread as its draws promise."""

from __future__ import annotations

import statistics

import pytest

from slo_scout.core.simulate._entropy import SeededRandom


def test_the_same_seed_draws_the_same_words_across_block_boundaries() -> None:
    a, b = SeededRandom(5), SeededRandom(5)
    assert [a.bits64() for _ in range(3000)] == [b.bits64() for _ in range(3000)]
    assert SeededRandom(5).bits64() != SeededRandom(6).bits64()


def test_draws_stay_in_range_and_have_the_expected_centre() -> None:
    rng = SeededRandom("x")
    uniforms = [rng.random() for _ in range(20_000)]
    assert min(uniforms) >= 0.0 and max(uniforms) < 1.0
    assert statistics.mean(uniforms) == pytest.approx(0.5, abs=0.01)
    assert {rng.randrange(3) for _ in range(1000)} == {0, 1, 2}
    medians = sorted(rng.lognormal(10.0, 0.5) for _ in range(20_001))
    assert 9.5 < medians[10_000] < 10.5
    assert statistics.mean(rng.exponential(4.0) for _ in range(20_000)) == \
        pytest.approx(0.25, rel=0.05)


def test_ids_are_never_all_zero_and_have_otlp_widths() -> None:
    rng = SeededRandom(0)
    assert len(rng.trace_id()) == 16 and len(rng.span_id()) == 8
    assert all(rng.span_id() != bytes(8) for _ in range(1000))
