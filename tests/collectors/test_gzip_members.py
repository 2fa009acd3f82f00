"""A gzip body of several members (RFC 1952 allows it; `cat a.gz b.gz` and streaming compressors
make one): every member is read, within the body limit in all."""

from __future__ import annotations

import gzip

import httpx
from tests.collectors.conftest import Collector
from tests.collectors.test_otlp_http import PROTO, build_request, spans_in
from tests.fixtures.kafka import Broker


def test_every_member_of_a_gzip_body_is_read(kafka_broker: Broker, collector: Collector) -> None:
    # two serialised requests concatenated are one request with both batches (protobuf merges
    # repeated fields), so the two members carry 3 + 2 traces
    first = build_request(traces=3, spans_per_trace=4, seed=11).SerializeToString()
    second = build_request(traces=2, spans_per_trace=4, seed=12).SerializeToString()
    body = gzip.compress(first) + gzip.compress(second)
    resp = httpx.post(f"{collector.url}/v1/traces", content=body,
                      headers={**PROTO, "content-encoding": "gzip"})
    assert resp.status_code == 200, resp.text
    assert sorted(spans_in(kafka_broker, collector.spans_topic, 5).values()) == [4] * 5


def test_members_past_the_limit_in_all_are_a_413(collector: Collector) -> None:
    # each member alone is under the 20 MiB limit; together they are over it
    member = gzip.compress(b"\0" * (12 * 1024 * 1024))
    resp = httpx.post(f"{collector.url}/v1/traces", content=member + member,
                      headers={**PROTO, "content-encoding": "gzip"})
    assert resp.status_code == 413


def test_garbage_after_a_member_is_a_400(collector: Collector) -> None:
    body = gzip.compress(build_request(traces=1, spans_per_trace=2, seed=13).SerializeToString())
    resp = httpx.post(f"{collector.url}/v1/traces", content=body + b"not gzip",
                      headers={**PROTO, "content-encoding": "gzip"})
    assert resp.status_code == 400
