"""Bodies of the ingest endpoint."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecordProblem(BaseModel):
    source: str
    record: str | None = Field(description="which record (span, line, row) was bad")
    field: str | None = Field(description="the offending field, when one is known")
    message: str


class FragmentOut(BaseModel):
    entry: str = Field(description="the topmost span that arrived (service and operation)")
    traces: int
    samples: list[str] = Field(description="a few of the fragments' trace ids")


class IngestOut(BaseModel):
    accepted_spans: int = Field(description="spans decoded and kept (counted or waiting)")
    rejected_records: int = Field(description="records skipped as unreadable")
    refused_traces: int = Field(
        default=0, description="traces that start before the retention's cutoff "
        "(stats_retention_days before now): not counted, each named in problems")
    traces: int = Field(description="traces counted now (this upload's and earlier ones')")
    waiting_traces: int = Field(
        description="traces of this upload waiting for more spans: counted when quiet for the "
        "trace gap, or at once with flush=true")
    duplicate_traces: int = Field(
        description="traces of this upload counted before (a resent upload): not again")
    late_spans: int = Field(description="spans of those traces: dropped")
    journeys: int
    new_journeys: int
    minute_rows: int = Field(description="per-minute statistics rows written or merged")
    services: list[str]
    fragments: list[FragmentOut] = Field(
        description="traces whose root never arrived: counted apart, never journeys")
    problems: list[RecordProblem] = Field(
        description="the first bad records and refused traces, at most 100")
