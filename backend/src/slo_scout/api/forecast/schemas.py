"""Bands, anomalies and budget forecasts as the API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class BandPoint(BaseModel):
    start: datetime
    value: float | None = Field(description="the step's SLI; null: no traffic")
    expected: float
    lower: float
    upper: float


class AnomalyOut(BaseModel):
    start: datetime
    value: float
    expected: float
    lower: float
    upper: float
    score: float = Field(description="robust z: (value - expected) / sigma; above the band > 0")
    side: Literal["high", "low"]


class SliBandOut(BaseModel):
    sli: Literal["availability", "latency_p99"]
    status: Literal["ok", "insufficient_history"]
    steps_with_traffic: int
    steps_needed: int
    seasonal: bool = False
    period_steps: int | None = None
    seasonal_strength: float | None = None
    sigma: float | None = None
    sigmas: float | None = Field(None, description="the band's half-width in sigmas")
    points: list[BandPoint] = Field(description="the asked range's steps (empty if no band)")
    anomalies: list[AnomalyOut]


class JourneyAnomalies(BaseModel):
    journey_id: int
    start: datetime
    end: datetime
    step_minutes: int
    history_start: datetime = Field(description="where the band's fit starts")
    source: Literal["stored", "prometheus"] = Field(
        description="where availability came from (p99 is always the stored statistics')")
    slis: list[SliBandOut]


class BurnOut(BaseModel):
    burn_rate: float = Field(description="1 spends exactly the budget in one window")
    burn_rate_low: float
    burn_rate_high: float
    exhausted_at: datetime | None = Field(description="null: not within ten years at this rate")
    earliest: datetime | None
    latest: datetime | None


class BudgetOut(BaseModel):
    window_requests: float = Field(description="requests in the window (extrapolated where the "
                                   "history covers only part of it)")
    bad: int
    allowed_bad: float
    consumed: float = Field(description="fraction of the budget spent (may exceed 1)")
    remaining: float


class SloForecastOut(BaseModel):
    slo_id: int
    journey_id: int
    sli_kind: str
    objective: float = Field(description="percent, as the SLO states it")
    window_days: int
    now: datetime
    step_minutes: int
    budget: BudgetOut
    current: BurnOut | None = Field(description="at the last hour's burn; null: no traffic")
    expected: BurnOut | None = Field(description="at the band's expected burn over the next day")
    expected_status: Literal["ok", "insufficient_history"]
    summary: str
