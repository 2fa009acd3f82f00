"""The values root-cause ranking takes and gives: log lines, metric rows, suspects, evidence.

Inputs are plain values a runtime built from files or storage (spans come as
:class:`slo_scout.core.telemetry.Span`); the log template is mined before it reaches the core
(Drain3 lives in an adapter), so the core only counts templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# code: errors or wrong results; latency: slower work with no resource to blame; the rest: the
# resource whose metric left its band.
FaultKind = Literal["code", "latency", "cpu", "memory", "network"]
FAULT_KINDS: tuple[FaultKind, ...] = ("code", "latency", "cpu", "memory", "network")


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One log line: when, which service wrote it, its template, and whether it is an error."""

    time_ns: int
    service: str
    template: str
    error: bool = False
    trace_id: str | None = None
    span_id: str | None = None


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One value of one pod metric (``resource`` says which kind of fault it would point to)."""

    time_ns: int
    service: str
    metric: str
    resource: FaultKind
    value: float


@dataclass(frozen=True, slots=True)
class Evidence:
    """One finding: which signal saw it, where, how surprising it is and in words why.

    ``surprise`` is ``-log10`` of the probability of what was seen in the incident window if
    the baseline still held (a tail probability), so findings of every signal share one unit.
    """

    signal: str
    service: str
    operation: str | None
    kind: FaultKind
    surprise: float
    detail: str


@dataclass(slots=True)
class Suspect:
    service: str
    score: float
    kind: FaultKind
    operation: str | None = None
    signals: dict[str, float] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "operation": self.operation,
            "kind": self.kind,
            "score": round(self.score, 3),
            "signals": {name: round(value, 3) for name, value in sorted(self.signals.items())},
            "evidence": [
                {
                    "signal": e.signal,
                    "operation": e.operation,
                    "kind": e.kind,
                    "surprise": round(e.surprise, 3),
                    "detail": e.detail,
                }
                for e in self.evidence
            ],
        }


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time interval ``[start_ns, end_ns)``."""

    start_ns: int
    end_ns: int

    def __contains__(self, time_ns: object) -> bool:
        return isinstance(time_ns, int) and self.start_ns <= time_ns < self.end_ns
