"""What discovery produces: traces, journeys, their variants and statistics.

A *trace* is one request's call tree. A *journey* is a kind of request: an entry (where the
request enters the system and what it asks for) plus the shape of the work it causes downstream.
Journeys are identified by a stable id derived from their structural fingerprint, so the same
traffic discovered twice, in one process or in a Flink job, yields the same ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ddsketch import DDSketch

from slo_scout.core.telemetry.model import Span

# 1% relative accuracy, as the issue asks; DDSketch sketches merge exactly across workers.
SKETCH_RELATIVE_ACCURACY = 0.01


def new_sketch() -> DDSketch:
    return DDSketch(relative_accuracy=SKETCH_RELATIVE_ACCURACY)


def quantile(sketch: DDSketch, q: float) -> float | None:
    """The ``q`` quantile by nearest rank: the ceil(q·n)-th smallest value (``None`` when empty).

    DDSketch itself ranks at q·(n−1), which on few requests reports a p99 below the slowest of
    them (of 59 ms and 928 ms, "p99 = 59 ms"); an SLO reader expects p99 of two requests to be
    the slower one. On many requests the two agree.
    """
    n = sketch.count
    if n <= 0:
        return None
    rank = max(math.ceil(q * n) - 1, 0)
    value: float | None = sketch.get_quantile_value(min(rank / (n - 1), 1.0) if n > 1 else 0.0)
    return value


# A hand-written ``__init__`` (not the dataclass one) so a compiled build compiles it too; see
# slo_scout.core.telemetry.model.Span.
@dataclass(slots=True, init=False)
class TraceNode:
    span: Span
    children: list[TraceNode]
    # start/end after clock-skew correction; the span itself is left as decoded.
    start_ns: int
    end_ns: int

    def __init__(
        self,
        span: Span,
        children: list[TraceNode] | None = None,
        start_ns: int = 0,
        end_ns: int = 0,
    ) -> None:
        self.span = span
        self.children = [] if children is None else children
        self.start_ns = start_ns
        self.end_ns = end_ns


@dataclass(slots=True)
class Trace:
    trace_id: str
    roots: list[TraceNode]
    span_count: int
    incomplete: bool = False  # an orphan's parent never arrived, or several roots
    problems: tuple[str, ...] = ()  # cycles broken, duplicate span ids dropped, skew corrected

    @property
    def root(self) -> TraceNode:
        """The main root: the earliest parent-less span (the request's entry)."""
        return self.roots[0]

    @property
    def fragment(self) -> bool:
        """The request's root never arrived: every top span names a parent that is missing.

        A fragment says nothing about which request it was part of, so it is never a journey.
        """
        return self.roots[0].span.parent_id is not None


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a request enters the system and what it asks for."""

    service: str
    operation: str  # http.route, rpc "Service/Method", templated path, or span name
    protocol: str  # "http" | "rpc" | "messaging" | "span"
    span_name: str  # the entry span's own name, as spanmetrics labels it
    method: str | None = None  # HTTP method when known

    @property
    def label(self) -> str:
        verb = f"{self.method} " if self.method and self.protocol == "http" else ""
        return f"{self.service} {verb}{self.operation}"


@dataclass(frozen=True, slots=True)
class Edge:
    caller: str  # service
    callee: str  # service
    operation: str  # callee's operation
    calls: int


@dataclass(slots=True)
class MinuteStats:
    """One journey's traffic in one minute: the row the time-series store keeps."""

    requests: int = 0
    errors: int = 0
    latency: DDSketch = field(default_factory=new_sketch)  # seconds


@dataclass(slots=True)
class Variant:
    fingerprint: str
    requests: int
    example_trace_id: str
    difference: str  # plain words: "skips ts-db", "retries payment.Charge"


@dataclass(slots=True)
class StepShare:
    service: str
    operation: str
    share: float  # mean fraction of the request's critical path spent in this step
    error_ratio: float  # fraction of this step's spans that failed


@dataclass(slots=True)
class Journey:
    id: str
    name: str
    entry: Entry
    fingerprint: str
    services: tuple[str, ...]
    edges: tuple[Edge, ...]
    requests: int
    errors: int
    first_seen_ns: int
    last_seen_ns: int
    latency: DDSketch  # seconds
    critical_path: tuple[StepShare, ...]
    sample_trace_ids: tuple[str, ...]
    variants: tuple[Variant, ...]
    minutes: dict[int, MinuteStats]  # minute start (Unix seconds) -> stats
    # What the rate is measured over: first to last request of everything discovered together
    # (a journey seen once in an hour is not "1 per second"); 0: this journey's own first..last.
    window_ns: int = 0

    @property
    def error_ratio(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def rate_per_s(self) -> float:
        window_ns = self.window_ns or self.last_seen_ns - self.first_seen_ns
        return self.requests / max(window_ns / 1e9, 1.0)

    def quantile(self, q: float) -> float | None:
        """Latency quantile in seconds; ``None`` when no request was seen."""
        return quantile(self.latency, q) if self.requests else None
