"""Fragments: traces whose root never arrived, counted apart and never made into journeys.

A recording cut mid-request, spans lost by a collector, or the second half of a trace that was
closed before it arrived all leave call trees without their entry. Grouping them as journeys
would invent request kinds ("get cart" called from nowhere, one request each); they are
reported by their topmost span instead, so an operator sees how much was incomplete and where.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field
from typing import Final

from slo_scout.core.journeys.model import Trace
from slo_scout.core.journeys.templating import template_operation

MAX_FRAGMENT_SAMPLES: Final = 5


@dataclass(slots=True)
class FragmentStats:
    """Fragments whose topmost span is the same service and (templated) operation."""

    service: str
    operation: str
    traces: int = 0
    spans: int = 0
    samples: list[tuple[int, str]] = field(default_factory=list)  # (top start ns, trace id)
    last_start_ns: int = 0  # the latest fragment's top span start (samples keep the earliest)

    @property
    def label(self) -> str:
        return f"{self.service} {self.operation}"

    def record(self, trace: Trace) -> None:
        self.traces += 1
        self.spans += trace.span_count
        sample = (trace.root.start_ns, trace.trace_id)
        self.last_start_ns = max(self.last_start_ns, sample[0])
        if len(self.samples) < MAX_FRAGMENT_SAMPLES or sample < self.samples[-1]:
            insort(self.samples, sample)
            del self.samples[MAX_FRAGMENT_SAMPLES:]

    def merge(self, other: FragmentStats) -> None:
        self.traces += other.traces
        self.spans += other.spans
        self.last_start_ns = max(self.last_start_ns, other.last_start_ns)
        self.samples = sorted({*self.samples, *other.samples})[:MAX_FRAGMENT_SAMPLES]


def fragment_key(trace: Trace) -> tuple[str, str]:
    span = trace.root.span
    return span.service, template_operation(span.name)
