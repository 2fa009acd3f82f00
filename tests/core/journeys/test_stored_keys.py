"""What the stored runtimes rely on: per-key summaries, encoded and merged in any grouping,
fold and name exactly as one pass over the traffic does; fragments are never journeys."""

from __future__ import annotations

import json
from typing import Any

from tests.fixtures.shops import opaque_shop, spans_by_trace

from slo_scout.core.journeys import JourneyCatalog, assemble, discover, discovery_to_dict
from slo_scout.core.journeys.discovery import journey_to_dict
from slo_scout.core.journeys.keystats_codec import decode_keystats, encode_keystats
from slo_scout.core.telemetry.model import Span


def _without_minutes(journey: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in journey.items() if k != "minutes"}


def test_one_catalog_per_trace_stored_and_merged_equals_one_pass() -> None:
    traces = list(spans_by_trace(opaque_shop(seed=2, traces=1_500)).items())
    one_pass = JourneyCatalog()
    for trace_id, spans in traces:
        one_pass.add(assemble(trace_id, spans))
    # Every trace on its own, as a stream writer sees it, through the stored form.
    rebuilt = JourneyCatalog()
    for trace_id, spans in reversed(traces):
        single = JourneyCatalog()
        single.add(assemble(trace_id, spans))
        for stats in single.key_stats():
            rebuilt.add_key(decode_keystats(encode_keystats(stats)))
    expected = [_without_minutes(journey_to_dict(j)) for j in one_pass.journeys()]
    got = [_without_minutes(journey_to_dict(j)) for j in rebuilt.journeys()]
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert len(got) == 7


def test_a_classified_single_trace_catalog_does_not_fold_what_the_whole_catalog_folds() -> None:
    """Why the stream must fold over every stored key: one trace alone cannot see its base."""
    traces = list(spans_by_trace(opaque_shop(seed=2, traces=1_500)).items())
    whole = JourneyCatalog()
    singles: set[str] = set()
    for trace_id, spans in traces:
        trace = assemble(trace_id, spans)
        whole.add(trace)
        single = JourneyCatalog()
        single.add(trace)
        singles.update(j.id for j in single.journeys())
    assert len(singles) > len(whole.journeys())


def _span(trace_id: str, span_id: str, parent: str | None, service: str, name: str,
          start_ms: int) -> Span:
    t0 = 1_700_000_000_000_000_000
    return Span(trace_id=trace_id, span_id=span_id, parent_id=parent, service=service,
                name=name, kind="server", start_ns=t0 + start_ms * 1_000_000,
                end_ns=t0 + (start_ms + 5) * 1_000_000)


def test_a_trace_whose_root_never_arrived_is_a_fragment_not_a_journey() -> None:
    whole = [_span("a" * 32, "1" * 16, None, "frontend", "GET /cart", 0),
             _span("a" * 32, "2" * 16, "1" * 16, "cart", "GetCart", 1)]
    rootless = [_span("b" * 32, "3" * 16, "9" * 16, "cart", "GetCart", 10),
                _span("b" * 32, "4" * 16, "3" * 16, "redis", "HGET", 11)]
    discovery = discover([whole + rootless])
    assert [j.entry.service for j in discovery.journeys] == ["frontend"]
    assert discovery.trace_count == 2
    doc = discovery_to_dict(discovery)
    assert doc["fragments"] == [{"entry": "cart GetCart", "service": "cart",
                                 "operation": "GetCart", "traces": 1, "spans": 2,
                                 "samples": ["b" * 32]}]
