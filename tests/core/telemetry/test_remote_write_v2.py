"""remote_write 2.0 requests read into (metric, type, label names), without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry.remote_write_v2 import (
    Request,
    SeriesMetric,
    infer_from_name,
    parse_request,
    series_metrics,
)

COUNTER, GAUGE, HISTOGRAM, GAUGE_HISTOGRAM, SUMMARY = 1, 2, 3, 4, 5


def request_of(*series: tuple[dict[str, str], int]) -> Any:
    """A request with one sample per series; each series is (labels, Metadata.type)."""
    symbols = [""]
    request = Request()
    for labels, kind in series:
        refs = []
        for text in (t for pair in labels.items() for t in pair):
            if text not in symbols:
                symbols.append(text)
            refs.append(symbols.index(text))
        ts = request.timeseries.add(labels_refs=refs)
        ts.samples.add(value=1.0, timestamp=1_700_000_000_000)
        ts.metadata.type = kind
    request.symbols.extend(symbols)
    return request


def test_each_declared_type_is_kept_with_the_sorted_label_names() -> None:
    request = request_of(
        ({"__name__": "http_requests_total", "job": "api", "code": "200"}, COUNTER),
        ({"__name__": "queue_depth", "queue": "orders"}, GAUGE),
        ({"__name__": "rpc_duration_seconds", "service": "cart"}, HISTOGRAM),
        ({"__name__": "inflight_bytes", "pool": "a"}, GAUGE_HISTOGRAM),
        ({"__name__": "gc_pause_seconds", "gen": "0"}, SUMMARY))
    assert series_metrics(parse_request(request.SerializeToString())) == [
        SeriesMetric("gc_pause_seconds", "summary", ("gen",)),
        SeriesMetric("http_requests_total", "counter", ("code", "job")),
        SeriesMetric("inflight_bytes", "gaugehistogram", ("pool",)),
        SeriesMetric("queue_depth", "gauge", ("queue",)),
        SeriesMetric("rpc_duration_seconds", "histogram", ("service",))]


def test_a_classic_histogram_and_a_summary_are_one_metric_each_under_the_family_name() -> None:
    request = request_of(
        ({"__name__": "latency_seconds_bucket", "le": "0.1", "route": "/"}, HISTOGRAM),
        ({"__name__": "latency_seconds_bucket", "le": "+Inf", "route": "/"}, HISTOGRAM),
        ({"__name__": "latency_seconds_sum", "route": "/"}, HISTOGRAM),
        ({"__name__": "latency_seconds_count", "route": "/"}, HISTOGRAM),
        ({"__name__": "rpc_seconds", "quantile": "0.99"}, SUMMARY),
        ({"__name__": "rpc_seconds_sum"}, SUMMARY),
        ({"__name__": "rpc_seconds_count"}, SUMMARY))
    assert series_metrics(request) == [
        SeriesMetric("latency_seconds", "histogram", ("route",)),
        SeriesMetric("rpc_seconds", "summary", ())]


def test_an_unspecified_type_is_inferred_from_the_name_as_for_remote_write_1() -> None:
    request = request_of(
        ({"__name__": "calls_total", "span_name": "GET /"}, 0),
        ({"__name__": "latency_bucket", "le": "1", "span_name": "GET /"}, 0),
        ({"__name__": "temperature", "room": "a"}, 0),
        ({"__name__": "bucket_without_le_bucket"}, 0))
    assert series_metrics(request) == [
        SeriesMetric("bucket_without_le_bucket", "unknown", ()),
        SeriesMetric("calls_total", "counter", ("span_name",)),
        SeriesMetric("latency", "histogram", ("span_name",)),
        SeriesMetric("temperature", "unknown", ("room",))]
    assert infer_from_name("latency_bucket", ["__name__", "le", "x"]) == SeriesMetric(
        "latency", "histogram", ("x",))


def test_series_without_a_name_are_skipped_and_duplicates_collapse() -> None:
    request = request_of(({"job": "api"}, GAUGE),
                         ({"__name__": "up", "job": "api"}, GAUGE),
                         ({"__name__": "up", "job": "web"}, GAUGE))
    assert series_metrics(request) == [SeriesMetric("up", "gauge", ("job",))]


def test_a_label_reference_outside_the_symbols_names_the_series() -> None:
    request = request_of(({"__name__": "up"}, GAUGE), ({"__name__": "down"}, GAUGE))
    request.timeseries[1].labels_refs[1] = 99
    with pytest.raises(DecodeError) as err:
        series_metrics(request, source="rw")
    assert (err.value.source, err.value.record, err.value.field) == ("rw", 1, "labels_refs")
    assert "99 is outside the 4 symbols" in str(err.value)


def test_an_odd_number_of_label_references_is_an_error() -> None:
    request = request_of(({"__name__": "up"}, GAUGE))
    request.timeseries[0].labels_refs.append(1)
    with pytest.raises(DecodeError, match="name/value pairs"):
        series_metrics(request)


def test_bytes_that_are_not_a_request_raise_a_decode_error() -> None:
    with pytest.raises(DecodeError, match=r"not an io\.prometheus\.write\.v2\.Request"):
        parse_request(b"\xff\xff\xff")

