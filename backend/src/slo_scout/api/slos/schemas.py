"""Bodies of the SLO endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLO_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
SliKindName = Literal["availability", "latency"]
SloStatus = Literal["proposed", "approved", "rejected"]
WINDOW_DAYS = ("the SLO period in days: 28 or 30, the periods Sloth ships alert windows for "
               "(others are refused with 422)")
THRESHOLD = ("latency SLOs only: a bucket boundary of the metric family's histogram, in seconds "
             "(spanmetrics: 0.002 ... 15); others are refused with 422 naming the nearest")

# Request bodies are strict: `true` is not the number 1 and "30" is not 30 (JSON has types;
# coercing them hides client bugs). Integers are still accepted where a float is expected.
STRICT = ConfigDict(strict=True)


class SloByHand(BaseModel):
    model_config = STRICT

    service: str = Field(min_length=1, max_length=200)
    environment: str = Field(default="production", min_length=1, max_length=100)
    journey_id: int = Field(ge=1, le=2**31 - 1, description="the journey this SLO measures")
    name: str = Field(min_length=1, max_length=63, pattern=SLO_NAME)
    sli_kind: SliKindName
    objective: float = Field(gt=0, lt=100, description="percent of good events, e.g. 99.9")
    threshold_seconds: float | None = Field(default=None, gt=0, le=3600, description=THRESHOLD)
    window_days: int = Field(default=30, ge=1, le=90, description=WINDOW_DAYS)
    description: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _threshold(self) -> SloByHand:
        if (self.sli_kind == "latency") != (self.threshold_seconds is not None):
            raise ValueError("threshold_seconds is required for latency SLOs and only for them")
        return self


class SloFromRecommendation(BaseModel):
    model_config = STRICT

    result_id: int = Field(ge=1, le=2**31 - 1, description="an analysis result")
    journey_key: str = Field(min_length=1, max_length=64)
    sli_kind: SliKindName
    name: str | None = Field(default=None, min_length=1, max_length=63, pattern=SLO_NAME)
    window_days: int = Field(default=30, ge=1, le=90, description=WINDOW_DAYS)
    description: str = Field(default="", max_length=2000)


class SloEdit(BaseModel):
    model_config = STRICT

    name: str | None = Field(default=None, min_length=1, max_length=63, pattern=SLO_NAME)
    objective: float | None = Field(default=None, gt=0, lt=100)
    threshold_seconds: float | None = Field(default=None, gt=0, le=3600, description=THRESHOLD)
    window_days: int | None = Field(default=None, ge=1, le=90, description=WINDOW_DAYS)
    description: str | None = Field(default=None, max_length=2000)
    comment: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1,
        description="the version you edited; 409 if the SLO is another version now "
                    "(or send If-Match with the ETag of GET)")


class Review(BaseModel):
    model_config = STRICT

    comment: str = Field(min_length=1, max_length=2000, description="why; required")
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1,
        description="the version you reviewed (GET's `version`); required unless If-Match "
                    "carries GET's ETag. 409 with the current version if it is another one "
                    "now or was reviewed meanwhile")


class SloOut(BaseModel):
    id: int
    team: str
    service: str
    environment: str
    journey_id: int | None
    name: str
    sli_kind: str
    objective: float
    threshold_seconds: float | None
    window_days: int
    description: str
    status: SloStatus
    version: int
    source: Literal["manual", "recommendation", "provisional"]
    result_id: int | None
    last_changed_by: str
    created_at: datetime
    updated_at: datetime


class SloPage(BaseModel):
    items: list[SloOut]
    total: int
    limit: int
    offset: int


class RevisionOut(BaseModel):
    version: int
    action: Literal["create", "edit", "approve", "reject"]
    actor: str
    comment: str | None
    snapshot: dict[str, Any]
    at: datetime
