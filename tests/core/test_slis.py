"""SLI candidates: metric families, detection from metadata, and the PromQL they write."""

from __future__ import annotations

import re

import promql_parser
import pytest
from tests.golden.journeys import build_journey, traffic

from slo_scout.core.errors import SloScoutError
from slo_scout.core.slis import (
    FAMILIES,
    FamilyKind,
    availability_sli,
    detect_family,
    format_le,
    latency_sli,
    sli_candidates,
    slug,
)


def _journey(**kw):
    return build_journey(minutes=traffic(start_s=600, minutes=5, per_minute=10), **kw)


def _vector_selectors(query: str) -> list[promql_parser.VectorSelector]:
    found: list[promql_parser.VectorSelector] = []

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        for attr in ("expr", "lhs", "rhs", "vector_selector"):
            child = getattr(node, attr, None)
            if child is not None and child is not node:
                visit(child)
        for arg in getattr(node, "args", None) or []:
            visit(arg)

    visit(promql_parser.parse(query.replace("{{.window}}", "5m")))
    return found


def _labels(selector: promql_parser.VectorSelector) -> dict[str, tuple[str, str]]:
    out = {}
    for m in selector.matchers.matchers:
        out[m.name] = (str(m.op), m.value)
    return out


@pytest.mark.parametrize("kind", list(FamilyKind))
def test_every_query_of_every_family_parses_after_the_window_is_filled_in(kind):
    family = FAMILIES[kind]
    journey = _journey()
    for sli in sli_candidates(journey, family):
        for query in sli.queries:
            assert "{{.window}}" in query
            promql_parser.parse(query.replace("{{.window}}", "5m"))


def test_spanmetrics_availability_selects_the_entry_server_span_and_its_errors():
    sli = availability_sli(_journey(), FAMILIES[FamilyKind.SPANMETRICS])
    (error,) = _vector_selectors(sli.error_query)
    labels = _labels(error)
    assert error.name == "traces_span_metrics_calls_total"
    assert labels["service_name"][1] == "frontend"
    assert labels["span_name"][1] == "GET /api/orders"
    assert labels["span_kind"][1] == "SPAN_KIND_SERVER"
    assert labels["status_code"][1] == "STATUS_CODE_ERROR"
    (good,) = _vector_selectors(sli.good_query)
    assert _labels(good)["status_code"] == ("MatchOp.NotEqual", "STATUS_CODE_ERROR")


def test_tempo_uses_its_own_service_label_and_seconds_histogram():
    family = FAMILIES[FamilyKind.TEMPO]
    sli = latency_sli(_journey(), family, 0.256)
    selectors = _vector_selectors(sli.good_query)
    assert selectors[0].name == "traces_spanmetrics_latency_bucket"
    labels = _labels(selectors[0])
    assert labels["service"][1] == "frontend"
    assert labels["le"][1] == "0.256"


def test_http_server_histograms_select_route_method_and_5xx():
    family = FAMILIES[FamilyKind.HTTP_SERVER]
    sli = availability_sli(_journey(), family)
    (error,) = _vector_selectors(sli.error_query)
    labels = _labels(error)
    assert error.name == "http_server_request_duration_seconds_count"
    assert labels["http_route"][1] == "/api/orders"
    assert labels["http_request_method"][1] == "GET"
    assert labels["job"][1] == "frontend"
    assert labels["http_response_status_code"][1] == "5.."


def test_a_messaging_entry_is_selected_as_a_consumer_span():
    journey = _journey(protocol="messaging", method=None, operation="orders process")
    sli = availability_sli(journey, FAMILIES[FamilyKind.SPANMETRICS])
    assert ("span_kind", "=", "SPAN_KIND_CONSUMER") in sli.matchers


def test_integral_le_matches_both_prometheus_2_and_3_spellings():
    sli = latency_sli(_journey(), FAMILIES[FamilyKind.SPANMETRICS], 0.4)
    (bucket,) = [s for s in _vector_selectors(sli.good_query) if s.name.endswith("_bucket")]
    op, pattern = _labels(bucket)["le"]
    assert op == "MatchOp.Re"
    assert re.fullmatch(pattern, "400") and re.fullmatch(pattern, "400.0")
    assert not re.fullmatch(pattern, "4000")


def test_a_latency_threshold_that_is_not_a_bucket_boundary_is_refused():
    with pytest.raises(SloScoutError, match="not a bucket boundary"):
        latency_sli(_journey(), FAMILIES[FamilyKind.HTTP_SERVER], 0.3)


def test_the_default_threshold_is_the_bucket_at_or_above_p99():
    journey = build_journey(
        minutes=traffic(start_s=600, minutes=10, per_minute=100, latencies_s=(0.03, 0.07))
    )
    _, latency = sli_candidates(journey, FAMILIES[FamilyKind.HTTP_SERVER])
    assert latency.threshold_s == 0.075


def test_label_values_with_quotes_are_escaped():
    journey = _journey(operation='/say"hi"', span_name='GET /say"hi"')
    for sli in sli_candidates(journey, FAMILIES[FamilyKind.SPANMETRICS]):
        for query in sli.queries:
            promql_parser.parse(query.replace("{{.window}}", "5m"))


def _metadata(**entries):
    return {
        "status": "success",
        "data": {k: [{"type": t, "help": "", "unit": u}] for k, (t, u) in entries.items()},
    }


def test_detects_current_spanmetrics_in_milliseconds():
    family = detect_family(
        _metadata(
            traces_span_metrics_calls_total=("counter", ""),
            traces_span_metrics_duration_milliseconds=("histogram", ""),
        )
    )
    assert family is not None and family.kind is FamilyKind.SPANMETRICS
    assert family.unit == "ms" and family.buckets[0] == 2.0


def test_detects_spanmetrics_in_seconds_and_converts_the_buckets():
    family = detect_family(
        _metadata(
            traces_span_metrics_calls=("counter", ""),
            traces_span_metrics_duration_seconds=("histogram", ""),
        )
    )
    assert family is not None
    assert family.unit == "s" and family.buckets[0] == 0.002
    assert family.calls == "traces_span_metrics_calls_total"
    assert family.histogram == "traces_span_metrics_duration_seconds"


def test_detects_the_unsuffixed_histogram_unit_from_metadata():
    family = detect_family(
        _metadata(
            traces_span_metrics_calls_total=("counter", ""),
            traces_span_metrics_duration=("histogram", "s"),
        )
    )
    assert family is not None and family.unit == "s"
    assert family.histogram == "traces_span_metrics_duration"


def test_detects_legacy_tempo_and_http_families():
    legacy = detect_family(
        _metadata(calls_total=("counter", ""), duration_milliseconds=("histogram", ""))
    )
    tempo = detect_family(
        _metadata(
            traces_spanmetrics_calls_total=("counter", ""),
            traces_spanmetrics_latency=("histogram", ""),
        )
    )
    http = detect_family(_metadata(http_server_request_duration_seconds=("histogram", "s")))
    assert legacy is not None and legacy.kind is FamilyKind.SPANMETRICS_LEGACY
    assert tempo is not None and tempo.kind is FamilyKind.TEMPO
    assert http is not None and http.kind is FamilyKind.HTTP_SERVER


def test_detection_finds_nothing_in_unrelated_metadata():
    assert detect_family(_metadata(up=("gauge", ""))) is None


def test_bucket_boundaries_print_as_prometheus_2_writes_them():
    assert [format_le(v) for v in (0.005, 1.0, 2.5, 15000.0)] == ["0.005", "1", "2.5", "15000"]


def test_slugs_are_dns_labels():
    name = slug("POST /api/v1/Orders/{id}/items " * 5)
    assert len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)
