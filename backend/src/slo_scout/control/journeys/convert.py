"""Core journeys <-> stored rows. The stored form keeps what the API and analysis need."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from slo_scout.core.journeys.model import Edge, Entry, Journey, MinuteStats, StepShare
from slo_scout.core.journeys.sketch_codec import decode_sketch, encode_sketch
from slo_scout.db.models import JourneyRow, JourneyStat


def ns_to_datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def datetime_to_ns(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000_000)


def minute_to_datetime(minute_s: int) -> datetime:
    return datetime.fromtimestamp(minute_s - minute_s % 60, tz=UTC)


def journey_fields(journey: Journey) -> dict[str, Any]:
    """The journeys row's columns that describe ``journey`` (all but its id and environment)."""
    return {
        "name": journey.name,
        "entry_service": journey.entry.service,
        "entry_operation": journey.entry.operation,
        "protocol": journey.entry.protocol,
        "span_name": journey.entry.span_name,
        "method": journey.entry.method,
        "fingerprint": journey.fingerprint,
        "services": sorted(journey.services),
        "edges": [asdict(edge) for edge in journey.edges],
        "critical_path": [asdict(step) for step in journey.critical_path],
        "sample_trace_ids": list(journey.sample_trace_ids),
        "requests": journey.requests,
        "errors": journey.errors,
        "latency_sketch": encode_sketch(journey.latency),
        "first_seen": ns_to_datetime(journey.first_seen_ns),
        "last_seen": ns_to_datetime(journey.last_seen_ns),
    }


def row_from_journey(journey: Journey, environment_id: int) -> JourneyRow:
    return JourneyRow(environment_id=environment_id, key=journey.id, **journey_fields(journey))


def journey_from_row(row: JourneyRow, stats: list[JourneyStat]) -> Journey:
    """The core's Journey for ``row``, its totals and minutes taken from ``stats`` (a window)."""
    minutes: dict[int, MinuteStats] = {}
    latency = decode_sketch(row.latency_sketch) if not stats else None
    for stat in stats:
        sketch = decode_sketch(stat.latency_sketch)
        minutes[int(stat.minute.timestamp())] = MinuteStats(stat.requests, stat.errors, sketch)
        if latency is None:
            latency = decode_sketch(stat.latency_sketch)
        else:
            latency.merge(sketch)
    assert latency is not None
    requests = sum(m.requests for m in minutes.values()) if stats else row.requests
    errors = sum(m.errors for m in minutes.values()) if stats else row.errors
    first = min(minutes) * 1_000_000_000 if minutes else datetime_to_ns(row.first_seen)
    last = (max(minutes) + 60) * 1_000_000_000 if minutes else datetime_to_ns(row.last_seen)
    return Journey(
        id=row.key,
        name=row.name,
        entry=Entry(
            service=row.entry_service,
            operation=row.entry_operation,
            protocol=row.protocol,
            span_name=row.span_name,
            method=row.method,
        ),
        fingerprint=row.fingerprint,
        services=tuple(row.services),
        edges=tuple(Edge(**edge) for edge in row.edges),
        requests=requests,
        errors=errors,
        first_seen_ns=first,
        last_seen_ns=last,
        latency=latency,
        critical_path=tuple(StepShare(**step) for step in row.critical_path),
        sample_trace_ids=tuple(row.sample_trace_ids),
        variants=(),
        minutes=minutes,
    )
