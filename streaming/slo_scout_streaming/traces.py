"""Completed traces -> what the store keeps: the only place the job calls the core."""

from __future__ import annotations

from collections.abc import Container

from slo_scout.core.journeys import JourneyCatalog, assemble
from slo_scout.core.journeys.entry import find_entry
from slo_scout.core.telemetry.model import Span
from slo_scout_streaming.stats_store import JourneyInfo, TraceOutcome


def classify(trace_id: str, spans: list[Span],
             known: Container[str] = ()) -> tuple[TraceOutcome, JourneyInfo | None]:
    """One trace's outcome, and a description of its journey unless its key is in ``known``.

    The key id comes from the catalog and is stable; describing the journey (names, services,
    edges) is three quarters of the work and is needed once per journey, not per trace.
    """
    trace = assemble(trace_id, spans)
    catalog = JourneyCatalog()
    key = catalog.add(trace)
    node, _entry = find_entry(trace)
    latency_s = max(node.end_ns - node.start_ns, 0) / 1e9
    minute = node.start_ns // 60_000_000_000 * 60
    outcome = TraceOutcome(trace_id, key, minute, node.span.error, latency_s, trace.span_count)
    if key in known:
        return outcome, None
    journey = catalog.journeys()[0]
    e = journey.entry
    info = JourneyInfo(key=key, name=journey.name, fingerprint=journey.fingerprint,
                       entry_service=e.service, entry_operation=e.operation,
                       protocol=e.protocol, span_name=e.span_name, method=e.method,
                       services=list(journey.services),
                       edges=[[d.caller, d.callee, d.operation, d.calls] for d in journey.edges])
    return outcome, info
