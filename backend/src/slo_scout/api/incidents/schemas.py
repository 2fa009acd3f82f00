"""The incident request; the answer is the summary dict of ``control.incidents.service``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    journey_id: int = Field(ge=1, le=2**31 - 1, description="the journey that burns")
    started_at: datetime = Field(description="when it started burning (RFC 3339, with a zone)")
    window_minutes: int = Field(15, ge=1, le=1440,
                                description="the incident window, from started_at")
    baseline_minutes: int = Field(60, ge=1, le=10080,
                                  description="the baseline, the minutes before started_at")

    @field_validator("started_at", mode="before")
    @classmethod
    def _rfc3339(cls, value: object) -> object:
        # pydantic would read "0.5" as Unix seconds; the document promises RFC 3339 date-times
        if isinstance(value, str) and not any(c in value for c in "-:T"):
            raise ValueError("use an RFC 3339 date-time such as 2026-11-01T00:00:00Z")
        return value

    @field_validator("started_at")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("add a time zone (e.g. Z)")
        return value


class IncidentOut(BaseModel):
    """The summary (docs/rca.md, "Incidents on stored data") and its Markdown ``note``."""

    model_config = ConfigDict(extra="allow")
    started_at: str
    severity: str
    affected_journeys: list[str]
    affected_slos: list[str]
    budget_consumed: float | None
    suspects: list[dict[str, Any]]
    journey: dict[str, Any]
    window: dict[str, Any]
    baseline: dict[str, Any]
    slos: list[dict[str, Any]]
    minutes_without_steps: int
    note: str
