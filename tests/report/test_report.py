"""The HTML report: one page, every journey, pictures inline, nothing fetched, same bytes."""

from __future__ import annotations

import re

import pytest

from slo_scout.core.journeys import Discovery, discover
from slo_scout.core.simulate import Simulation, default_shop, encode
from slo_scout.core.telemetry import decode_stream
from slo_scout.report import InputSummary, render_report
from slo_scout.report.charts import sketch_buckets
from slo_scout.report.graph import service_graph


@pytest.fixture(scope="module")
def discovery() -> Discovery:
    sim = Simulation(default_shop(), seed=21, traces=1200)
    chunks = encode(sim.batches(), sim.resources, "otlp-proto", "delimited")
    return discover(decode_stream(chunks, source="shop.pb"))


def _html(discovery: Discovery, **kwargs: object) -> str:
    files = render_report(discovery, **kwargs)  # type: ignore[arg-type]
    assert list(files) == ["report.html"]
    return files["report.html"].decode()


def test_every_journey_gets_a_section_with_four_pictures(discovery: Discovery) -> None:
    html = _html(discovery)
    assert len(re.findall(r'<section id="j-', html)) == len(discovery.journeys) == 7
    assert html.count("<svg") == 4 * 7
    for journey in discovery.journeys:
        assert f'href="#j-{journey.id}"' in html
        assert journey.sample_trace_ids[0] in html


def test_the_page_is_self_contained(discovery: Discovery) -> None:
    html = _html(discovery)
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="https?:', html)


def test_the_same_discovery_renders_the_same_bytes(discovery: Discovery) -> None:
    assert render_report(discovery) == render_report(discovery)


def test_only_the_busiest_journeys_get_pictures(discovery: Discovery) -> None:
    html = _html(discovery, max_pictured=2)
    assert html.count("<svg") == 4 * 2
    assert "busiest journeys" in html


def test_names_and_problems_from_the_input_are_escaped(discovery: Discovery) -> None:
    journey = discovery.journeys[0]
    original = journey.name
    journey.name = "<script>alert(1)</script>"
    try:
        html = _html(discovery, inputs=InputSummary(("a<b>.json",), 3, ("bad <record>",)))
    finally:
        journey.name = original
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "bad &lt;record&gt;" in html and "a&lt;b&gt;.json" in html


def test_the_latency_picture_is_drawn_from_every_request_in_the_sketch(
    discovery: Discovery,
) -> None:
    for journey in discovery.journeys:
        assert sum(count for _, count in sketch_buckets(journey.latency)) == journey.requests


def test_the_call_graph_has_a_node_per_service_and_sums_calls_per_service_pair(
    discovery: Discovery,
) -> None:
    checkout = next(j for j in discovery.journeys if j.entry.operation == "/api/checkout")
    graph = service_graph(checkout)
    assert set(graph.nodes) == set(checkout.services)
    assert graph.in_degree("frontend-proxy") == 0
    shipping = sum(e.calls for e in checkout.edges
                   if e.caller == "checkout" and e.callee == "shipping")
    assert graph.edges["checkout", "shipping"]["calls"] == shipping == 2 * checkout.requests
