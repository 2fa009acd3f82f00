"""An SLI's expected band over time, fitted on its own history, and the points that leave it.

Input is one value per step (``None`` where the step had no traffic), oldest first. The band is
``expected ± sigmas·σ``:

- ``expected`` is an STL decomposition's trend plus seasonal part (statsmodels' ``STL``) when
  the history holds
  at least ``min_periods`` full seasons (default 3 days for the daily season) and the season is
  strong enough to matter (Wang, Smith and Hyndman's seasonal strength ≥ ``min_strength``, and
  ≥ 2 / cycles, twice what pure noise reaches when averaged over that many cycles);
  otherwise a centred running median (a level that follows slow drift, no season). The season
  is each phase's level averaged over all cycles (a constant-degree seasonal smoother spanning
  them), so one day's burst moves it by a fraction only; and the fit runs twice: the points
  outside the first band are bridged linearly from their neighbours and the second fit is the
  band, so a burst is not learned as normal. (STL's own ``robust=True`` does 15 reweighting
  passes, is 5-10 times slower, and its residuals' MAD understates the noise by a third: it
  flags noise.)
- ``σ`` is the residuals' robust scale (MAD × 1.4826), floored at ``min_sigma`` so a flat history
  (an error ratio of exactly zero) does not flag every single failure.

A point outside the band is an anomaly; its score is its robust z (residual / σ), signed: above
the band is positive. Steps without traffic are interpolated for the fit and never flagged.

statsmodels is imported inside ``fit_band`` only: importing the core costs nothing extra.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from slo_scout.core.forecast.errors import InsufficientHistory

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True, slots=True)
class BandPolicy:
    period_steps: int | None  # the daily season in steps (None: do not look for one)
    sigmas: float = 4.0
    min_points: int = 24  # steps with traffic before any band
    min_periods: int = 3  # full seasons before a seasonal band
    min_strength: float = 0.3  # seasonal strength below which the season is noise
    min_sigma: float = 0.0

    def __post_init__(self) -> None:
        if self.period_steps is not None and self.period_steps < 2:
            raise ValueError("period_steps must be at least 2")
        if not self.sigmas > 0 or self.min_points < 3 or self.min_periods < 2:
            raise ValueError("sigmas > 0, min_points >= 3 and min_periods >= 2")


@dataclass(frozen=True, slots=True)
class Band:
    expected: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    sigma: float
    sigmas: float
    seasonal: bool
    period_steps: int | None
    seasonal_strength: float | None
    # one full season of the expected value's seasonal part (for looking ahead); empty if none
    season: tuple[float, ...] = ()
    level: float = 0.0  # the expected value's trend at the last step


@dataclass(frozen=True, slots=True)
class Anomaly:
    index: int
    value: float
    expected: float
    lower: float
    upper: float
    score: float  # robust z: (value - expected) / σ
    side: Literal["high", "low"]


def _filled(values: Sequence[float | None]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    present = np.array([v is not None and math.isfinite(v) for v in values], dtype=bool)
    raw = np.array([v if v is not None else np.nan for v in values], dtype=float)
    index = np.arange(len(values))
    filled = np.interp(index, index[present], raw[present])
    return filled, present


def _running_median(y: np.ndarray[Any, Any], window: int) -> np.ndarray[Any, Any]:
    half = window // 2
    padded = np.pad(y, half, mode="reflect")
    views = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.asarray(np.median(views, axis=1))


def _robust_sigma(residuals: np.ndarray[Any, Any], floor: float) -> float:
    mad = float(np.median(np.abs(residuals - np.median(residuals))))
    return max(MAD_TO_SIGMA * mad, floor, 1e-12)


def _stl_once(y: np.ndarray[Any, Any], period: int) -> tuple[Any, Any]:
    from statsmodels.tsa.seasonal import STL

    cycles = len(y) // period
    fit = STL(y, period=period, seasonal=2 * cycles + 1, seasonal_deg=0).fit()
    return np.asarray(fit.trend), np.asarray(fit.seasonal)


def _stl(y: np.ndarray[Any, Any], period: int, policy: BandPolicy) -> tuple[Any, Any, Any]:
    trend, seasonal = _stl_once(y, period)
    resid = y - trend - seasonal
    outside = np.abs(resid) > policy.sigmas * _robust_sigma(resid, policy.min_sigma)
    if outside.any():
        # bridged from the points around them: their own expectation already leans their way
        index = np.arange(len(y))
        bridged = np.interp(index, index[~outside], y[~outside])
        trend, seasonal = _stl_once(bridged, period)
        resid = y - trend - seasonal
    return trend, seasonal, resid


def _strength(seasonal: np.ndarray[Any, Any], resid: np.ndarray[Any, Any]) -> float:
    total = float(np.var(seasonal + resid))
    return max(0.0, 1.0 - float(np.var(resid)) / total) if total > 0 else 0.0


def fit_band(values: Sequence[float | None], policy: BandPolicy) -> Band:
    """The band over ``values``' steps; ``InsufficientHistory`` below ``policy.min_points``."""
    present_count = sum(1 for v in values if v is not None and math.isfinite(v))
    if present_count < policy.min_points:
        raise InsufficientHistory(present_count, policy.min_points)
    y, _ = _filled(values)
    period = policy.period_steps
    if period is not None and len(y) >= policy.min_periods * period:
        trend, seasonal, resid = _stl(y, period, policy)
        strength = _strength(seasonal, resid)
        # noise alone averages to a "season" of strength about 1 / cycles: ask for twice that
        if strength >= max(policy.min_strength, 2 * period / len(y)):
            return _band(trend + seasonal, resid, policy, strength,
                         season=seasonal[-period:], level=float(trend[-1]))
        return _flat(y, policy, strength)
    return _flat(y, policy, None)


def _flat(y: np.ndarray[Any, Any], policy: BandPolicy, strength: float | None) -> Band:
    # A window of a quarter season (or of a quarter of the history) follows drift, not bursts.
    span = policy.period_steps or len(y)
    window = max(5, min(len(y) // 2, span // 4))
    expected = _running_median(y, window)
    return _band(expected, y - expected, policy, strength, season=np.array([]),
                 level=float(expected[-1]))


def _band(expected: np.ndarray[Any, Any], resid: np.ndarray[Any, Any], policy: BandPolicy,
          strength: float | None, *, season: np.ndarray[Any, Any], level: float) -> Band:
    sigma = _robust_sigma(resid, policy.min_sigma)
    width = policy.sigmas * sigma
    seasonal = len(season) > 0
    return Band(
        expected=tuple(float(v) for v in expected),
        lower=tuple(float(v - width) for v in expected),
        upper=tuple(float(v + width) for v in expected),
        sigma=sigma, sigmas=policy.sigmas, seasonal=seasonal,
        period_steps=policy.period_steps if seasonal else None,
        seasonal_strength=None if strength is None else round(strength, 4),
        season=tuple(float(v) for v in season), level=level,
    )


def anomalies(values: Sequence[float | None], band: Band, *, first: int = 0) -> list[Anomaly]:
    """The steps from index ``first`` on whose value lies outside the band (no-traffic steps
    never do), oldest first."""
    out = []
    for i in range(first, len(values)):
        value = values[i]
        if value is None or not math.isfinite(value):
            continue
        low, high = band.lower[i], band.upper[i]
        if low <= value <= high:
            continue
        score = (value - band.expected[i]) / band.sigma
        out.append(Anomaly(i, value, band.expected[i], low, high, round(score, 3),
                           "high" if value > high else "low"))
    return out


def ahead(band: Band, steps: int) -> tuple[float, ...]:
    """The expected value for the ``steps`` steps after the history: the last trend level plus
    the season where there is one (its phase continues from the last step)."""
    if not band.season:
        return tuple(band.level for _ in range(steps))
    period = len(band.season)
    return tuple(band.level + band.season[i % period] for i in range(steps))
