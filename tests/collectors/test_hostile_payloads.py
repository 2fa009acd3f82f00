"""Hostile payloads against a running collector process: it answers with the right status,
keeps serving, and its memory stays bounded."""

from __future__ import annotations

import threading
import zlib

import httpx
import psutil
import pytest
from google.protobuf.internal.encoder import _VarintBytes
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from tests.collectors.conftest import Collector, start_collector, stop_collector
from tests.collectors.test_otlp_http import PROTO, build_request
from tests.fixtures.kafka import Broker

MIB = 1024 * 1024


def million_span_request(spans: int = 1_000_000) -> bytes:
    """An ExportTraceServiceRequest of ``spans`` one-span traces, assembled at the wire level
    (the protobuf classes would take a minute and gigabytes to build it)."""
    marker = b"\x11" * 16
    template = trace_pb2.Span(trace_id=marker, span_id=b"\x01" * 8, name="GET /x",
                              kind=trace_pb2.Span.SPAN_KIND_SERVER,
                              start_time_unix_nano=1_700_000_000_000_000_000,
                              end_time_unix_nano=1_700_000_000_100_000_000).SerializeToString()
    at = template.index(marker)
    head, tail = b"\x12" + _VarintBytes(len(template)) + template[:at], template[at + 16:]
    scope = b"".join(head + (i + 1).to_bytes(16, "big") + tail for i in range(spans))
    resource = resource_pb2.Resource(attributes=[common_pb2.KeyValue(
        key="service.name", value=common_pb2.AnyValue(string_value="bomb"))]).SerializeToString()
    rs = (b"\x0a" + _VarintBytes(len(resource)) + resource
          + b"\x12" + _VarintBytes(len(scope)) + scope)
    return b"\x0a" + _VarintBytes(len(rs)) + rs


def gzip_bomb(decompressed: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    parts = [packer.compress(zeros) for _ in range(decompressed // MIB)]
    return b"".join(parts) + packer.flush()


class PeakRss:
    """Samples a process's resident memory while a block runs."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _still_serving(c: Collector) -> None:
    ok = httpx.post(f"{c.url}/v1/traces", content=build_request(1, 1, seed=77)
                    .SerializeToString(), headers=PROTO, timeout=30)
    assert ok.status_code == 200


def _rss(c: Collector) -> int:
    return int(psutil.Process(c.proc.pid).memory_info().rss)


def test_a_million_spans_in_one_request_are_refused_with_413_in_bounded_memory(
    collector: Collector,
) -> None:
    body = million_span_request()
    assert len(body) > 20 * MIB  # the default limit, the OpenTelemetry Collector's too
    with PeakRss(collector.proc.pid) as rss:
        resp = httpx.post(f"{collector.url}/v1/traces", content=body, headers=PROTO,
                          timeout=120)
    assert resp.status_code == 413
    assert "retry-after" not in resp.headers
    assert rss.peak - _rss(collector) < 64 * MIB
    _still_serving(collector)


def test_a_request_with_more_spans_than_the_buffer_holds_is_refused_with_413_not_429(
    kafka_broker: Broker,
) -> None:
    small = start_collector(kafka_broker, max_buffered_items="1000")
    try:
        resp = httpx.post(f"{small.url}/v1/traces", content=build_request(50, 40, seed=8)
                          .SerializeToString(), headers=PROTO, timeout=30)
        assert resp.status_code == 413
        assert "retry-after" not in resp.headers
        assert "split" in status_pb2.Status.FromString(resp.content).message
        _still_serving(small)
    finally:
        stop_collector(small)


def test_a_gzip_bomb_is_refused_with_413_without_inflating_it(collector: Collector) -> None:
    bomb = gzip_bomb(512 * MIB)
    assert len(bomb) < MIB
    with PeakRss(collector.proc.pid) as rss:
        resp = httpx.post(f"{collector.url}/v1/traces", content=bomb,
                          headers={**PROTO, "content-encoding": "gzip"}, timeout=60)
    assert resp.status_code == 413
    assert rss.peak - _rss(collector) < 100 * MIB
    _still_serving(collector)


def test_a_huge_attribute_value_is_carried_without_taking_the_collector_down(
    kafka_broker: Broker, collector: Collector
) -> None:
    req = build_request(traces=1, spans_per_trace=2, seed=12)
    req.resource_spans[0].scope_spans[0].spans[0].attributes.append(common_pb2.KeyValue(
        key="http.route", value=common_pb2.AnyValue(string_value="/" + "x" * 5_000_000)))
    resp = httpx.post(f"{collector.url}/v1/traces", content=req.SerializeToString(),
                      headers=PROTO, timeout=30)
    assert resp.status_code == 200
    answer = trace_service_pb2.ExportTraceServiceResponse.FromString(resp.content)
    assert answer.partial_success.rejected_spans == 0
    _still_serving(collector)


def test_a_truncated_protobuf_body_is_a_400_naming_the_problem(collector: Collector) -> None:
    whole = build_request(3, 3, seed=13).SerializeToString()
    resp = httpx.post(f"{collector.url}/v1/traces", content=whole[: len(whole) // 2],
                      headers=PROTO)
    assert resp.status_code == 400
    assert status_pb2.Status.FromString(resp.content).message
    _still_serving(collector)


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", ""])
def test_a_wrong_content_type_is_a_415(collector: Collector, ctype: str) -> None:
    resp = httpx.post(f"{collector.url}/v1/traces",
                      content=build_request(1, 1, seed=14).SerializeToString(),
                      headers={"content-type": ctype} if ctype else {})
    assert resp.status_code == 415
