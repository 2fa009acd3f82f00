"""Hostile records against a running collector (`python -m slo_scout_collectors`) and a real
Kafka-protocol broker (tansu), over OTLP/HTTP and OTLP/gRPC and the Loki push API.

Each test asserts the answer, the good records on the spans topic, the refused ones on the
dead-letter topic, the collector's peak memory growth under a stated bound, and that it still
serves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import grpc
import httpx
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from tests.builders import START_NS, otlp_request, span
from tests.collectors.conftest import Collector, start_collector, stop_collector
from tests.collectors.topics import read_fragments, read_topic, span_fragments
from tests.fixtures.hostile_records import MIB, PeakRss, good_span, late_span, otlp_json
from tests.fixtures.kafka import Broker, kafka_broker  # noqa: F401

JSON = {"content-type": "application/json"}
PROTO = {"content-type": "application/x-protobuf"}
TRACES = "opentelemetry.proto.collector.trace.v1.TraceService/Export"
# A request of a few kilobytes may cost the collector a few MiB at most; one carrying a
# 17 MiB span name holds it a few times over (body, decoded span, record, dead letter).
SMALL_GROWTH = 48 * MIB
HUGE_GROWTH = 160 * MIB
HUGE_NAME = 17 * MIB


@pytest.fixture(scope="module")
def collector(kafka_broker: Broker) -> Iterator[Collector]:  # noqa: F811
    c = start_collector(kafka_broker)
    yield c
    stop_collector(c)


def _trace_ids(broker: Broker, topic: str, expect: int) -> set[str]:
    records = read_fragments(broker.bootstrap, topic, expect, timeout=20)
    return {trace_id for trace_id, _ in span_fragments(records)}


def _still_serving(c: Collector) -> None:
    answer = httpx.post(f"{c.url}/v1/traces", content=otlp_json(1), headers=JSON, timeout=30)
    assert answer.status_code == 200
    assert c.proc.poll() is None


def _grpc(c: Collector, body: bytes, timeout: float = 60) -> bytes:
    """One raw Export call: ``body`` goes out as it is, whatever it holds."""
    options = [("grpc.max_send_message_length", 64 * MIB),
               ("grpc.max_receive_message_length", 64 * MIB)]
    with grpc.insecure_channel(f"127.0.0.1:{c.grpc_port}", options=options) as channel:
        call = channel.unary_unary(f"/{TRACES}")
        answer: bytes = call(body, timeout=timeout)
        return answer


def _good_request(n: int, *, first: int = 0) -> trace_service_pb2.ExportTraceServiceRequest:
    return otlp_request([span(trace_id=f"{first + i + 1:032x}", span_id=f"{first + i + 1:016x}",
                              start_ns=START_NS + i) for i in range(n)])


def test_a_span_past_2_63_ns_over_otlp_json_is_rejected_and_the_good_traces_forwarded(
    kafka_broker: Broker,  # noqa: F811
) -> None:
    c = start_collector(kafka_broker)
    try:
        with PeakRss(c.proc.pid) as rss:
            answer = httpx.post(f"{c.url}/v1/traces", content=otlp_json(20, late_span(2**70)),
                                headers=JSON, timeout=30)
        assert answer.status_code == 200, answer.text
        partial = answer.json()["partialSuccess"]
        assert partial["rejectedSpans"] == "1"
        assert "startTimeUnixNano" in partial["errorMessage"]
        assert "2262" in partial["errorMessage"]
        expected = {good_span(i)["traceId"] for i in range(20)}
        assert _trace_ids(kafka_broker, c.spans_topic, 20) == expected
        assert rss.growth < SMALL_GROWTH
        _still_serving(c)
    finally:
        stop_collector(c)


def test_a_span_past_2_63_ns_over_grpc_is_rejected_and_the_good_traces_forwarded(
    kafka_broker: Broker,  # noqa: F811
) -> None:
    c = start_collector(kafka_broker)
    try:
        request = _good_request(10)
        bad = request.resource_spans[0].scope_spans[0].spans.add()
        bad.CopyFrom(request.resource_spans[0].scope_spans[0].spans[0])
        bad.trace_id = b"\xff" * 16
        bad.start_time_unix_nano = bad.end_time_unix_nano = 2**64 - 1
        with PeakRss(c.proc.pid) as rss:
            answer = trace_service_pb2.ExportTraceServiceResponse.FromString(
                _grpc(c, request.SerializeToString()))
        assert answer.partial_success.rejected_spans == 1
        assert "startTimeUnixNano" in answer.partial_success.error_message
        assert len(_trace_ids(kafka_broker, c.spans_topic, 10)) == 10
        assert rss.growth < SMALL_GROWTH
        _still_serving(c)
    finally:
        stop_collector(c)


def _huge_span_request() -> bytes:
    request = _good_request(0)
    request.resource_spans.add().scope_spans.add().spans.add().CopyFrom(
        _good_request(1, first=500).resource_spans[0].scope_spans[0].spans[0])
    request.resource_spans[0].scope_spans[0].spans[0].name = "x" * HUGE_NAME
    return request.SerializeToString()


def test_a_record_larger_than_kafka_takes_is_413_over_http_and_dead_lettered(
    kafka_broker: Broker,  # noqa: F811
) -> None:
    c = start_collector(kafka_broker)
    try:
        with PeakRss(c.proc.pid) as rss:
            answer = httpx.post(f"{c.url}/v1/traces", content=_huge_span_request(),
                                headers=PROTO, timeout=60)
        assert answer.status_code == 413
        assert "retry-after" not in answer.headers  # never retried
        assert "record" in status_pb2.Status.FromString(answer.content).message
        letters = read_topic(kafka_broker.bootstrap, c.dead_letter_topic, 1, timeout=20)
        assert letters and b"limit" in dict(letters[0].headers)["reason"]
        assert read_topic(kafka_broker.bootstrap, c.spans_topic, 1, timeout=2) == []
        assert rss.growth < HUGE_GROWTH
        _still_serving(c)
    finally:
        stop_collector(c)


def test_a_record_larger_than_kafka_takes_is_invalid_argument_over_grpc(
    kafka_broker: Broker,  # noqa: F811
) -> None:
    c = start_collector(kafka_broker)
    try:
        with pytest.raises(grpc.RpcError) as refused:
            _grpc(c, _huge_span_request())
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert read_topic(kafka_broker.bootstrap, c.dead_letter_topic, 1, timeout=20)
        _still_serving(c)
    finally:
        stop_collector(c)


def test_a_huge_trace_beside_good_ones_is_rejected_alone_and_the_good_ones_kept(
    kafka_broker: Broker,  # noqa: F811
) -> None:
    c = start_collector(kafka_broker)
    try:
        request = _good_request(5)
        huge = request.resource_spans[0].scope_spans[0].spans.add()
        huge.CopyFrom(request.resource_spans[0].scope_spans[0].spans[0])
        huge.trace_id = b"\xee" * 16
        huge.name = "y" * HUGE_NAME
        answer = httpx.post(f"{c.url}/v1/traces", content=request.SerializeToString(),
                            headers=PROTO, timeout=60)
        assert answer.status_code == 200
        partial = trace_service_pb2.ExportTraceServiceResponse.FromString(answer.content)
        assert partial.partial_success.rejected_spans == 1
        assert "ee" * 16 in partial.partial_success.error_message
        assert len(_trace_ids(kafka_broker, c.spans_topic, 5)) == 5
        letters = read_topic(kafka_broker.bootstrap, c.dead_letter_topic, 2, timeout=20)
        assert any(r.value.startswith(b"ee" * 16) for r in letters)  # the trace's record
        _still_serving(c)
    finally:
        stop_collector(c)


@pytest.mark.parametrize("body", [b"\n", b"\t", b" ", b"\x0b", b"\x0c", b"\r"])
def test_a_one_byte_protobuf_body_is_400(collector: Collector, body: bytes) -> None:
    answer = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTO)
    assert answer.status_code == 400
    _still_serving(collector)


def test_an_empty_protobuf_body_is_an_empty_request(collector: Collector) -> None:
    answer = httpx.post(f"{collector.url}/v1/traces", content=b"", headers=PROTO)
    assert answer.status_code == 200


def test_random_bytes_as_a_loki_protobuf_push_are_400_not_413(collector: Collector) -> None:
    noise = os.urandom(4096)
    # a preamble announcing 2^62 bytes: what random bytes usually read as
    bodies = [noise, b"\xff" * 8 + b"\x3f" + noise]
    for body in bodies:
        answer = httpx.post(f"{collector.url}/loki/api/v1/push", content=body,
                            headers={"content-type": "application/x-protobuf"})
        assert answer.status_code == 400, answer.text
    _still_serving(collector)


def test_garbage_over_grpc_is_invalid_argument(collector: Collector) -> None:
    with PeakRss(collector.proc.pid) as rss:
        for body in (b"\xff" * 64, os.urandom(2048), b"\n\xff\xff\xff\xff\x0f"):
            with pytest.raises(grpc.RpcError) as refused:
                _grpc(collector, body)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rss.growth < SMALL_GROWTH
    _still_serving(collector)


def test_good_traces_over_grpc_still_arrive(kafka_broker: Broker,  # noqa: F811
                                            collector: Collector) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        answer = stub.Export(_good_request(3, first=900), timeout=30)
    assert answer.partial_success.rejected_spans == 0
