"""Error-budget forecasts: spent fraction, burn rates and the date the budget runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from slo_scout.core.forecast import forecast, sentence, wilson

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_half_the_budget_spent_at_burn_two_runs_out_in_a_quarter_window() -> None:
    # 99.9% over 30 days, 30 days covered: 1,000,000 requests allow 1,000 bad; 500 were bad
    result = forecast(objective=0.999, window_days=30, now=NOW, requests=1_000_000, bad=500,
                      covered=timedelta(days=30), recent_requests=10_000, recent_bad=20,
                      expected_bad_ratio=None)
    assert result.budget == pytest.approx(1000)
    assert (result.consumed, result.remaining) == (pytest.approx(0.5), pytest.approx(0.5))
    assert result.current is not None and result.current.rate == pytest.approx(2.0)
    # half a 30-day budget at twice the sustainable rate: 7.5 days
    assert result.current.exhausted_at == NOW + timedelta(days=7.5)
    assert result.current.earliest is not None and result.current.latest is not None
    assert result.current.earliest < result.current.exhausted_at < result.current.latest
    assert sentence(result) == ("At this rate the 30-day budget is spent on 12 Dec 2026 "
                                "(between 9 Dec 2026 and 16 Dec 2026).")


def test_a_partly_covered_window_extrapolates_its_requests() -> None:
    # 3 of 30 days seen: 100,000 requests stand for 1,000,000 in the window
    result = forecast(objective=0.999, window_days=30, now=NOW, requests=100_000, bad=100,
                      covered=timedelta(days=3), recent_requests=0, recent_bad=0,
                      expected_bad_ratio=None)
    assert result.window_requests == pytest.approx(1_000_000)
    assert result.consumed == pytest.approx(0.1)
    assert result.current is None
    assert sentence(result) == "90% of the 30-day budget remains; no recent traffic."


def test_the_expected_burn_uses_the_bands_ratio_and_its_interval() -> None:
    result = forecast(objective=0.99, window_days=28, now=NOW, requests=1000, bad=0,
                      covered=timedelta(days=28), recent_requests=100, recent_bad=0,
                      expected_bad_ratio=(0.01, 0.005, 0.02))
    expected = result.expected
    assert expected is not None
    assert (expected.rate, expected.rate_low, expected.rate_high) == (1.0, 0.5, 2.0)
    assert expected.exhausted_at == NOW + timedelta(days=28)
    assert expected.earliest == NOW + timedelta(days=14)
    assert expected.latest == NOW + timedelta(days=56)


def test_no_failures_recently_never_runs_out_but_the_interval_still_may() -> None:
    result = forecast(objective=0.999, window_days=30, now=NOW, requests=10_000, bad=0,
                      covered=timedelta(days=30), recent_requests=100, recent_bad=0,
                      expected_bad_ratio=None)
    current = result.current
    assert current is not None and current.rate == 0 and current.exhausted_at is None
    # 0 of 100 does not rule out a bad ratio of a few percent: the earliest date exists
    assert current.rate_high > 1 and current.earliest is not None and current.latest is None
    assert "not spent" in sentence(result)


def test_a_spent_budget_ran_out_now() -> None:
    result = forecast(objective=0.99, window_days=7, now=NOW, requests=1000, bad=50,
                      covered=timedelta(days=7), recent_requests=10, recent_bad=1,
                      expected_bad_ratio=None)
    assert result.consumed == pytest.approx(5.0) and result.remaining == 0
    assert result.current is not None and result.current.exhausted_at == NOW
    assert sentence(result) == "The 7-day budget is spent."


def test_the_wilson_interval_brackets_the_ratio_and_stays_in_zero_one() -> None:
    low, high = wilson(5, 100)
    assert low < 0.05 < high and low >= 0 and high <= 1
    assert wilson(0, 10)[0] == 0
    assert wilson(10, 10)[1] == pytest.approx(1.0)


@pytest.mark.parametrize("objective", [0, 1, 1.5])
def test_an_objective_outside_zero_one_is_refused(objective: float) -> None:
    with pytest.raises(ValueError):
        forecast(objective=objective, window_days=30, now=NOW, requests=1, bad=0,
                 covered=timedelta(days=1), recent_requests=0, recent_bad=0,
                 expected_bad_ratio=None)


def test_a_tiny_burn_is_not_within_the_horizon() -> None:
    result = forecast(objective=0.99, window_days=30, now=NOW, requests=10**12, bad=1,
                      covered=timedelta(days=30), recent_requests=10**12, recent_bad=1,
                      expected_bad_ratio=(1e-15, 0.0, 1e-12))
    assert result.current is not None and result.current.exhausted_at is None
    assert result.expected is not None and result.expected.latest is None
