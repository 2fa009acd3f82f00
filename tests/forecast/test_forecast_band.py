"""The band over an SLI's history: a planted burst is found, a daily season is not an alarm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from slo_scout.core.forecast import BandPolicy, InsufficientHistory, ahead, anomalies, fit_band

DAY = 288  # five-minute steps


def seasonal_latency(days: int, seed: int = 7) -> list[float | None]:
    """p99 latency with a daily peak (0.2 s at night, 0.6 s at the midday peak) and noise."""
    rng = np.random.default_rng(seed)
    steps = np.arange(days * DAY)
    base = 0.4 - 0.2 * np.cos(2 * math.pi * steps / DAY)
    return [float(v) for v in base + rng.normal(0, 0.01, len(steps))]


def test_a_daily_season_raises_no_alarm_at_its_peaks() -> None:
    values = seasonal_latency(days=7)
    band = fit_band(values, BandPolicy(period_steps=DAY))
    assert band.seasonal and band.period_steps == DAY
    assert band.seasonal_strength is not None and band.seasonal_strength > 0.9
    assert anomalies(values, band) == []
    # the band follows the season: its midday expectation is far above the night's
    assert band.expected[6 * DAY + DAY // 2] - band.expected[6 * DAY] > 0.3


def test_a_planted_burst_is_found_and_scored_and_nothing_else() -> None:
    values = seasonal_latency(days=7)
    burst = range(5 * DAY + 100, 5 * DAY + 106)  # half an hour at +0.3 s
    for i in burst:
        values[i] = (values[i] or 0) + 0.3
    band = fit_band(values, BandPolicy(period_steps=DAY))
    found = anomalies(values, band)
    assert [a.index for a in found] == list(burst)
    assert all(a.side == "high" and a.score > band.sigmas for a in found)


def test_a_season_is_fitted_only_with_three_full_days() -> None:
    two_days = seasonal_latency(days=2)
    band = fit_band(two_days, BandPolicy(period_steps=DAY))
    assert not band.seasonal and band.season == ()
    three = fit_band(seasonal_latency(days=3), BandPolicy(period_steps=DAY))
    assert three.seasonal


def test_noise_without_a_season_gets_a_flat_band() -> None:
    rng = np.random.default_rng(3)
    values = [float(v) for v in 0.999 + rng.normal(0, 0.0002, 4 * DAY)]
    band = fit_band(values, BandPolicy(period_steps=DAY, min_sigma=0.0001))
    assert not band.seasonal and band.seasonal_strength is not None
    assert band.seasonal_strength < 2 / 4  # noise's "season" over 4 cycles: about 1/4
    values[500] = 0.99  # one bad step: 1% errors against 0.1%
    found = anomalies(values, fit_band(values, BandPolicy(period_steps=DAY, min_sigma=0.0001)))
    assert [(a.index, a.side) for a in found] == [(500, "low")]


def test_steps_without_traffic_are_filled_for_the_fit_and_never_flagged() -> None:
    values = seasonal_latency(days=4)
    for i in range(50, 80):
        values[i] = None
    band = fit_band(values, BandPolicy(period_steps=DAY))
    assert len(band.expected) == len(values)
    assert anomalies(values, band) == []


def test_a_flat_error_ratio_of_zero_flags_a_failure_above_the_floor_only() -> None:
    values: list[float | None] = [1.0] * 100
    values[60] = 0.9995  # within 4 × the 0.001 floor
    values[70] = 0.99
    band = fit_band(values, BandPolicy(period_steps=None, min_sigma=0.001))
    assert [a.index for a in anomalies(values, band)] == [70]


def test_too_little_history_is_refused_with_the_counts() -> None:
    with pytest.raises(InsufficientHistory) as refused:
        fit_band([0.1] * 10 + [None] * 30, BandPolicy(period_steps=None))
    assert (refused.value.have, refused.value.need) == (10, 24)


def test_looking_ahead_continues_the_season_from_the_last_step() -> None:
    values = seasonal_latency(days=4)
    band = fit_band(values, BandPolicy(period_steps=DAY))
    nxt = ahead(band, DAY)
    assert len(nxt) == DAY
    # the next day's midday peak and its night
    assert nxt[DAY // 2] == pytest.approx(0.6, abs=0.03)
    assert nxt[0] == pytest.approx(0.2, abs=0.03)


def test_a_bad_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        BandPolicy(period_steps=1)
    with pytest.raises(ValueError):
        BandPolicy(period_steps=None, sigmas=0)
