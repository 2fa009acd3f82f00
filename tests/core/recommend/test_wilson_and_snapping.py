"""Wilson intervals against published values, and snapping to the targets people use."""

from __future__ import annotations

import pytest

from slo_scout.core.recommend import TARGET_LADDER, wilson
from slo_scout.core.recommend.stats import budget_minutes_30d, hours_to_exhaust, strictest_rung


@pytest.mark.parametrize(
    ("good", "total", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # Symmetry and the extremes.
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_matches_published_95_percent_intervals(good, total, low, high):
    interval = wilson(good, total)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)
    assert interval.confidence == pytest.approx(0.95, abs=1e-9)


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson(3, 2)
    with pytest.raises(ValueError):
        wilson(0, 0)


@pytest.mark.parametrize(
    ("ratio", "half_width", "expected"),
    [
        (0.99961, 0.0, 99.95),
        (0.99949, 0.0, 99.9),
        (0.9999, 0.0, 99.99),
        (0.999, 0.0, 99.9),  # exactly on a rung counts as meeting it
        (0.9899, 0.0, 98.0),
        (1.0, 0.0006, 99.5),  # ±0.06 points cannot tell 99.9 from 99.95
        (1.0, 0.00045, 99.9),
        (1.0, 0.0004, 99.95),
        (1.0, 0.00009, 99.99),
        (0.9799, 0.0, 97.5),
        (0.85, 0.0, None),
    ],
)
def test_snapping_picks_the_strictest_resolvable_target_not_above_the_ratio(
    ratio, half_width, expected
):
    assert strictest_rung(ratio, half_width) == expected


def test_the_extended_ladder_lies_below_the_standard_targets():
    assert TARGET_LADDER == (90.0, 95.0, 97.5, 98.0, 99.0, 99.5, 99.9, 99.95, 99.99)
    # 96% measured to ±1 point: 95 resolves (the step to 97.5 is 2.5 points), 99 is not reached
    assert strictest_rung(0.955, 0.0097) == 95.0
    # the step from 97.5 to 98 is half a point: a wider interval falls back to 95
    assert strictest_rung(0.979, 0.004) == 97.5
    assert strictest_rung(0.979, 0.006) == 95.0


def test_budget_arithmetic_in_minutes_and_hours():
    assert budget_minutes_30d(99.9) == pytest.approx(43.2)
    assert hours_to_exhaust(14.4) == pytest.approx(50.0)
    assert hours_to_exhaust(1.0) == pytest.approx(720.0)
