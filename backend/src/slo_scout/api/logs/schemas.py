"""Log templates as the API returns them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class JourneyTraces(BaseModel):
    journey_id: int
    traces: int = Field(description="the range's traces of this journey that logged it")


class LogTemplateOut(BaseModel):
    id: str
    service: str = Field(description="the service that logged it (the span's service.name)")
    template: str = Field(description="the mined template, variable parts as <NUM>, <IP>, ...")
    occurrences: int = Field(description="lines in all, since first seen")
    first_seen: datetime
    last_seen: datetime
    new: bool = Field(description="first seen in the range: the baseline before it never had it")
    traces: int = Field(description="the range's counted traces that logged it")
    journeys: list[JourneyTraces]
    sample_trace_ids: list[str] = Field(description="linked traces, the latest first")


class LogTemplatePage(BaseModel):
    service: str
    environment: str
    start: datetime
    end: datetime
    journey_id: int | None
    items: list[LogTemplateOut]
