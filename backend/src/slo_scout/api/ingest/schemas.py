"""Bodies of the ingest endpoint."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecordProblem(BaseModel):
    source: str
    record: str | None = Field(description="which record (span, line, row) was bad")
    field: str | None = Field(description="the offending field, when one is known")
    message: str


class IngestOut(BaseModel):
    accepted_spans: int = Field(description="spans decoded and stored")
    rejected_records: int = Field(description="records skipped as unreadable")
    traces: int
    journeys: int
    new_journeys: int
    minute_rows: int = Field(description="per-minute statistics rows written or merged")
    services: list[str]
    problems: list[RecordProblem] = Field(description="the first bad records, at most 100")
