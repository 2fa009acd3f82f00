"""OTLP/gRPC on the collector's gRPC port, with the official generated stubs."""

from __future__ import annotations

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from tests.collectors.conftest import Collector
from tests.collectors.test_otlp_http import build_request, spans_in
from tests.fixtures.kafka import Broker


def _export(c: Collector, req: trace_service_pb2.ExportTraceServiceRequest
            ) -> trace_service_pb2.ExportTraceServiceResponse:
    with grpc.insecure_channel(f"127.0.0.1:{c.grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        return stub.Export(req, timeout=30)


def test_grpc_spans_are_acknowledged_and_arrive_one_fragment_per_trace(
    kafka_broker: Broker, collector: Collector
) -> None:
    answer = _export(collector, build_request(traces=3, spans_per_trace=4, seed=301))
    assert not answer.HasField("partial_success")
    per_trace = spans_in(kafka_broker, collector.spans_topic, 3)
    assert sorted(per_trace.values()) == [4, 4, 4]


def test_grpc_partly_bad_batch_gets_partial_success(collector: Collector) -> None:
    req = build_request(traces=1, spans_per_trace=2, seed=302)
    bad = req.resource_spans[0].scope_spans[0].spans.add(name="broken", span_id=b"\0" * 8)
    bad.trace_id = b"\x01\x02"  # a trace id must be 16 bytes
    answer = _export(collector, req)
    assert answer.partial_success.rejected_spans == 1
    assert answer.partial_success.error_message


def test_grpc_batch_with_nothing_readable_is_invalid_argument(collector: Collector) -> None:
    req = trace_service_pb2.ExportTraceServiceRequest()
    bad = req.resource_spans.add().scope_spans.add().spans.add(name="x", span_id=b"\0" * 8)
    bad.trace_id = b"\x09"
    with pytest.raises(grpc.RpcError) as info:
        _export(collector, req)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details()
    # ... and the receiver keeps serving.
    assert not _export(collector, build_request(1, 1, seed=303)).HasField("partial_success")
