"""Request and response bodies of the analysis endpoints."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The window ends at the environment's data, not the wall clock, so old recordings need no long
# lookback; the cap bounds what one analysis loads (one row per journey per minute: 576,000 a
# journey at 400 days) and still holds a year's SLO window.
MAX_LOOKBACK = "400d"
MAX_LOOKBACK_S = 400 * 86400


def parse_lookback(text: str) -> int:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError("use a duration such as 30d, 12h or 90m")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if not 60 <= seconds <= MAX_LOOKBACK_S:
        raise ValueError(f"lookback must be between 1m and {MAX_LOOKBACK} (the cap on what "
                         "one analysis loads); the window ends at the newest stored minute "
                         "(or the end you name), so recorded data needs no longer lookback")
    return seconds


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("add a time zone, e.g. 2023-11-15T00:00:00Z")
    if not 1971 <= value.year <= 9998:  # the window's start must be a time too
        raise ValueError("use a time between the years 1971 and 9998")
    return value


class AnalyzeRequest(BaseModel):
    # strict: a boolean or a numeric string is not silently coerced (see slos/schemas.py)
    model_config = ConfigDict(strict=True)

    service: str = Field(min_length=1, max_length=200)
    environment: str = Field(default="production", min_length=1, max_length=100)
    lookback: str = Field(default="30d", examples=["30d", "7d", "12h"],
                          pattern=r"^[0-9]{1,6}[smhdw]$",
                          description=f"1m to {MAX_LOOKBACK}; the window is [end - lookback, end)")
    # JSON has no date-time type: an RFC 3339 string is parsed (strict mode would refuse
    # every string), and anything but a string is refused before that
    end: datetime | None = Field(
        default=None, strict=False, examples=["2023-11-15T00:00:00Z"],
        description="the window's end (RFC 3339 with a time zone); left out: the end of the "
        "environment's newest stored minute, whatever the wall clock says")
    strategy: Literal["conservative", "balanced", "aggressive"] = "balanced"
    include_incidents: bool = Field(
        default=False, description="keep the windows where a journey burned in the estimate "
        "targets come from (left out by default; each recommendation's evidence lists them)")

    @field_validator("lookback")
    @classmethod
    def _lookback(cls, value: str) -> str:
        parse_lookback(value)
        return value

    @field_validator("end", mode="before")
    @classmethod
    def _end_is_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise ValueError("use an RFC 3339 date-time string such as 2023-11-15T00:00:00Z")
        return value

    @field_validator("end")
    @classmethod
    def _end(cls, value: datetime | None) -> datetime | None:
        return _aware(value)


class JobLinks(BaseModel):
    self: str
    result: str | None = None
    journeys: str


class JobOut(BaseModel):
    id: str
    service: str
    environment: str
    status: Literal["queued", "running", "succeeded", "failed"]
    stage: str
    progress: float
    attempts: int
    max_attempts: int
    lookback_seconds: int
    end: datetime | None = Field(
        description="the end the request named; null: the newest stored minute's end, found "
        "when the job runs (the result's summary.window has it)")
    strategy: str
    include_incidents: bool
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    timings: dict[str, float]
    error: str | None
    links: JobLinks


class ResultOut(BaseModel):
    id: int
    job_id: str
    version: int
    created_at: datetime
    summary: dict[str, Any] = Field(description=(
        "journeys, minutes, requests, window, strategy, history_source, metric_family, "
        "metric_family_histogram, metric_family_source and metric_family_chosen_by (who chose "
        "the family: configured, prometheus, metric catalog or default)"))
    recommendations: list[dict[str, Any]]
