"""The simulator: deterministic bytes, well-formed trees, and the variation it promises."""

from __future__ import annotations

import copy
import json
import statistics
from collections import defaultdict
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from slo_scout.core.simulate import (
    DEFAULT_SHOP,
    SimRequest,
    SimSpan,
    Simulation,
    default_shop,
    encode,
    scenario_from_dict,
)
from slo_scout.core.telemetry.model import service_from_resource


def _bytes(fmt: str, framing: str = "single", seed: int = 7, traces: int = 300) -> bytes:
    sim = Simulation(default_shop(), seed=seed, traces=traces)
    return b"".join(encode(sim.batches(512), sim.resources, fmt, framing))  # type: ignore[arg-type]


def _requests(**limits: int) -> tuple[Simulation, list[SimRequest]]:
    sim = Simulation(default_shop(), seed=11, **limits)  # type: ignore[arg-type]
    return sim, list(sim.requests())


@pytest.mark.parametrize(
    ("fmt", "framing"),
    [("otlp-json", "single"), ("otlp-jsonl", "single"), ("otlp-proto", "single"),
     ("otlp-proto", "delimited")],
)
def test_the_same_seed_gives_identical_bytes(fmt: str, framing: str) -> None:
    assert _bytes(fmt, framing) == _bytes(fmt, framing)


def test_another_seed_gives_other_traffic() -> None:
    assert _bytes("otlp-proto", seed=1) != _bytes("otlp-proto", seed=2)


def test_a_trace_limit_is_exact_and_a_span_limit_stops_at_the_next_trace_boundary() -> None:
    sim, requests = _requests(traces=123)
    assert len(requests) == 123 == sim.truth.traces
    sim, requests = _requests(spans=5_000)
    total = sum(len(r.spans) for r in requests)
    assert total >= 5_000
    assert total - len(requests[-1].spans) < 5_000


def test_a_duration_limit_keeps_every_request_inside_it() -> None:
    sim, requests = _requests(duration_s=30)
    assert requests
    assert all(r.start_ns < sim.start_ns + 30 * 10**9 for r in requests)
    assert len(requests) == pytest.approx(30 * sim.rate, rel=0.25)


def test_every_trace_has_one_root_the_generic_gateway_and_children_nest_in_parents() -> None:
    sim, requests = _requests(traces=400)
    gateway = {r.pod for r in sim.resources if r.service == "frontend-proxy"}
    for request in requests:
        by_id = {s.span_id: s for s in request.spans}
        assert len(by_id) == len(request.spans)
        roots = [s for s in request.spans if not s.parent_id]
        assert len(roots) == 1
        assert roots[0].name == "HTTP POST"
        assert sim.resources[roots[0].resource].pod in gateway
        assert dict(roots[0].attributes).keys() == {"http.request.method",
                                                    "http.response.status_code"}
        for span in request.spans:
            assert span.trace_id == request.trace_id
            assert span.start_ns < span.end_ns
            if span.parent_id:
                parent = by_id[span.parent_id]
                assert parent.start_ns <= span.start_ns and span.end_ns <= parent.end_ns


def test_a_failed_request_fails_at_the_root() -> None:
    _, requests = _requests(traces=3_000)
    failed = [r for r in requests if r.error]
    assert failed
    for request in requests:
        root = next(s for s in request.spans if not s.parent_id)
        assert (root.status == 2) == request.error


def test_a_cache_hit_skips_the_database_and_a_miss_reads_it() -> None:
    sim, requests = _requests(traces=2_000)
    browse = [r for r in requests if sim.scenario.journeys[r.journey].name == "browse-product"]
    misses = [r for r in browse if "cache miss redis GET" in r.differences]
    hits = [r for r in browse if "cache miss redis GET" not in r.differences]
    assert misses and hits
    assert all(any(s.name == "SELECT products" for s in r.spans) for r in misses)
    assert not any(s.name == "SELECT products" for r in hits for s in r.spans)
    assert len(misses) / len(browse) == pytest.approx(0.2, abs=0.05)


def test_a_retried_payment_leaves_one_failed_and_one_later_attempt() -> None:
    _, requests = _requests(traces=6_000)
    retried = [r for r in requests if "retry payment oteldemo.PaymentService/Charge" in
               r.differences]
    assert retried
    for request in retried:
        charges = sorted((s for s in request.spans
                          if s.name == "oteldemo.PaymentService/Charge" and s.kind == 2),
                         key=lambda s: s.start_ns)
        assert len(charges) == 2
        assert charges[0].status == 2
        assert dict(charges[0].attributes)["rpc.grpc.status_code"] == 14
        assert charges[0].end_ns < charges[1].start_ns


def test_the_error_burst_and_the_latency_regression_happen_inside_their_windows() -> None:
    sim, requests = _requests(traces=20_000)
    truth = sim.truth.to_dict()
    burst, regression = truth["incidents"]
    charge_errors: dict[bool, list[int]] = defaultdict(list)
    catalog_ms: dict[bool, list[float]] = defaultdict(list)
    for request in requests:
        for span in request.spans:
            service = sim.resources[span.resource].service
            # Retried attempts fail by design (UNAVAILABLE, 14); the burst fails with INTERNAL.
            code = dict(span.attributes).get("rpc.grpc.status_code")
            if service == "payment" and span.kind == 2 and code != 14:
                inside = burst["start_ns"] <= request.start_ns < burst["end_ns"]
                charge_errors[inside].append(span.status == 2)
            if service == "product-catalog" and span.kind == 2:
                inside = regression["start_ns"] <= request.start_ns < regression["end_ns"]
                catalog_ms[inside].append((span.end_ns - span.start_ns) / 1e6)
    assert statistics.mean(charge_errors[True]) > 0.3 > 0.02 > statistics.mean(charge_errors[False])
    assert statistics.median(catalog_ms[True]) > 3 * statistics.median(catalog_ms[False])
    assert burst["requests_touched"] > 0 and regression["requests_touched"] > 0


def test_resources_name_services_and_pods_and_one_service_only_by_its_pod() -> None:
    sim = Simulation(default_shop(), seed=3, traces=10)
    for resource in sim.resources:
        attrs = dict(resource.attributes)
        assert attrs["k8s.pod.name"].startswith(resource.service + "-")
        assert service_from_resource(attrs) == resource.service
    email = [dict(r.attributes) for r in sim.resources if r.service == "email"]
    assert email and all("service.name" not in a for a in email)


def test_protobuf_output_parses_back_with_every_span_framed_or_not() -> None:
    single = _bytes("otlp-proto", "single")
    request = ExportTraceServiceRequest.FromString(single)
    total = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    sim = Simulation(default_shop(), seed=7, traces=300)
    list(sim.requests())
    assert total == sim.truth.spans

    framed = _bytes("otlp-proto", "delimited")
    offset, framed_total = 0, 0
    while offset < len(framed):
        size = int.from_bytes(framed[offset : offset + 4], "big")
        message = ExportTraceServiceRequest.FromString(framed[offset + 4 : offset + 4 + size])
        framed_total += sum(len(ss.spans) for rs in message.resource_spans
                            for ss in rs.scope_spans)
        offset += 4 + size
    assert offset == len(framed) and framed_total == total


def test_json_output_is_otlp_json_with_hex_ids_and_string_timestamps() -> None:
    document = json.loads(_bytes("otlp-json"))
    spans = [s for rs in document["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    assert spans
    for span in spans:
        assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
        int(span["traceId"], 16)
        assert isinstance(span["startTimeUnixNano"], str)
        assert span["kind"] in (1, 2, 3)
    lines = _bytes("otlp-jsonl").splitlines()
    assert len(lines) > 1
    assert sum(len(ss["spans"]) for line in lines for rs in json.loads(line)["resourceSpans"]
               for ss in rs["scopeSpans"]) == len(spans)


def test_ground_truth_adds_up_to_the_generated_traffic() -> None:
    sim, requests = _requests(traces=2_500)
    truth = sim.truth.to_dict()
    journeys = truth["journeys"]
    assert sum(j["requests"] for j in journeys.values()) == len(requests) == truth["traces"]
    assert sum(j["spans"] for j in journeys.values()) == truth["spans"]
    assert sum(j["errors"] for j in journeys.values()) == sum(r.error for r in requests)
    assert journeys["checkout"]["services"] == sorted(
        ["frontend-proxy", "frontend", "checkout", "cart", "product-catalog", "currency",
         "shipping", "quote", "payment", "email"])
    assert journeys["get-ads"]["entry"] == {"service": "ad", "operation":
                                            "oteldemo.AdService/GetAds", "protocol": "rpc",
                                            "method": None, "opaque": False}


def test_an_opaque_front_end_names_nothing_about_the_request() -> None:
    doc = copy.deepcopy(DEFAULT_SHOP)
    doc["journeys"][0]["entry"]["opaque"] = True
    sim = Simulation(scenario_from_dict(doc), seed=2, traces=300)
    for request in sim.requests():
        if request.journey == 0:
            entry = next(s for s in request.spans
                         if sim.resources[s.resource].service == "frontend" and s.kind == 2)
            assert entry.name == "HTTP GET"
            assert dict(entry.attributes).keys() == {"http.request.method",
                                                     "http.response.status_code"}


def _one_incident(incident: dict[str, object], traces: int) -> tuple[Simulation, list[SimRequest]]:
    doc = copy.deepcopy(DEFAULT_SHOP)
    doc["incidents"] = [{"start": 0.5, "duration": 0.5, **incident}]
    sim = Simulation(scenario_from_dict(doc), seed=5, traces=traces)
    return sim, list(sim.requests())


def _served_calls(sim: Simulation, requests: list[SimRequest]
                  ) -> Iterator[tuple[bool, str, SimSpan, SimSpan]]:
    """(inside the incident, service, server span, its caller-side parent) of every call."""
    for request in requests:
        by_id = {s.span_id: s for s in request.spans}
        for span in request.spans:
            parent = by_id.get(span.parent_id)
            if span.kind == 2 and parent is not None:
                yield bool(request.incidents), sim.resources[span.resource].service, span, parent


def test_a_network_delay_grows_the_caller_s_client_span_and_not_the_service_s_server_span() -> None:
    sim, requests = _one_incident({"kind": "network_delay", "service": "currency",
                                   "delay_ms": 50}, traces=4_000)
    wire_ms: dict[bool, list[float]] = defaultdict(list)
    server_ms: dict[bool, list[float]] = defaultdict(list)
    for inside, service, span, parent in _served_calls(sim, requests):
        if service == "currency":
            server_ms[inside].append((span.end_ns - span.start_ns) / 1e6)
            wire_ms[inside].append(((parent.end_ns - parent.start_ns)
                                    - (span.end_ns - span.start_ns)) / 1e6)
    assert statistics.median(wire_ms[False]) < 1 < 40 < statistics.median(wire_ms[True]) < 60
    assert statistics.median(server_ms[True]) == pytest.approx(
        statistics.median(server_ms[False]), rel=0.1)
    assert sim.truth.to_dict()["incidents"][0]["delay_ms"] == 50


def test_a_network_delay_also_delays_the_requests_the_service_makes() -> None:
    # ChaosMesh delays a pod's egress: shipping's requests to quote leave late (the request
    # leg), its responses to checkout too (the response leg); quote's own work does not change
    sim, requests = _one_incident({"kind": "network_delay", "service": "shipping",
                                   "delay_ms": 50}, traces=6_000)
    request_leg: dict[bool, list[float]] = defaultdict(list)
    response_leg: dict[bool, list[float]] = defaultdict(list)
    quote_ms: dict[bool, list[float]] = defaultdict(list)
    for inside, service, span, parent in _served_calls(sim, requests):
        if service == "quote":
            request_leg[inside].append((span.start_ns - parent.start_ns) / 1e6)
            quote_ms[inside].append((span.end_ns - span.start_ns) / 1e6)
        elif service == "shipping":
            response_leg[inside].append((parent.end_ns - span.end_ns) / 1e6)
    for leg in (request_leg, response_leg):
        assert statistics.median(leg[False]) < 1 < 40 < statistics.median(leg[True]) < 60
    assert statistics.median(quote_ms[True]) == pytest.approx(
        statistics.median(quote_ms[False]), rel=0.1)


def test_an_error_burst_throws_before_the_calls_it_had_not_made() -> None:
    _sim, requests = _one_incident({"kind": "error_burst", "service": "cart", "error_rate": 1.0,
                                    "operation": "oteldemo.CartService/AddItem"}, traces=3_000)
    below: dict[bool, list[int]] = defaultdict(list)
    for request in requests:
        adds = [s for s in request.spans
                if s.kind == 2 and s.name == "oteldemo.CartService/AddItem"]
        for add in adds:
            assert (add.status == 2) == bool(request.incidents)
            below[bool(request.incidents)].append(
                sum(1 for s in request.spans if s.parent_id == add.span_id))
    # AddItem's one call (redis HSET) is made outside the burst and never inside it.
    assert set(below[False]) == {1} and set(below[True]) == {0}
