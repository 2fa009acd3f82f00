"""A journey's SLI bands with their anomalies, and an SLO's error-budget forecast.

Both read the journey's stored statistics (``history.steps``) and hand the numbers to the pure
``core.forecast``; what a caller may see is checked first (another team's journey or SLO does
not exist for them). Never commits; reads only.

Choices, stated once:
- the season is one day (``1440 / step_minutes`` steps; a step must divide a day), fitted from
  ``history_days`` of history before the asked range (default 14) and the range itself;
- each SLI's band policy (season, σ floor) is ``core.forecast.policy``'s;
- an SLO's current burn is its last hour's; its expected burn the band's expected bad ratio
  over the next day, with the mean's 95% interval (steps taken as independent);
- a fitted band is kept (``_fit``) by its exact input, the values and the policy, for the next
  caller with the same: the fits (STL, twice each) are most of what is left of a forecast's
  time once the minutes are read, and a page shown again before a new minute changes a step
  fits the same values. The read is never kept: new minutes give new values, hence a new fit.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.analysis.family import FamilyChoice
from slo_scout.control.auth.guard import require_visible
from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog.service import team_of_environment
from slo_scout.control.errors import InvalidField, NotFound
from slo_scout.control.forecast import repository
from slo_scout.control.forecast.history import Step, steps
from slo_scout.control.journeys import repository as journeys
from slo_scout.control.journeys.convert import journey_from_row
from slo_scout.control.slos.service import visible as visible_slo
from slo_scout.core.forecast import (
    Anomaly,
    Band,
    BandPolicy,
    BudgetForecast,
    InsufficientHistory,
    ahead,
    anomalies,
    fit_band,
    forecast,
)
from slo_scout.core.forecast.policy import (
    AVAILABILITY_FLOOR,
    DAY_MINUTES,
    SliName,
    daily_period,
    sli_policy,
)
from slo_scout.core.recommend.model import WindowCounts
from slo_scout.core.slis import sli_candidates
from slo_scout.db.models import JourneyRow

MAX_STEPS = 20_000  # one fit's size: 14 days at one minute, a year at 30 minutes
RECENT = timedelta(hours=1)
Z95 = 1.959964


@dataclass(frozen=True, slots=True)
class SliBand:
    sli: SliName
    status: Literal["ok", "insufficient_history"]
    have: int  # steps with traffic in the fitted span
    need: int
    band: Band | None
    first: int  # index of the asked range's first step in the fitted span
    times: tuple[datetime, ...]  # every fitted step's start
    values: tuple[float | None, ...]
    anomalies: tuple[Anomaly, ...]


@dataclass(frozen=True, slots=True)
class JourneyBands:
    journey_id: int
    start: datetime
    end: datetime
    step_minutes: int
    history_start: datetime
    source: Literal["stored", "prometheus"]
    slis: tuple[SliBand, ...]


@dataclass(frozen=True, slots=True)
class SloForecast:
    slo_id: int
    journey_id: int
    sli_kind: str
    objective_percent: float
    step_minutes: int
    expected_status: Literal["ok", "insufficient_history"]
    budget: BudgetForecast


async def visible_journey(session: AsyncSession, principal: Principal, journey_id: int
                          ) -> JourneyRow:
    row = await journeys.get_journey(session, journey_id)
    if row is None:
        raise NotFound(f"journey {journey_id}")
    team, _, _ = await team_of_environment(session, row.environment_id)
    require_visible(principal, team, "viewer", f"journey {journey_id}")
    return row


async def newest_end(session: AsyncSession, principal: Principal, journey_id: int,
                     step_minutes: int) -> datetime | None:
    """The end of the step (of ``step_minutes``, counted from midnight UTC) holding the
    journey's newest stored minute; None: none stored."""
    await visible_journey(session, principal, journey_id)
    newest = await repository.last_minute(session, journey_id)
    if newest is None:
        return None
    midnight = newest.replace(hour=0, minute=0, second=0, microsecond=0)
    step = timedelta(minutes=step_minutes)
    return midnight + ((newest - midnight) // step + 1) * step


KEPT_FITS, KEPT_STEPS = 32, 4_000  # at most about 16 MiB kept (a 30-day hourly fit: 0.1 MiB)


@lru_cache(maxsize=KEPT_FITS)
def _kept_fit(values: tuple[float | None, ...], policy: BandPolicy) -> Band:
    return fit_band(values, policy)


def _fit(values: Sequence[float | None], policy: BandPolicy) -> Band:
    """``fit_band``, kept for the same values and policy (a pure function of them) where the
    fit is no longer than ``KEPT_STEPS``; raises ``InsufficientHistory`` as it does (an
    exception is not kept)."""
    if len(values) > KEPT_STEPS:
        return fit_band(values, policy)
    return _kept_fit(tuple(values), policy)


def sli_band(sli: SliName, times: Sequence[datetime], values: Sequence[float | None],
             first: int, step_minutes: int) -> SliBand:
    """One SLI's band over the fitted span and its anomalies from step ``first`` on."""
    policy = sli_policy(sli, step_minutes, values)
    try:
        band = _fit(values, policy)
    except InsufficientHistory as short:
        return SliBand(sli, "insufficient_history", short.have, short.need, None, first,
                       tuple(times), tuple(values), ())
    have = sum(1 for v in values if v is not None)
    if sli == "availability":  # a ratio's band ends at 1
        band = _clipped(band)
    return SliBand(sli, "ok", have, policy.min_points, band, first, tuple(times),
                   tuple(values), tuple(anomalies(values, band, first=first)))


def _clipped(band: Band) -> Band:
    return replace(band, upper=tuple(min(1.0, v) for v in band.upper),
                   lower=tuple(max(0.0, v) for v in band.lower))


def check_step(step_minutes: int) -> timedelta:
    if DAY_MINUTES % step_minutes:
        raise InvalidField("step_minutes", "must divide a day (1, 5, 10, 15, 30, 60, ...)")
    return timedelta(minutes=step_minutes)


def _span(start: datetime, end: datetime, step: timedelta) -> int:
    count = math.ceil((end - start) / step)
    if count > MAX_STEPS:
        raise InvalidField("step_minutes", f"{count} steps of history and range: at most "
                           f"{MAX_STEPS}; use a larger step or fewer history_days")
    return count


class AvailabilityHistory(Protocol):
    """A Prometheus-compatible server's SLI history (``control.analysis.history``)."""

    async def detect_family(self) -> FamilyChoice: ...

    async def window_counts(self, good_query: str, total_query: str, *, now: datetime,
                            lookback_s: int, windows: int) -> list[WindowCounts]: ...


async def _served_availability(history: AvailabilityHistory, row: JourneyRow, end: datetime,
                               step: timedelta, count: int) -> list[float | None]:
    """Each step's availability from the server: the journey's availability SLI queries (for
    the family the server holds), one window per step, ending at ``end``."""
    family = (await history.detect_family()).family
    availability, _ = sli_candidates(journey_from_row(row, []), family)
    windows = await history.window_counts(
        availability.good_query, availability.total_query, now=end,
        lookback_s=int(step.total_seconds()) * count, windows=count)
    return [w.good / w.total if w.total else None for w in windows]


async def journey_bands(
    session: AsyncSession, principal: Principal, journey_id: int, *, start: datetime,
    end: datetime, step_minutes: int, history_days: int,
    history: AvailabilityHistory | None = None,
) -> JourneyBands:
    """The journey's availability and p99 bands over ``start``..``end``, fitted on that range and
    the ``history_days`` before it, with the range's anomalies. With ``history`` the
    availability comes from that server instead of the stored statistics (p99 stays theirs)."""
    row = await visible_journey(session, principal, journey_id)
    step = check_step(step_minutes)
    history_start = start - timedelta(days=history_days)
    count = _span(history_start, end, step)
    rows = await steps(session, journey_id, history_start, history_start + count * step, step)
    first = int((start - history_start) / step)
    times = [s.start for s in rows]
    availability = [s.availability for s in rows]
    if history is not None:
        if step_minutes < 5:
            raise InvalidField("step_minutes", "at least 5 with a Prometheus source (its "
                               "rate() needs several scrapes in each step)")
        availability = await _served_availability(history, row, history_start + count * step,
                                                  step, count)
    return JourneyBands(
        journey_id=journey_id, start=start, end=end, step_minutes=step_minutes,
        history_start=history_start, source="prometheus" if history is not None else "stored",
        slis=(
            sli_band("availability", times, availability, first, step_minutes),
            sli_band("latency_p99", times, [s.p99_s for s in rows], first, step_minutes),
        ),
    )


def _expected_bad_ratio(rows: Sequence[Step], bad: Sequence[int], step_minutes: int
                        ) -> tuple[float, float, float] | None:
    ratios = [b / s.requests if s.requests else None for s, b in zip(rows, bad, strict=True)]
    policy = BandPolicy(period_steps=daily_period(step_minutes),
                        min_sigma=AVAILABILITY_FLOOR / 10)
    try:
        band = _fit(ratios, policy)
    except InsufficientHistory:
        return None
    horizon = DAY_MINUTES // step_minutes
    mean = max(0.0, statistics.fmean(ahead(band, horizon)))
    half = Z95 * band.sigma / math.sqrt(horizon)
    return mean, max(0.0, mean - half), mean + half


async def slo_forecast(
    session: AsyncSession, principal: Principal, slo_id: int, *, now: datetime,
    step_minutes: int,
) -> SloForecast:
    """The SLO's budget over its window ending at ``now``: spent, burning, running out when."""
    return (await _slo_window(session, principal, slo_id, now=now,
                              step_minutes=step_minutes, band=False))[0]


async def slo_outlook(
    session: AsyncSession, principal: Principal, slo_id: int, *, now: datetime,
    step_minutes: int,
) -> tuple[SloForecast, SliBand]:
    """The SLO's forecast and its SLI's band over the same window (fitted on the window alone,
    its anomalies the window's), from one read of the window's minutes: the SLO's incidents
    beside its budget, as the review UI shows them."""
    result, rows = await _slo_window(session, principal, slo_id, now=now,
                                     step_minutes=step_minutes, band=True)
    times = [s.start for s in rows]
    if result.sli_kind == "availability":
        band = sli_band("availability", times, [s.availability for s in rows], 0, step_minutes)
    else:
        band = sli_band("latency_p99", times, [s.p99_s for s in rows], 0, step_minutes)
    return result, band


async def _slo_window(
    session: AsyncSession, principal: Principal, slo_id: int, *, now: datetime,
    step_minutes: int, band: bool,
) -> tuple[SloForecast, list[Step]]:
    """The forecast and the window's steps; with ``band`` the steps hold what the SLI's band
    needs too (a latency SLO's p99), else only what the forecast needs (latency sketches are
    read for a latency SLO with a threshold only)."""
    slo = await visible_slo(session, principal, slo_id, "viewer")
    if slo.journey_id is None:
        raise InvalidField("slo", f"SLO {slo_id} names no journey: nothing to forecast from")
    step = check_step(step_minutes)
    window = timedelta(days=slo.window_days)
    start = now - window
    _span(start, now, step)
    latency = slo.sli_kind == "latency" and slo.threshold_seconds is not None
    rows = await steps(session, slo.journey_id, start, now, step,
                       latency=latency or (band and slo.sli_kind != "availability"),
                       threshold_s=slo.threshold_seconds if latency else None)
    bad = [s.slow if latency else s.errors for s in rows]
    requests = sum(s.requests for s in rows)
    seen = [s.start for s in rows if s.requests]
    covered = now - seen[0] if seen else timedelta(0)
    recent = [(s, b) for s, b in zip(rows, bad, strict=True) if s.start >= now - RECENT]
    expected = _expected_bad_ratio(rows, bad, step_minutes)
    return SloForecast(
        slo_id=slo_id, journey_id=slo.journey_id, sli_kind=slo.sli_kind,
        objective_percent=slo.objective, step_minutes=step_minutes,
        expected_status="ok" if expected is not None else "insufficient_history",
        budget=forecast(
            objective=slo.objective / 100, window_days=slo.window_days, now=now, requests=requests,
            bad=sum(bad), covered=covered, recent_requests=sum(s.requests for s, _ in recent),
            recent_bad=sum(b for _, b in recent), expected_bad_ratio=expected,
        ),
    ), rows
