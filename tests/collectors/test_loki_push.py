"""Loki's push API on the collector, JSON and snappy protobuf (``logproto.PushRequest``, built here
from the collector's descriptors): one record shape on the logs topic, tagged with the format."""

from __future__ import annotations

import json

import cramjam
import httpx
from slo_scout_collectors.loki_protobuf import PushRequest
from slo_scout_streaming.telemetry_catalog import error_lines
from tests.collectors.conftest import Collector
from tests.collectors.topics import read_topic
from tests.fixtures.kafka import Broker

PUSH = "/loki/api/v1/push"


def test_a_loki_json_push_is_forwarded_unchanged_to_the_logs_topic(
    kafka_broker: Broker, collector: Collector
) -> None:
    doc = {"streams": [
        {"stream": {"service_name": "checkout", "level": "error"},
         "values": [["1700000000000000000", "payment failed trace_id=" + "ab" * 16],
                    ["1700000000500000000", "retrying", {"trace_id": "ab" * 16}]]},
        {"stream": {"service_name": "cart"}, "values": [["1700000001000000000", "ok"]]}]}
    body = json.dumps(doc).encode()
    resp = httpx.post(f"{collector.url}{PUSH}", content=body,
                      headers={"content-type": "application/json"})
    assert resp.status_code == 204
    [record] = read_topic(kafka_broker.bootstrap, collector.logs_topic, 1)
    assert dict(record.headers)["format"] == b"loki.push.v1"
    assert json.loads(record.value) == doc
    metrics = httpx.get(f"{collector.url}/metrics").text
    assert ('slo_scout_collector_accepted_items_total{protocol="loki",signal="logs"} 3.0'
            in metrics)


def test_a_malformed_loki_push_is_a_400_naming_the_entry(collector: Collector) -> None:
    doc = {"streams": [{"stream": {"a": "b"}, "values": [["not-a-timestamp", "line"]]}]}
    resp = httpx.post(f"{collector.url}{PUSH}", content=json.dumps(doc).encode(),
                      headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert "streams[0].values[0]" in resp.text


def _protobuf_push(collector: Collector, request: PushRequest) -> httpx.Response:
    body = bytes(cramjam.snappy.compress_raw(request.SerializeToString()))
    return httpx.post(f"{collector.url}{PUSH}", content=body,
                      headers={"content-type": "application/x-protobuf"})


def test_a_protobuf_loki_push_arrives_as_the_json_push_document(
    kafka_broker: Broker, collector: Collector
) -> None:
    trace = "cd" * 16
    request = PushRequest()
    stream = request.streams.add(labels='{service_name="payments", level="error", '
                                        'note="say \\"hi\\"\\n\\u00e9"}')
    entry = stream.entries.add(line="card declined")
    entry.timestamp.seconds, entry.timestamp.nanos = 1_700_000_002, 5
    entry.structuredMetadata.add(name="trace_id", value=trace)
    later = stream.entries.add(line="declined again")
    later.timestamp.seconds = 1_700_000_003
    resp = _protobuf_push(collector, request)
    assert resp.status_code == 204, resp.text
    records = read_topic(kafka_broker.bootstrap, collector.logs_topic, 50, timeout=5)
    pushed = [json.loads(r.value) for r in records if b"payments" in r.value]
    assert pushed == [{"streams": [
        {"stream": {"service_name": "payments", "level": "error", "note": 'say "hi"\n\u00e9'},
         "values": [["1700000002000000005", "card declined", {"trace_id": trace}],
                    ["1700000003000000000", "declined again"]]}]}]
    [record] = [r for r in records if b"payments" in r.value]
    assert dict(record.headers)["format"] == b"loki.push.v1"
    # The catalog job reads it as it reads a JSON push.
    lines = error_lines(record.value, "loki.push.v1")
    assert [(line.service, line.trace_id) for line in lines] == [("payments", trace),
                                                                  ("payments", None)]


def test_a_protobuf_push_with_unreadable_labels_is_a_400_naming_the_stream(
    collector: Collector,
) -> None:
    request = PushRequest()
    request.streams.add(labels='{service_name="a"}')
    request.streams.add(labels="service_name=b").entries.add(line="x")
    resp = _protobuf_push(collector, request)
    assert resp.status_code == 400
    assert "streams[1].labels" in resp.text


def test_a_truncated_protobuf_push_is_a_400(collector: Collector) -> None:
    request = PushRequest()
    request.streams.add(labels='{a="b"}').entries.add(line="some line")
    raw = request.SerializeToString()
    resp = httpx.post(f"{collector.url}{PUSH}",
                      content=bytes(cramjam.snappy.compress_raw(raw[:-4])),
                      headers={"content-type": "application/x-protobuf"})
    assert resp.status_code == 400
    assert "logproto.PushRequest" in resp.text


def test_a_protobuf_push_that_is_not_snappy_is_a_400(collector: Collector) -> None:
    resp = httpx.post(f"{collector.url}{PUSH}", content=b"\x00\x01",
                      headers={"content-type": "application/x-protobuf"})
    assert resp.status_code == 400
    assert "snappy" in resp.text


def test_a_push_in_another_content_type_is_a_415(collector: Collector) -> None:
    resp = httpx.post(f"{collector.url}{PUSH}", content=b"a line",
                      headers={"content-type": "text/plain"})
    assert resp.status_code == 415
