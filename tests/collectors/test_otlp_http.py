"""The OTLP/HTTP receiver against a real tansu broker, in a real collector process."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from tests.collectors.conftest import Collector, start_collector, stop_collector
from tests.collectors.topics import read_fragments, read_topic, span_fragments
from tests.fixtures.kafka import Broker

PROTO = {"content-type": "application/x-protobuf"}


def build_request(traces: int, spans_per_trace: int, *, service: str = "shop",
                  seed: int = 0) -> trace_service_pb2.ExportTraceServiceRequest:
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.append(common_pb2.KeyValue(
        key="service.name", value=common_pb2.AnyValue(string_value=service)))
    ss = rs.scope_spans.add()
    for t in range(traces):
        tid = (seed * 1_000_003 + t + 1).to_bytes(16, "big")
        for s in range(spans_per_trace):
            span = ss.spans.add(trace_id=tid, span_id=(s + 1).to_bytes(8, "big"),
                                name="GET /cart" if s == 0 else f"step{s}",
                                kind=trace_pb2.Span.SPAN_KIND_SERVER,
                                start_time_unix_nano=1_700_000_000_000_000_000 + s,
                                end_time_unix_nano=1_700_000_000_100_000_000)
            if s:
                span.parent_span_id = (1).to_bytes(8, "big")
    return req


def spans_in(broker: Broker, topic: str, traces: int) -> dict[str, int]:
    """Spans per trace on ``topic``, read until the fragments of ``traces`` traces arrived."""
    records = read_fragments(broker.bootstrap, topic, traces)
    for record in records:
        # a bundle names its shard, and the shard is the partition it was written to
        assert record.key is None
        assert record.value.startswith(f"@{record.partition}\n".encode())
    per_trace: dict[str, int] = {}
    for trace_id, spans in span_fragments(records):
        per_trace[trace_id] = per_trace.get(trace_id, 0) + len(spans)
    return per_trace


def test_protobuf_spans_arrive_in_kafka_one_fragment_per_trace(
    kafka_broker: Broker, collector: Collector
) -> None:
    body = build_request(traces=5, spans_per_trace=20, seed=1).SerializeToString()
    resp = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTO)
    assert resp.status_code == 200
    answer = trace_service_pb2.ExportTraceServiceResponse.FromString(resp.content)
    assert answer.partial_success.rejected_spans == 0
    per_trace = spans_in(kafka_broker, collector.spans_topic, 5)
    assert sorted(per_trace.values()) == [20] * 5


def test_gzip_json_request_is_accepted(kafka_broker: Broker, collector: Collector) -> None:
    doc = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "web"}}]},
        "scopeSpans": [{"spans": [{"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "GET /",
                                    "kind": 2, "startTimeUnixNano": "1700000000000000000",
                                    "endTimeUnixNano": "1700000000500000000"}]}]}]}
    resp = httpx.post(f"{collector.url}/v1/traces", content=gzip.compress(json.dumps(doc).encode()),
                      headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.json().get("partialSuccess", {}).get("rejectedSpans", 0) == 0


def test_a_partly_bad_batch_gets_partial_success_and_the_good_spans_are_kept(
    kafka_broker: Broker, collector: Collector
) -> None:
    req = build_request(traces=1, spans_per_trace=3, seed=7)
    bad = req.resource_spans[0].scope_spans[0].spans.add(name="broken")
    bad.trace_id = b"\x01\x02"  # a trace id must be 16 bytes
    bad.span_id = b"\x00" * 8
    resp = httpx.post(f"{collector.url}/v1/traces", content=req.SerializeToString(),
                      headers=PROTO)
    assert resp.status_code == 200
    answer = trace_service_pb2.ExportTraceServiceResponse.FromString(resp.content)
    assert answer.partial_success.rejected_spans == 1
    assert answer.partial_success.error_message


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\x0a\xff\xff\xff", PROTO, 400),  # truncated protobuf
        (b"{not json", {"content-type": "application/json"}, 400),
        (b"hello", {"content-type": "text/plain"}, 415),
        (b"\x1f\x8b\x08\x00garbage", {**PROTO, "content-encoding": "gzip"}, 400),
    ],
    ids=["truncated-protobuf", "broken-json", "wrong-content-type", "corrupt-gzip"],
)
def test_undecodable_payloads_are_refused_without_retry_and_the_collector_keeps_serving(
    collector: Collector, body: bytes, headers: dict[str, str], status: int
) -> None:
    resp = httpx.post(f"{collector.url}/v1/traces", content=body, headers=headers)
    assert resp.status_code == status
    assert "retry-after" not in resp.headers
    ok = httpx.post(f"{collector.url}/v1/traces",
                    content=build_request(1, 1, seed=99).SerializeToString(), headers=PROTO)
    assert ok.status_code == 200


def test_undecodable_payloads_reach_the_dead_letter_topic_with_the_reason(
    kafka_broker: Broker, collector: Collector
) -> None:
    httpx.post(f"{collector.url}/v1/traces", content=b"\x0a\xff\xff\xff", headers=PROTO)
    records = read_topic(kafka_broker.bootstrap, collector.dead_letter_topic, 1)
    headers = dict(records[0].headers)
    assert headers["signal"] == b"traces"
    assert headers["reason"]


def test_a_huge_attribute_value_is_handled(collector: Collector) -> None:
    req = build_request(traces=1, spans_per_trace=1, seed=11)
    span = req.resource_spans[0].scope_spans[0].spans[0]
    span.attributes.append(common_pb2.KeyValue(
        key="http.route", value=common_pb2.AnyValue(string_value="x" * 5_000_000)))
    resp = httpx.post(f"{collector.url}/v1/traces", content=req.SerializeToString(),
                      headers=PROTO, timeout=30)
    assert resp.status_code in (200, 400)
    assert httpx.get(f"{collector.url}/healthz").status_code == 200


def test_an_oversized_request_is_refused_with_413_and_the_collector_keeps_serving(
    kafka_broker: Broker,
) -> None:
    small = start_collector(kafka_broker, max_body_bytes=str(1024 * 1024))
    try:
        body = build_request(traces=1000, spans_per_trace=100, seed=3).SerializeToString()
        resp = httpx.post(f"{small.url}/v1/traces", content=body, headers=PROTO, timeout=30)
        assert resp.status_code == 413
        ok = httpx.post(f"{small.url}/v1/traces",
                        content=build_request(1, 1, seed=5).SerializeToString(), headers=PROTO)
        assert ok.status_code == 200
    finally:
        stop_collector(small)


def test_the_collector_reports_accepted_and_refused_items_on_metrics(
    collector: Collector,
) -> None:
    httpx.post(f"{collector.url}/v1/traces", content=build_request(2, 2, seed=21)
               .SerializeToString(), headers=PROTO)
    text = httpx.get(f"{collector.url}/metrics").text
    assert 'slo_scout_collector_accepted_items_total{protocol="otlp_http",signal="traces"}' in text
    assert "slo_scout_collector_buffer_capacity_items" in text
    assert "slo_scout_collector_kafka_ack_seconds_bucket" in text
