"""Prometheus remote_write 2.0 on the collector: ``io.prometheus.write.v2.Request`` bodies built
here with the same descriptors, sent snappy-compressed over HTTP, read back from the metrics topic.

Prometheus 2.42 (the Debian package the 1.0 test runs) cannot send 2.0, so no real Prometheus
takes part here."""

from __future__ import annotations

from typing import Any

import cramjam
import httpx
from slo_scout_collectors.remote_write import WriteRequest
from slo_scout_collectors.remote_write_v2 import Request
from tests.collectors.conftest import Collector
from tests.collectors.topics import read_topic
from tests.fixtures.kafka import Broker

V2_HEADERS = {"content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
              "content-encoding": "snappy", "x-prometheus-remote-write-version": "2.0.0"}
COUNTER = 1  # Metadata.MetricType.METRIC_TYPE_COUNTER


def _request() -> Any:
    symbols = ["", "__name__", "http_requests_total", "job", "checkout", "code", "200",
               "http_request_duration_seconds", "trace_id", "ab" * 16, "requests total", "s"]
    request = Request(symbols=symbols)
    ref = symbols.index
    counter = request.timeseries.add(
        labels_refs=[ref("__name__"), ref("http_requests_total"), ref("code"), ref("200"),
                     ref("job"), ref("checkout")])
    counter.samples.add(value=41.0, timestamp=1_700_000_000_000)
    counter.samples.add(value=42.0, timestamp=1_700_000_015_000)
    counter.exemplars.add(labels_refs=[ref("trace_id"), ref("ab" * 16)], value=1.0,
                          timestamp=1_700_000_015_000)
    counter.metadata.type = COUNTER
    counter.metadata.help_ref = ref("requests total")
    duration = request.timeseries.add(
        labels_refs=[ref("__name__"), ref("http_request_duration_seconds"), ref("job"),
                     ref("checkout")])
    histogram = duration.histograms.add(count_int=3, sum=0.75, schema=0,
                                        timestamp=1_700_000_015_000)
    histogram.positive_spans.add(offset=-2, length=2)
    histogram.positive_deltas.extend([1, 1])
    duration.metadata.unit_ref = ref("s")
    return request


def _post(collector: Collector, raw: bytes, **headers: str) -> httpx.Response:
    return httpx.post(f"{collector.url}/api/v1/write",
                      content=bytes(cramjam.snappy.compress_raw(raw)),
                      headers={**V2_HEADERS, **headers})


def _written(resp: httpx.Response) -> tuple[str | None, ...]:
    return tuple(resp.headers.get(f"x-prometheus-remote-write-{kind}-written")
                 for kind in ("samples", "histograms", "exemplars"))


def test_a_v2_request_arrives_on_the_metrics_topic_with_its_written_counts(
    kafka_broker: Broker, collector: Collector
) -> None:
    request = _request()
    resp = _post(collector, request.SerializeToString())
    assert resp.status_code == 204, resp.text
    assert _written(resp) == ("2", "1", "1")
    records = read_topic(kafka_broker.bootstrap, collector.metrics_topic, 50, timeout=5)
    v2 = [r for r in records if dict(r.headers)["format"] == b"prometheus.remote_write.v2"]
    assert len(v2) == 1
    assert Request.FromString(v2[0].value) == request
    metrics = httpx.get(f"{collector.url}/metrics").text
    assert 'protocol="remote_write",signal="metrics"' in metrics


def test_a_truncated_v2_body_is_a_400_that_writes_nothing(collector: Collector) -> None:
    raw = _request().SerializeToString()
    resp = _post(collector, raw[: len(raw) - 7])
    assert resp.status_code == 400
    assert "io.prometheus.write.v2.Request" in resp.text
    assert _written(resp) == ("0", "0", "0")


def test_a_v2_label_reference_outside_the_symbols_is_a_400_naming_the_series(
    collector: Collector,
) -> None:
    request = _request()
    request.timeseries[1].labels_refs[1] = 99
    resp = _post(collector, request.SerializeToString())
    assert resp.status_code == 400
    assert "timeseries[1].labels_refs" in resp.text


def test_a_v2_series_without_a_name_is_a_400(collector: Collector) -> None:
    request = Request(symbols=["", "job", "x"])
    request.timeseries.add(labels_refs=[1, 2]).samples.add(value=1.0, timestamp=1)
    resp = _post(collector, request.SerializeToString())
    assert resp.status_code == 400
    assert "__name__" in resp.text


def test_a_v2_series_with_both_samples_and_histograms_is_a_400(collector: Collector) -> None:
    request = _request()
    request.timeseries[1].samples.add(value=1.0, timestamp=1)
    resp = _post(collector, request.SerializeToString())
    assert resp.status_code == 400
    assert "timeseries[1]" in resp.text


def test_an_unknown_proto_message_is_a_415(collector: Collector) -> None:
    resp = _post(collector, _request().SerializeToString(),
                 **{"content-type": "application/x-protobuf;proto=io.prometheus.write.v3.Request"})
    assert resp.status_code == 415
    assert "io.prometheus.write.v3.Request" in resp.text


def test_a_v2_body_in_another_encoding_is_a_415(collector: Collector) -> None:
    resp = _post(collector, _request().SerializeToString(), **{"content-encoding": "zstd"})
    assert resp.status_code == 415
    assert "zstd" in resp.text


def test_a_v1_request_on_the_same_endpoint_still_gets_the_1_0_answer(
    collector: Collector,
) -> None:
    request = WriteRequest()
    series = request.timeseries.add()
    series.labels.add(name="__name__", value="up")
    series.samples.add(value=1.0, timestamp=1_700_000_000_000)
    resp = _post(collector, request.SerializeToString(),
                 **{"content-type": "application/x-protobuf",
                    "x-prometheus-remote-write-version": "0.1.0"})
    assert resp.status_code == 204
    assert resp.headers["x-prometheus-remote-write-samples-written"] == "1"
