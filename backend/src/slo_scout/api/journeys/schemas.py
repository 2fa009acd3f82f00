"""Journey bodies: list items, detail with its graph, per-minute statistics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class JourneySummary(BaseModel):
    id: int
    key: str
    name: str
    service: str
    environment: str
    entry_service: str
    entry_operation: str
    requests: int
    errors: int
    error_ratio: float
    p50_s: float | None
    p99_s: float | None
    first_seen: datetime
    last_seen: datetime


class JourneyPage(BaseModel):
    items: list[JourneySummary]
    total: int
    limit: int
    offset: int


class GraphEdge(BaseModel):
    caller: str
    callee: str
    operation: str
    calls: int


class CriticalStep(BaseModel):
    service: str
    operation: str
    share: float
    error_ratio: float


class JourneyGraph(BaseModel):
    nodes: list[str]
    edges: list[GraphEdge]


class LogTemplate(BaseModel):
    """An error log template logged in the journey's traces (the streaming catalog job's)."""

    service: str
    template: str
    occurrences: int = Field(description="how many of the journey's traces logged it")
    first_seen: datetime
    last_seen: datetime


class JourneyDetail(JourneySummary):
    protocol: str
    span_name: str
    method: str | None
    fingerprint: str
    p90_s: float | None
    p95_s: float | None
    graph: JourneyGraph
    critical_path: list[CriticalStep]
    sample_trace_ids: list[str]
    log_templates: list[LogTemplate] = Field(
        default_factory=list,
        description="error log templates of the journey's traces, most frequent first (top 20)")


class StatPoint(BaseModel):
    start: datetime
    requests: int
    errors: int
    p50_s: float | None
    p99_s: float | None


class JourneyStats(BaseModel):
    journey_id: int
    start: datetime
    end: datetime
    step_minutes: int
    points: list[StatPoint]


class ApprovedObjectiveOut(BaseModel):
    """One approved SLO of a neighbour: the version in force (the last one approved)."""

    slo_id: int
    version: int
    kind: str = Field(description="availability or latency")
    objective: float = Field(description="percent, e.g. 99.9")
    threshold_s: float | None = Field(description="the latency SLI's threshold in seconds")


class SimilarJourneyOut(BaseModel):
    journey_id: int
    environment: str
    service: str
    name: str
    similarity: float = Field(description="cosine similarity of the two descriptions' vectors, "
                                          "1.0 for the same")
    approved: list[ApprovedObjectiveOut]


class SimilarJourneys(BaseModel):
    journey_id: int
    items: list[SimilarJourneyOut] = Field(
        description="the nearest journeys the caller may see, of every service and "
                    "environment, nearest first")
