"""Spans in, journeys out: the one call every runtime makes, and its JSON form.

``discover`` wires :class:`TraceAssembler` (bounded buffering by event time) to
:class:`JourneyCatalog`; ``discovery_to_dict`` renders the result as the ``journeys.json``
document: deterministic (sorted keys and lists, rounded floats), so the same input gives
byte-identical output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from slo_scout.core.journeys.assembler import DEFAULT_IDLE_NS, TraceAssembler
from slo_scout.core.journeys.catalog import JourneyCatalog
from slo_scout.core.journeys.fragments import FragmentStats
from slo_scout.core.journeys.model import Journey, MinuteStats, quantile
from slo_scout.core.telemetry.model import Span

QUANTILES: Final = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99))
SCHEMA_VERSION: Final = 1
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Discovery:
    journeys: list[Journey]
    trace_count: int
    span_count: int
    incomplete_traces: int
    fragments: list[FragmentStats] = field(default_factory=list)
    problems: dict[str, int] = field(default_factory=dict)  # problem kind -> traces with it


def discover(batches: Iterable[list[Span]], *, idle_ns: int = DEFAULT_IDLE_NS) -> Discovery:
    """Assemble traces from span batches (any order) and group them into journeys."""
    assembler = TraceAssembler(idle_ns)
    catalog = JourneyCatalog()
    for batch in batches:
        for trace in assembler.add(batch):
            catalog.add(trace)
    for trace in assembler.close():
        catalog.add(trace)
    return Discovery(
        journeys=catalog.journeys(),
        trace_count=catalog.traces,
        span_count=catalog.spans,
        incomplete_traces=catalog.incomplete_traces,
        fragments=catalog.fragments(),
        problems=dict(sorted(catalog.problems.items())),
    )


def iso_utc(unix_ns: int) -> str:
    """``2023-01-29T08:49:19.219Z``: millisecond precision, always UTC."""
    moment = _EPOCH + timedelta(milliseconds=unix_ns // 1_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def _quantiles_ms(journey_or_minute: Journey | MinuteStats) -> dict[str, float | None]:
    sketch = journey_or_minute.latency
    if not sketch.count:
        return {name: None for name, _ in QUANTILES}
    return {name: _ms(quantile(sketch, q)) for name, q in QUANTILES}


def _minutes(minutes: Mapping[int, MinuteStats]) -> list[dict[str, Any]]:
    return [
        {
            "minute": iso_utc(start * 1_000_000_000),
            "start_unix_s": start,
            "requests": stats.requests,
            "errors": stats.errors,
            "latency_ms": _quantiles_ms(stats),
        }
        for start, stats in sorted(minutes.items())
    ]


def journey_to_dict(journey: Journey) -> dict[str, Any]:
    entry = journey.entry
    return {
        "id": journey.id,
        "name": journey.name,
        "fingerprint": journey.fingerprint,
        "entry": {
            "label": entry.label,
            "service": entry.service,
            "operation": entry.operation,
            "protocol": entry.protocol,
            "span_name": entry.span_name,
            "method": entry.method,
        },
        "requests": journey.requests,
        "errors": journey.errors,
        "error_ratio": round(journey.error_ratio, 6),
        "rate_per_s": round(journey.rate_per_s, 6),
        "latency_ms": _quantiles_ms(journey),
        "first_seen": iso_utc(journey.first_seen_ns),
        "last_seen": iso_utc(journey.last_seen_ns),
        "graph": {
            "nodes": list(journey.services),
            "edges": [
                {"caller": e.caller, "callee": e.callee, "operation": e.operation, "calls": e.calls}
                for e in journey.edges
            ],
        },
        "critical_path": [
            {
                "service": step.service,
                "operation": step.operation,
                "share": round(step.share, 6),
                "error_ratio": round(step.error_ratio, 6),
            }
            for step in journey.critical_path
        ],
        "variants": [
            {
                "fingerprint": v.fingerprint,
                "requests": v.requests,
                "example_trace_id": v.example_trace_id,
                "difference": v.difference,
            }
            for v in journey.variants
        ],
        "samples": list(journey.sample_trace_ids),
        "minutes": _minutes(journey.minutes),
    }


def discovery_to_dict(discovery: Discovery) -> dict[str, Any]:
    """The ``journeys.json`` document (serialise with sorted keys for byte-identical output)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "traces": discovery.trace_count,
        "spans": discovery.span_count,
        "incomplete_traces": discovery.incomplete_traces,
        "problems": dict(sorted(discovery.problems.items())),
        "journeys": [journey_to_dict(journey) for journey in discovery.journeys],
        "fragments": [fragment_to_dict(fragment) for fragment in discovery.fragments],
    }


def fragment_to_dict(fragment: FragmentStats) -> dict[str, Any]:
    """Traces whose root never arrived, by their topmost span: never a journey."""
    return {
        "entry": fragment.label,
        "service": fragment.service,
        "operation": fragment.operation,
        "traces": fragment.traces,
        "spans": fragment.spans,
        "samples": [trace_id for _, trace_id in fragment.samples],
    }
