"""The catalog job, all real: collector -> tansu -> metric catalog and log templates."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import cramjam
import httpx
import orjson
import psycopg
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from tests.collectors.conftest import Collector
from tests.collectors.topics import read_topic
from tests.fixtures.kafka import Broker
from tests.fixtures.postgres import PostgresServer

from slo_scout.core.slis import FamilyKind, detect_family
from slo_scout.core.telemetry.remote_write_v2 import FORMAT_V2, Request
from slo_scout.db.migrate import upgrade

pytest.importorskip("drain3", reason="drain3 not installed (scripts/install-nodeps.sh)")

TRACE_A = "0af7651916cd43dd8448eb211c80319c"
TRACE_B = "4bf92f3577b34da6a3ce929d0e0e4736"
SPANMETRICS_LABELS = ("service_name", "span_kind", "span_name", "status_code")


def _remote_write_body() -> bytes:
    from slo_scout_collectors.remote_write import WriteRequest

    request = WriteRequest()

    def series(name: str, **labels: str) -> None:
        ts = request.timeseries.add()
        for key, value in sorted({"__name__": name, **labels}.items()):
            ts.labels.add(name=key, value=value)
        ts.samples.add(value=1.0, timestamp=int(time.time() * 1000))

    base = {"service_name": "frontend", "span_name": "POST /checkout",
            "span_kind": "SPAN_KIND_SERVER", "status_code": "STATUS_CODE_UNSET"}
    series("traces_spanmetrics_calls_total", **base)
    series("traces_spanmetrics_latency_bucket", le="0.5", **base)
    series("traces_spanmetrics_latency_bucket", le="+Inf", **base)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def _remote_write_v2_request() -> Any:
    """Typed series (2.0 carries metadata.type): a native histogram and a gauge."""
    symbols = ["", "__name__", "checkout_request_duration_seconds", "route", "/pay",
               "checkout_inflight_requests", "service_name", "checkout"]
    request = Request(symbols=symbols)
    duration = request.timeseries.add(labels_refs=[1, 2, 3, 4])
    duration.histograms.add(count_int=1, sum=0.2, schema=0, timestamp=int(time.time() * 1000))
    duration.metadata.type = 3  # METRIC_TYPE_HISTOGRAM
    inflight = request.timeseries.add(labels_refs=[1, 5, 6, 7])
    inflight.samples.add(value=4.0, timestamp=int(time.time() * 1000))
    inflight.metadata.type = 2  # METRIC_TYPE_GAUGE
    return request


def _otlp_metrics_body() -> bytes:
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.attributes.add(key="service.name",
                               value=common_pb2.AnyValue(string_value="api"))
    metric = rm.scope_metrics.add().metrics.add(name="http.server.request.duration", unit="s")
    point = metric.histogram.data_points.add(count=1, sum=0.2, explicit_bounds=[0.5],
                                             bucket_counts=[1, 0])
    point.attributes.add(key="http.route", value=common_pb2.AnyValue(string_value="/orders"))
    point.attributes.add(key="http.request.method", value=common_pb2.AnyValue(string_value="GET"))
    metric.histogram.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
    return request.SerializeToString()


def _otlp_logs_body() -> bytes:
    request = logs_service_pb2.ExportLogsServiceRequest(resource_logs=[logs_pb2.ResourceLogs(
        resource=resource_pb2.Resource(attributes=[common_pb2.KeyValue(
            key="service.name", value=common_pb2.AnyValue(string_value="payment"))]))])
    scope = request.resource_logs[0].scope_logs.add()
    for order, trace, severity in ((17, TRACE_A, 17), (99, TRACE_B, 17), (5, TRACE_B, 9)):
        scope.log_records.add(
            severity_number=severity, trace_id=bytes.fromhex(trace),
            body=common_pb2.AnyValue(string_value=f"charge failed for order {order} after "
                                                  f"{order % 4 + 1} retries"))
    return request.SerializeToString()


def _loki_body() -> bytes:
    now = str(time.time_ns())
    return orjson.dumps({"streams": [{
        "stream": {"service_name": "frontend"},
        "values": [
            [now, f"level=error trace_id={TRACE_A} msg=\"upstream timeout\" host=10.0.0.7:8080"],
            [now, "level=error msg=\"upstream timeout\" host=10.0.0.9:8080"],
            [now, "level=info msg=\"request served\""],
        ]}]})


def _post(collector: Collector) -> None:
    with httpx.Client(base_url=collector.url, timeout=10) as http:
        proto = {"content-type": "application/x-protobuf"}
        rw = {**proto, "content-encoding": "snappy",
              "x-prometheus-remote-write-version": "0.1.0"}
        assert http.post("/api/v1/write", content=_remote_write_body(), headers=rw
                         ).status_code == 204
        v2 = {"content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
              "content-encoding": "snappy", "x-prometheus-remote-write-version": "2.0.0"}
        body = cramjam.snappy.compress_raw(_remote_write_v2_request().SerializeToString())
        assert http.post("/api/v1/write", content=bytes(body), headers=v2).status_code == 204
        assert http.post("/v1/metrics", content=_otlp_metrics_body(), headers=proto
                         ).status_code == 200
        assert http.post("/v1/logs", content=_otlp_logs_body(), headers=proto).status_code == 200
        assert http.post("/loki/api/v1/push", content=_loki_body(),
                         headers={"content-type": "application/json"}).status_code == 204


async def _produce_junk(bootstrap: str, topic: str) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"\xff\xfenot protobuf",
                                     headers=[("format", b"otlp_http")])
    finally:
        await producer.stop()


def test_metric_families_and_error_templates_are_recorded_for_the_generators(
    kafka_broker: Broker, collector: Collector, postgres_server: PostgresServer
) -> None:
    from slo_scout_streaming.catalog_job import run
    from slo_scout_streaming.settings import PipelineSettings

    url = postgres_server.create_database("catalog")
    upgrade(url)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    _post(collector)
    asyncio.run(_produce_junk(kafka_broker.bootstrap, collector.metrics_topic))
    settings = PipelineSettings(
        bootstrap_servers=kafka_broker.bootstrap, metrics_topic=collector.metrics_topic,
        logs_topic=collector.logs_topic, dead_letter_topic=collector.dead_letter_topic,
        database_dsn=dsn, environment="staging", bounded=True,
        catalog_group_id=f"c{time.time_ns()}")
    report = run(settings)
    assert (report.records, report.error_lines, report.dead_letters) == (6, 4, 1)

    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT environment, metric, label_keys, metric_type, source "
                            "FROM metric_catalog ORDER BY metric").fetchall()
        assert rows == [
            ("staging", "checkout_inflight_requests", "service_name", "gauge",
             "prometheus.remote_write.v2"),
            ("staging", "checkout_request_duration_seconds", "route", "histogram",
             "prometheus.remote_write.v2"),
            ("staging", "http.server.request.duration", "http.request.method,http.route",
             "histogram", "otlp_http"),
            ("staging", "traces_spanmetrics_calls_total", ",".join(SPANMETRICS_LABELS),
             "counter", "prometheus.remote_write.v1"),
            ("staging", "traces_spanmetrics_latency", ",".join(SPANMETRICS_LABELS),
             "histogram", "prometheus.remote_write.v1")]
        # What the SLI generator does with it: the catalog is detect_family's input
        # (traces_spanmetrics_* is Tempo's metrics-generator naming).
        metadata = {m: [{"type": t}] for _, m, _, t, _ in rows}
        family = detect_family(metadata)
        assert family is not None and family.kind == FamilyKind.TEMPO

        templates = conn.execute("SELECT service, template, occurrences FROM log_templates "
                                 "ORDER BY service, template").fetchall()
        assert templates == [
            ("frontend", 'level=error msg="upstream timeout" host=<IP>', 2),
            ("payment", "charge failed for order <NUM> after <NUM> retries", 2)]

        # Linked to journeys by trace id: the journey job's ledger maps traces to journeys.
        conn.execute("INSERT INTO trace_ledger (trace_id, journey_key, minute) VALUES "
                     "(%s, 'k-checkout', now()), (%s, 'k-refund', now())", (TRACE_A, TRACE_B))
        linked = conn.execute(
            "SELECT l.journey_key, t.service, t.template FROM log_template_traces x "
            "JOIN log_templates t ON t.id = x.template_id "
            "JOIN trace_ledger l ON l.trace_id = x.trace_id "
            "ORDER BY 1, 2, 3").fetchall()
        assert linked == [
            ("k-checkout", "frontend", 'level=error msg="upstream timeout" host=<IP>'),
            ("k-checkout", "payment", "charge failed for order <NUM> after <NUM> retries"),
            ("k-refund", "payment", "charge failed for order <NUM> after <NUM> retries")]

    dead = read_topic(kafka_broker.bootstrap, collector.dead_letter_topic, 1)
    assert [dict(r.headers).get("error") for r in dead] == [b"DecodeError"]


def test_metrics_seen_reads_a_v2_request_with_its_declared_types() -> None:
    from slo_scout_streaming.telemetry_catalog import MetricSeen, metrics_seen

    request = _remote_write_v2_request()
    request.symbols.extend(["calls_total"])
    untyped = request.timeseries.add(labels_refs=[1, 8, 6, 7])  # type 0: read from the name
    untyped.samples.add(value=1.0, timestamp=1)
    assert sorted(metrics_seen(request.SerializeToString(), FORMAT_V2)) == [
        MetricSeen("calls_total", ("service_name",), "counter", FORMAT_V2),
        MetricSeen("checkout_inflight_requests", ("service_name",), "gauge", FORMAT_V2),
        MetricSeen("checkout_request_duration_seconds", ("route",), "histogram", FORMAT_V2)]


def test_a_v2_request_with_a_reference_outside_its_symbols_is_a_bad_record() -> None:
    from slo_scout_streaming.telemetry_catalog import metrics_seen

    request = _remote_write_v2_request()
    request.timeseries[1].labels_refs[3] = 40
    with pytest.raises(ValueError, match=r"record 1, field 'labels_refs': 40 is outside"):
        metrics_seen(request.SerializeToString(), FORMAT_V2)
