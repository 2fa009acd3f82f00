from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import DecodeReport, decode_bytes
from slo_scout.core.telemetry._ids import derived_id


def test_the_ride_sharing_trace_decodes_with_services_kinds_and_parents(datasets: Path) -> None:
    path = datasets / "jaeger" / "ride-sharing-trace.json"
    spans = {s.name: s for s in decode_bytes(path.read_bytes(), source=path.name)}
    assert set(spans) == {"OrderVehicle", "HTTP GET", "BikeHandler", "FindNearestVehicle"}
    root, client = spans["OrderVehicle"], spans["HTTP GET"]
    server, inner = spans["BikeHandler"], spans["FindNearestVehicle"]
    assert root.parent_id is None and root.service == "load-generator"
    assert (client.parent_id, client.kind, client.service) == (
        root.span_id,
        "client",
        "load-generator",
    )
    assert (server.parent_id, server.kind, server.service) == (
        client.span_id,
        "server",
        "ride-sharing-app",
    )
    assert inner.parent_id == server.span_id
    assert client.attributes == {
        "http.status_code": 200,
        "http.method": "GET",
        "http.url": "http://ap-south:5000/bike",
    }
    assert root.trace_id == "84b3fad94c6112edd6af3347d06f6f1d"
    assert (root.start_ns, root.end_ns) == (1660049722779884000, 1660049722779884000 + 1181596000)


def test_a_bare_trace_with_free_form_ids_keeps_its_references(datasets: Path) -> None:
    path = datasets / "jaeger" / "trace-graph-trace.json"
    spans = {s.span_id: s for s in decode_bytes(path.read_bytes(), source=path.name)}
    assert len(spans) == 11

    def sid(name: str) -> str:
        return derived_id(name, 8)

    assert spans[sid("span-1")].parent_id is None
    assert spans[sid("span-4")].parent_id == sid("span-3")
    # FOLLOWS_FROM is a parent when there is no CHILD_OF.
    consumer = spans[sid("span-7")]
    assert (consumer.parent_id, consumer.kind, consumer.service) == (
        sid("span-6"),
        "consumer",
        "service2",
    )
    assert spans[sid("span-2")].error is True  # tag error=true
    assert spans[sid("span-2_1")].error is False
    assert {s.trace_id for s in spans.values()} == {derived_id("trace-123", 16)}


def jaeger(*spans: dict[str, Any]) -> bytes:
    trace = {
        "traceID": "00000000000000000000000000000abc",
        "spans": list(spans),
        "processes": {"p1": {"serviceName": "shop", "tags": []}},
    }
    return json.dumps({"data": [trace]}).encode()


def jspan(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "traceID": "abc",
        "spanID": "0000000000000001",
        "operationName": "GET /",
        "references": [],
        "startTime": 1_600_000_000_000_000,
        "duration": 1000,
        "tags": [{"key": "span.kind", "type": "string", "value": "server"}],
        "processID": "p1",
    }
    base.update(overrides)
    return base


def test_child_of_wins_over_follows_from_and_short_ids_are_left_padded() -> None:
    refs = [
        {"refType": "FOLLOWS_FROM", "traceID": "abc", "spanID": "f"},
        {"refType": "CHILD_OF", "traceID": "abc", "spanID": "c"},
    ]
    (s,) = decode_bytes(jaeger(jspan(spanID="2", references=refs)), source="j.json")
    assert (s.trace_id, s.span_id, s.parent_id) == (
        "0" * 29 + "abc",
        "0" * 15 + "2",
        "0" * 15 + "c",
    )


def test_status_and_error_tags_decide_the_error_flag() -> None:
    tags = [
        {"key": "span.kind", "type": "string", "value": "server"},
        {"key": "http.status_code", "type": "int64", "value": "502"},
        {"key": "otel.status_code", "type": "string", "value": "ERROR"},
        {"key": "component", "type": "string", "value": "net/http"},
    ]
    (s,) = decode_bytes(jaeger(jspan(tags=tags)), source="j.json")
    assert (s.status, s.error) == ("error", True)
    assert s.attributes == {"http.status_code": 502, "otel.status_code": "ERROR"}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"spanID": None}, "spanID"),
        ({"startTime": "yesterday"}, "startTime"),
        ({"processID": "p9"}, "processID"),
        ({"tags": "x"}, "tags"),
        ({"duration": -5}, "duration"),
    ],
)
def test_a_bad_span_names_its_path_and_the_good_ones_are_kept(
    override: dict[str, Any], field: str
) -> None:
    data = jaeger(jspan(), jspan(**override))
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="j.json")
    assert (raised.value.source, raised.value.record) == ("j.json", 1)
    assert raised.value.field == f"data[0].spans[1].{field}"
    report = DecodeReport()
    assert len(decode_bytes(data, source="j.json", skip_invalid=True, report=report)) == 1
    assert report.bad_records == 1


def test_a_query_error_response_is_reported_not_crashed_on() -> None:
    data = b'{"data": null, "errors": [{"code": 404, "msg": "trace not found"}]}'
    with pytest.raises(DecodeError, match="trace not found"):
        decode_bytes(data, source="j.json", fmt="jaeger")
