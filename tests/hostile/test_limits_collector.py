"""Memory and time an outsider controls, against a running collector over HTTP and gRPC
(issue 12).

Each test sends one class of hostile input and asserts the answer, the most the collector's
resident memory grew while it was handled (:data:`BOUND`; the body and inflation limit is
20 MiB), that good spans sent after it reach Kafka, and that the process still serves.
"""

from __future__ import annotations

import gzip
import itertools
import threading
import time
from collections.abc import Iterator

import grpc
import httpx
import psutil
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from tests.collectors.conftest import Collector, start_collector, stop_collector
from tests.collectors.topics import read_topic, span_fragments
from tests.fixtures.hostile_processes import (
    BODY_TIMEOUT_S,
    HEADER_TIMEOUT_S,
    MIB,
    PeakRss,
    closed_by_server,
    otlp_json_bomb,
    send_quietly,
    slow_connection,
)
from tests.fixtures.kafka import Broker, kafka_broker  # noqa: F401

BOUND = 128 * MIB
_TRACES = itertools.count(1)


@pytest.fixture(scope="module")
def collector(kafka_broker: Broker) -> Iterator[Collector]:  # noqa: F811
    c = start_collector(kafka_broker, header_timeout_s=str(HEADER_TIMEOUT_S),
                        body_timeout_s=str(BODY_TIMEOUT_S))
    yield c
    stop_collector(c)


def _good_request(service: str) -> tuple[str, bytes]:
    """A fresh one-span trace of ``service``: its trace id (hex) and the protobuf request."""
    now = time.time_ns() - 60_000_000_000
    trace_id = next(_TRACES).to_bytes(16, "big") + b""
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.append(common_pb2.KeyValue(
        key="service.name", value=common_pb2.AnyValue(string_value=service)))
    rs.scope_spans.add().spans.add(
        trace_id=trace_id, span_id=b"\x00" * 7 + b"\x01", name="GET /cart",
        kind=trace_pb2.Span.SPAN_KIND_SERVER, start_time_unix_nano=now,
        end_time_unix_nano=now + 50_000_000)
    return trace_id.hex(), req.SerializeToString()


def _good_spans_arrive(c: Collector, broker: Broker, service: str) -> None:
    trace_id, body = _good_request(service)
    answer = httpx.post(f"{c.url}/v1/traces", content=body,
                        headers={"content-type": "application/x-protobuf"}, timeout=30)
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        records = read_topic(broker.bootstrap, c.spans_topic, 10_000, timeout=1)
        if any(seen == trace_id for seen, _ in span_fragments(records)):
            return
    raise AssertionError(f"trace {trace_id} of {service} never reached {c.spans_topic}")


def _serving(c: Collector) -> bool:
    return c.proc.poll() is None and httpx.get(f"{c.url}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("wrapping", ["content-encoding gzip", "gzip body"])
def test_a_gzip_bomb_over_http_is_a_413_and_costs_the_limit_not_the_bomb(
    collector: Collector, kafka_broker: Broker, wrapping: str,  # noqa: F811
) -> None:
    bomb = otlp_json_bomb(1024 * MIB)  # ~1 MB, 1 GiB inflated
    headers = {"content-type": "application/json"}
    if wrapping == "content-encoding gzip":
        bomb = gzip.compress(bomb)  # the collector inflates this layer, the decoder the next
        headers["content-encoding"] = "gzip"
    with PeakRss(collector.proc.pid) as peak:
        answer = httpx.post(f"{collector.url}/v1/traces", content=bomb, headers=headers,
                            timeout=60)
    assert peak.growth < BOUND, f"+{peak.growth / MIB:.0f} MiB"
    assert answer.status_code == 413, answer.text
    assert "inflates past the 20971520-byte limit" in answer.json()["message"]
    _good_spans_arrive(collector, kafka_broker, f"after-bomb-{len(headers)}")
    assert _serving(collector)


def test_a_gzip_compressed_grpc_message_over_the_limit_is_resource_exhausted(
    collector: Collector, kafka_broker: Broker,  # noqa: F811
) -> None:
    req = trace_service_pb2.ExportTraceServiceRequest()
    req.resource_spans.add().scope_spans.add().spans.add(
        trace_id=b"\x01" * 16, span_id=b"\x01" * 8, name="x" * (64 * MIB))
    channel = grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}",
                                    compression=grpc.Compression.Gzip)
    with PeakRss(collector.proc.pid) as peak, channel, pytest.raises(grpc.RpcError) as refused:
        trace_service_pb2_grpc.TraceServiceStub(channel).Export(req, timeout=60)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused.value
    assert peak.growth < BOUND, f"+{peak.growth / MIB:.0f} MiB"
    _good_spans_arrive(collector, kafka_broker, "after-grpc-bomb")
    assert _serving(collector)


def test_http_connections_without_complete_headers_are_closed_after_the_timeout(
    collector: Collector,
) -> None:
    heads = [b"", b"POST /v1/traces HTTP/1.1\r\n", b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nX"]
    socks = [slow_connection(collector.http_port, heads[i % 3]) for i in range(15)]
    closed = [closed_by_server(s, HEADER_TIMEOUT_S + 5)[0] for s in socks]
    assert all(closed), closed
    assert _serving(collector)


def test_a_grpc_connection_that_never_speaks_is_closed_after_the_handshake_timeout(
    collector: Collector,
) -> None:
    socks = [slow_connection(collector.grpc_port, b"") for _ in range(5)]
    closed = [closed_by_server(s, HEADER_TIMEOUT_S + 5)[0] for s in socks]
    assert all(closed), closed
    assert _serving(collector)


def _stall(port: int, declared: int, sent: int) -> Iterator[tuple[bool, bytes]]:
    head = (f"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode()
    socks = [slow_connection(port, head) for _ in range(4)]
    senders = [threading.Thread(target=send_quietly, args=(s, sent)) for s in socks]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    for s in socks:
        yield closed_by_server(s, BODY_TIMEOUT_S + 10)


def test_stalled_bodies_are_answered_408_and_their_memory_given_back(
    collector: Collector, kafka_broker: Broker,  # noqa: F811
) -> None:
    with PeakRss(collector.proc.pid) as peak:
        answers = list(_stall(collector.http_port, 20 * MIB, 19 * MIB))
        after = psutil.Process(collector.proc.pid).memory_info().rss
    for closed, answer in answers:
        assert closed and answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert peak.growth < 4 * 20 * MIB + 32 * MIB, f"+{peak.growth / MIB:.0f} MiB"
    assert after - peak.baseline < 64 * MIB, f"+{(after - peak.baseline) / MIB:.0f} MiB held"
    _good_spans_arrive(collector, kafka_broker, "after-stall")
    assert _serving(collector)


def test_bodies_past_the_process_budget_are_answered_503_with_retry_after(
    kafka_broker: Broker,  # noqa: F811
) -> None:
    c = start_collector(kafka_broker, header_timeout_s=str(HEADER_TIMEOUT_S),
                        body_timeout_s=str(BODY_TIMEOUT_S), max_body_budget_bytes=str(40 * MIB))
    try:
        answers = [a for _, a in _stall(c.http_port, 20 * MIB, 19 * MIB)]
        statuses = sorted(a[9:12] for a in answers)
        assert statuses.count(b"503") >= 2, statuses  # 4 x 19 MiB > a 40 MiB budget
        refused = next(a for a in answers if a[9:12] == b"503")
        assert b"retry-after: 1" in refused.lower()
        assert _serving(c)
    finally:
        stop_collector(c)
