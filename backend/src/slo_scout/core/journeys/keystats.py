"""The accumulator behind one journey key: counts, sketches, graph, steps, variants.

Every field merges exactly (integer counts, DDSketch buckets, minimum sample keys), so the merge
of per-worker accumulators equals the accumulator of one pass over the same traces. Critical-path
shares are kept as integer parts per billion per trace for that reason (float sums would depend
on the order of addition).
"""

from __future__ import annotations

import copy
from bisect import insort
from dataclasses import dataclass, field
from typing import Final

from ddsketch import DDSketch

from slo_scout.core.journeys.fingerprint import Shape, direct_calls
from slo_scout.core.journeys.model import (
    Edge,
    Entry,
    Journey,
    MinuteStats,
    StepShare,
    Trace,
    TraceNode,
    Variant,
    new_sketch,
)
from slo_scout.core.journeys.naming import variant_difference
from slo_scout.core.journeys.templating import template_operation

MAX_SAMPLES: Final = 5
_PPB: Final = 1_000_000_000
_MINUTE_NS: Final = 60_000_000_000

_Call = tuple[str, str]
_EdgeKey = tuple[str, str, str]
_Sample = tuple[int, str]  # (entry start ns, trace id): the earliest requests are the samples


@dataclass(slots=True)
class VariantStats:
    shape: Shape
    requests: int
    example: _Sample


@dataclass(slots=True)
class KeyStats:
    key_id: str
    fingerprint: str
    entry: Entry
    generic: bool
    direct: frozenset[_Call] = frozenset()
    requests: int = 0
    errors: int = 0
    first_ns: int = 0
    last_ns: int = 0
    latency: DDSketch = field(default_factory=new_sketch)
    minutes: dict[int, MinuteStats] = field(default_factory=dict)
    edges: dict[_EdgeKey, int] = field(default_factory=dict)
    steps: dict[_Call, list[int]] = field(default_factory=dict)  # [spans, errors, cp ppb]
    # the same step counts per minute (minute start s -> step -> [spans, errors, cp ppb]): what
    # an incident compares before and after it started (control.incidents); stored per key
    # minute beside ``minutes``, never in the summary
    minute_steps: dict[int, dict[_Call, list[int]]] = field(default_factory=dict)
    samples: list[_Sample] = field(default_factory=list)
    variants: dict[str, VariantStats] = field(default_factory=dict)

    def record(
        self,
        trace: Trace,
        entry: TraceNode,
        shape: Shape,
        fingerprint: str,
        shares: dict[_Call, int],
    ) -> None:
        start, end = entry.start_ns, entry.end_ns
        failed = entry.span.error
        seconds = max(end - start, 0) / 1e9
        if not self.requests or start < self.first_ns:
            self.first_ns = start
        if not self.requests or start > self.last_ns:
            self.last_ns = start
        self.requests += 1
        self.errors += failed
        self.latency.add(seconds)
        minute_key = start // _MINUTE_NS * 60
        minute = self.minutes.get(minute_key)
        if minute is None:
            minute = self.minutes[minute_key] = MinuteStats()
        minute.requests += 1
        minute.errors += failed
        minute.latency.add(seconds)
        sample = (start, trace.trace_id)
        if len(self.samples) < MAX_SAMPLES or sample < self.samples[-1]:
            insort(self.samples, sample)
            del self.samples[MAX_SAMPLES:]
        variant = self.variants.get(fingerprint)
        if variant is None:
            self.variants[fingerprint] = VariantStats(shape, 1, sample)
        else:
            variant.requests += 1
            if sample < variant.example:
                variant.example = sample
        at_minute = self.minute_steps.get(minute_key)
        if at_minute is None:
            at_minute = self.minute_steps[minute_key] = {}
        self._walk(trace.root, at_minute)
        steps = self.steps
        for step, ppb in shares.items():
            counts = steps.get(step)
            if counts is None:
                counts = steps[step] = [0, 0, 0]
            counts[2] += ppb
            counts = at_minute.get(step)
            if counts is None:
                counts = at_minute[step] = [0, 0, 0]
            counts[2] += ppb

    def _walk(self, root: TraceNode, at_minute: dict[_Call, list[int]]) -> None:
        steps, edges = self.steps, self.edges
        steps_get, edges_get, minute_get = steps.get, edges.get, at_minute.get
        template = template_operation
        stack: list[tuple[TraceNode, str | None]] = [(root, None)]
        pop, push = stack.pop, stack.append
        while stack:
            node, caller = pop()
            span = node.span
            service = span.service
            operation = template(span.name)
            step = (service, operation)
            counts = steps_get(step)
            if counts is None:
                counts = steps[step] = [0, 0, 0]
            counts[0] += 1
            in_minute = minute_get(step)
            if in_minute is None:
                in_minute = at_minute[step] = [0, 0, 0]
            in_minute[0] += 1
            if span.error:
                counts[1] += 1
                in_minute[1] += 1
            if caller is not None and caller != service:
                edge = (caller, service, operation)
                edges[edge] = edges_get(edge, 0) + 1
            for child in node.children:
                push((child, service))

    def copy(self) -> KeyStats:
        # The entry is an immutable value, shared rather than copied (a compiled frozen class
        # cannot be rebuilt by deepcopy's setattr); everything else is this accumulator's own.
        return copy.deepcopy(self, {id(self.entry): self.entry})

    def merge(self, other: KeyStats) -> None:
        if other.requests:
            if not self.requests or other.first_ns < self.first_ns:
                self.first_ns = other.first_ns
            if not self.requests or other.last_ns > self.last_ns:
                self.last_ns = other.last_ns
        self.requests += other.requests
        self.errors += other.errors
        self.latency.merge(other.latency)
        for key, theirs in other.minutes.items():
            mine = self.minutes.get(key)
            if mine is None:
                mine = self.minutes[key] = MinuteStats()
            mine.requests += theirs.requests
            mine.errors += theirs.errors
            mine.latency.merge(theirs.latency)
        _add_steps(self.minute_steps, other.minute_steps)
        for edge, calls in other.edges.items():
            self.edges[edge] = self.edges.get(edge, 0) + calls
        for step, counts in other.steps.items():
            mine_counts = self.steps.setdefault(step, [0, 0, 0])
            for i in range(3):
                mine_counts[i] += counts[i]
        self.samples = sorted({*self.samples, *other.samples})[:MAX_SAMPLES]
        for fingerprint, variant in other.variants.items():
            current = self.variants.get(fingerprint)
            if current is None:
                self.variants[fingerprint] = VariantStats(
                    variant.shape, variant.requests, variant.example
                )
            else:
                current.requests += variant.requests
                current.example = min(current.example, variant.example)

    def direct_services(self) -> list[str]:
        """Services the entry calls directly, over all variants, by name."""
        services = {
            service
            for variant in self.variants.values()
            for service, _ in direct_calls(variant.shape)
        }
        return sorted(services)

    def to_journey(
        self, journey_id: str, fingerprint: str, name: str, window_ns: int = 0
    ) -> Journey:
        ranked = sorted(self.variants.items(), key=lambda item: (-item[1].requests, item[0]))
        main_shape = ranked[0][1].shape
        variants = tuple(
            Variant(
                fingerprint=fp,
                requests=v.requests,
                example_trace_id=v.example[1],
                difference=variant_difference(v.shape, main_shape),
            )
            for fp, v in ranked
        )
        steps = tuple(
            sorted(
                (
                    StepShare(
                        service=service,
                        operation=operation,
                        share=counts[2] / _PPB / self.requests,
                        error_ratio=counts[1] / counts[0] if counts[0] else 0.0,
                    )
                    for (service, operation), counts in self.steps.items()
                ),
                key=lambda s: (-s.share, s.service, s.operation),
            )
        )
        services = sorted({self.entry.service} | {service for service, _ in self.steps})
        return Journey(
            id=journey_id,
            name=name,
            entry=self.entry,
            fingerprint=fingerprint,
            services=tuple(services),
            edges=tuple(Edge(a, b, op, calls) for (a, b, op), calls in sorted(self.edges.items())),
            requests=self.requests,
            errors=self.errors,
            first_seen_ns=self.first_ns,
            last_seen_ns=self.last_ns,
            latency=copy.deepcopy(self.latency),
            critical_path=steps,
            sample_trace_ids=tuple(trace_id for _, trace_id in self.samples),
            variants=variants,
            minutes=copy.deepcopy(self.minutes),
            window_ns=window_ns,
        )


def _add_steps(into: dict[int, dict[_Call, list[int]]],
               other: dict[int, dict[_Call, list[int]]]) -> None:
    for minute, steps in other.items():
        mine = into.setdefault(minute, {})
        for step, counts in steps.items():
            current = mine.setdefault(step, [0, 0, 0])
            for i in range(3):
                current[i] += counts[i]
