"""Loki's push API (JSON) on the collector: records on the logs topic, tagged with the format."""

from __future__ import annotations

import json

import httpx
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


def test_a_protobuf_loki_push_is_refused_as_unsupported(collector: Collector) -> None:
    resp = httpx.post(f"{collector.url}{PUSH}", content=b"\x00\x01",
                      headers={"content-type": "application/x-protobuf"})
    assert resp.status_code == 400
    assert "application/json" in resp.text
