"""Span records as bundles (``core.telemetry.wire``): per request, one record per partition of
the spans topic, each fragment on its trace's shard, against a real tansu broker."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator

import grpc
import httpx
import pytest
from aiokafka import ConsumerRecord
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from tests.builders import START_NS, otlp_request, span
from tests.collectors.conftest import Collector, start_collector, stop_collector
from tests.collectors.test_otlp_http import PROTO, build_request
from tests.collectors.topics import read_fragments, span_fragments
from tests.fixtures.kafka import Broker

from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import record_fragments, shard_of

PARTITIONS = 3


@pytest.fixture
def collector(kafka_broker: Broker) -> Iterator[Collector]:
    """A collector of its own per test: every record on its spans topic is the test's."""
    c = start_collector(kafka_broker, spans_partitions=PARTITIONS)
    yield c
    stop_collector(c)


def _shard(record: ConsumerRecord) -> int:
    """The shard a bundle's header names."""
    header = record.value.split(b"\n", 1)[0]
    assert header.startswith(b"@"), record.value[:64]
    return int(header[1:])


def _check_placement(records: list[ConsumerRecord]) -> None:
    """Every record is a keyless bundle on the partition its header names, and each of its
    fragments belongs to that shard."""
    for record in records:
        assert record.key is None
        assert _shard(record) == record.partition
        for trace_id, _ in span_fragments([record]):
            assert shard_of(trace_id, PARTITIONS) == record.partition, trace_id


def test_a_request_of_many_traces_is_one_record_per_partition_each_on_its_shard(
    kafka_broker: Broker, collector: Collector
) -> None:
    # span ends differ per trace and span, so the record's timestamp (its event time) must
    # be the latest of its own fragments, not of the request
    spans = [span(trace_id=f"{t + 1:032x}", span_id=f"{s + 1:016x}",
                  parent_id=None if s == 0 else f"{1:016x}", service="shop",
                  start_ns=START_NS, end_ns=START_NS + (t * 7 + s) % 97 * 1_000_000 + 5)
             for t in range(60) for s in range(3)]
    resp = httpx.post(f"{collector.url}/v1/traces",
                      content=otlp_request(spans).SerializeToString(), headers=PROTO)
    assert resp.status_code == 200, resp.text
    records = read_fragments(kafka_broker.bootstrap, collector.spans_topic, 60)
    _check_placement(records)
    partitions = [r.partition for r in records]
    assert sorted(partitions) == list(range(PARTITIONS))  # one each: 60 traces hit all three
    per_trace = {trace_id: got for trace_id, got in span_fragments(records)}
    assert set(per_trace) == {f"{t + 1:032x}" for t in range(60)}
    assert all(len(got) == 3 for got in per_trace.values())
    for record in records:
        ends = [s.end_ns for _, got in span_fragments([record]) for s in got]
        assert record.timestamp == max(ends) // 1_000_000


def test_bundles_over_the_record_limit_are_split_and_packed_full(
    kafka_broker: Broker,
) -> None:
    # 16 KiB records hold six 2.4 KB fragments: 100 traces make several records a partition
    limit = 16 * 1024
    c = start_collector(kafka_broker, spans_partitions=PARTITIONS,
                        max_record_bytes=str(limit))
    try:
        body = build_request(traces=100, spans_per_trace=20, seed=40).SerializeToString()
        resp = httpx.post(f"{c.url}/v1/traces", content=body, headers=PROTO)
        assert resp.status_code == 200, resp.text
        records = read_fragments(kafka_broker.bootstrap, c.spans_topic, 100)
    finally:
        stop_collector(c)
    _check_placement(records)
    assert len({trace_id for trace_id, _ in span_fragments(records)}) == 100
    by_partition: dict[int, list[ConsumerRecord]] = defaultdict(list)
    for record in records:
        assert len(record.value) <= limit
        by_partition[record.partition].append(record)
    assert sorted(by_partition) == list(range(PARTITIONS))
    for in_order in by_partition.values():
        assert len(in_order) > 1
        # a record was closed only because its shard's next fragment did not fit in it
        for this, after in itertools.pairwise(in_order):
            first = record_fragments(after.value.decode())[0]
            assert len(this.value) + 1 + len(first) > limit


def test_spans_of_one_trace_in_two_requests_meet_on_one_partition(
    kafka_broker: Broker, collector: Collector
) -> None:
    traces = [f"{0xabc000 + t:032x}" for t in range(30)]

    def spans_of(trace_id: str, first: int) -> list[Span]:
        return [span(trace_id=trace_id, span_id=f"{s + 1:016x}", service="shop",
                     parent_id=None if s == 0 else f"{1:016x}", start_ns=START_NS + s)
                for s in range(first, first + 2)]

    head = otlp_request([s for t in traces for s in spans_of(t, 0)])
    resp = httpx.post(f"{collector.url}/v1/traces", content=head.SerializeToString(),
                      headers=PROTO)
    assert resp.status_code == 200, resp.text
    # the rest of each trace later, over the other receiver
    tail = otlp_request([s for t in traces for s in spans_of(t, 2)])
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        answer = trace_service_pb2_grpc.TraceServiceStub(channel).Export(tail, timeout=30)
    assert not answer.HasField("partial_success")
    records = read_fragments(kafka_broker.bootstrap, collector.spans_topic, 2 * len(traces))
    _check_placement(records)
    assert len(records) <= 2 * PARTITIONS  # a record per partition and request at most
    where: dict[str, set[int]] = defaultdict(set)
    spans: dict[str, set[str]] = defaultdict(set)
    fragments: dict[str, int] = defaultdict(int)
    for record in records:
        for trace_id, got in span_fragments([record]):
            where[trace_id].add(record.partition)
            spans[trace_id].update(s.span_id for s in got)
            fragments[trace_id] += 1
    assert set(where) == set(traces)
    for trace_id in traces:
        assert where[trace_id] == {shard_of(trace_id, PARTITIONS)}
        assert fragments[trace_id] == 2
        assert spans[trace_id] == {f"{s + 1:016x}" for s in range(4)}

