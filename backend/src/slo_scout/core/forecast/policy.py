"""The band policy of each journey SLI, one place for the API and the report.

The season is one day: ``1440 / step_minutes`` steps (a step should divide a day). σ floors:
availability 0.001 (0.1 percentage point), p99 latency 2% of its median, so a flat history does
not make noise of every single failed or slow request.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Literal

from slo_scout.core.forecast.band import BandPolicy

DAY_MINUTES = 1440
AVAILABILITY_FLOOR = 0.001
LATENCY_FLOOR = 0.02  # of the median p99

SliName = Literal["availability", "latency_p99"]


def daily_period(step_minutes: int) -> int | None:
    steps = DAY_MINUTES // step_minutes
    return steps if steps >= 2 and DAY_MINUTES % step_minutes == 0 else None


def sli_policy(sli: SliName, step_minutes: int, values: Sequence[float | None]) -> BandPolicy:
    period = daily_period(step_minutes)
    if sli == "availability":
        return BandPolicy(period_steps=period, min_sigma=AVAILABILITY_FLOOR)
    present = [v for v in values if v is not None]
    floor = LATENCY_FLOOR * statistics.median(present) if present else 0.0
    return BandPolicy(period_steps=period, min_sigma=floor)
