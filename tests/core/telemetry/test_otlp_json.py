from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import DecodeReport, decode_bytes, decode_stream

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"
PARENT = "eee19b7ec3c1b173"


def otlp_span(**overrides: Any) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": TRACE,
        "spanId": SPAN,
        "parentSpanId": PARENT,
        "name": "GET /cart",
        "kind": 2,
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": "1544712661000000000",
    }
    span.update(overrides)
    return {k: v for k, v in span.items() if v is not None}


def document(*spans: dict[str, Any], service: str = "cart", key: str = "resourceSpans") -> bytes:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    return json.dumps(
        {key: [{"resource": resource, "scopeSpans": [{"spans": list(spans)}]}]}
    ).encode()


def test_the_protocol_example_decodes_with_uppercase_hex_ids_lowercased(datasets: Path) -> None:
    spans = decode_bytes((datasets / "otlp" / "trace.json").read_bytes(), source="trace.json")
    assert len(spans) == 1
    s = spans[0]
    assert (s.trace_id, s.span_id, s.parent_id) == (TRACE, SPAN, PARENT)
    assert (s.service, s.name, s.kind) == ("my.service", "I'm a server span", "server")
    assert (s.start_ns, s.end_ns) == (1544712660000000000, 1544712661000000000)
    assert s.attributes == {}  # my.span.attr is not a kept attribute


def test_several_resources_in_one_file_each_give_their_service(datasets: Path) -> None:
    path = datasets / "jaeger" / "otlp-multi-in.json"
    spans = decode_bytes(path.read_bytes(), source=path.name)
    assert len(spans) == 4
    assert {s.service for s in spans} == {"example-trace"}
    assert all(len(s.trace_id) == 32 and len(s.span_id) == 16 for s in spans)
    assert [s.kind for s in spans].count("internal") >= 1


def test_base64_ids_are_read_as_bytes_and_written_as_hex() -> None:
    b64 = otlp_span(
        traceId=base64.b64encode(bytes.fromhex(TRACE)).decode(),
        spanId=base64.b64encode(bytes.fromhex(SPAN)).decode(),
        parentSpanId=base64.b64encode(bytes.fromhex(PARENT)).decode(),
    )
    (s,) = decode_bytes(document(b64), source="b64.json")
    assert (s.trace_id, s.span_id, s.parent_id) == (TRACE, SPAN, PARENT)


def test_string_enums_and_numeric_int64_mean_the_same_as_numbers() -> None:
    named = otlp_span(
        kind="SPAN_KIND_CLIENT",
        status={"code": "STATUS_CODE_ERROR", "message": "boom"},
        startTimeUnixNano=1544712660000000000,
        endTimeUnixNano=1544712661000000000,
    )
    (s,) = decode_bytes(document(named), source="enums.json")
    assert (s.kind, s.status, s.error) == ("client", "error", True)
    assert s.start_ns == 1544712660000000000


def test_legacy_instrumentation_library_spans_are_read() -> None:
    doc = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "old"}}]
                },
                "instrumentationLibrarySpans": [{"spans": [otlp_span()]}],
            }
        ]
    }
    (s,) = decode_bytes(json.dumps(doc).encode(), source="legacy.json")
    assert s.service == "old"


def test_tempo_batches_are_read_like_resource_spans() -> None:
    (s,) = decode_bytes(document(otlp_span(), key="batches"), source="tempo.json")
    assert (s.service, s.span_id) == ("cart", SPAN)


def test_only_kept_attributes_survive_with_their_json_types() -> None:
    attrs = [
        {"key": "http.route", "value": {"stringValue": "/cart/{id}"}},
        {"key": "http.response.status_code", "value": {"intValue": "503"}},
        {"key": "error", "value": {"boolValue": False}},
        {"key": "db.system", "value": {"arrayValue": {"values": [{"stringValue": "pg"}]}}},
        {
            "key": "rpc",
            "value": {
                "kvlistValue": {"values": [{"key": "method", "value": {"stringValue": "Get"}}]}
            },
        },
        {"key": "user.id", "value": {"stringValue": "u-42"}},
        {"key": "payload.size", "value": {"doubleValue": 1.5}},
    ]
    (s,) = decode_bytes(document(otlp_span(attributes=attrs)), source="attrs.json")
    assert s.attributes == {
        "http.route": "/cart/{id}",
        "http.response.status_code": 503,
        "error": False,
        "db.system": "pg",
        "rpc.method": "Get",
    }
    assert s.error is True  # a 503 on a server span


def test_the_service_falls_back_to_the_kubernetes_deployment() -> None:
    doc = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "unknown_service:java"}},
                        {
                            "key": "k8s.pod.name",
                            "value": {"stringValue": "ts-order-service-7d8f9c6b5-x2k4p"},
                        },
                    ]
                },
                "scopeSpans": [{"spans": [otlp_span()]}],
            }
        ]
    }
    (s,) = decode_bytes(json.dumps(doc).encode(), source="k8s.json")
    assert s.service == "ts-order-service"


def test_json_lines_are_decoded_line_by_line_in_small_chunks() -> None:
    lines = [
        document(otlp_span(spanId=f"{i + 1:016x}"), service=f"svc{i}").decode() for i in range(5)
    ]
    data = ("\n".join(lines) + "\n").encode()
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    spans = [s for batch in decode_stream(chunks, source="export.jsonl") for s in batch]
    assert [s.service for s in spans] == [f"svc{i}" for i in range(5)]


def test_a_bad_line_in_json_lines_is_counted_and_the_others_kept() -> None:
    good = document(otlp_span()).decode()
    data = f"{good}\nnot json at all\n{good}\n".encode()
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="export.jsonl")
    assert raised.value.record == "line 2"
    assert "export.jsonl" in str(raised.value)
    report = DecodeReport()
    spans = decode_bytes(data, source="export.jsonl", skip_invalid=True, report=report)
    assert len(spans) == 2
    assert (report.spans, report.bad_records) == (2, 1)


@pytest.mark.parametrize(
    ("override", "field", "reason"),
    [
        ({"traceId": None}, "traceId", "missing"),
        ({"traceId": "zz"}, "traceId", "hex or base64"),
        ({"traceId": "0" * 32}, "traceId", "all zeros"),
        ({"spanId": 12}, "spanId", "expected a string"),
        ({"startTimeUnixNano": "soon"}, "startTimeUnixNano", "not an integer"),
        ({"endTimeUnixNano": "1544712659000000000"}, "endTimeUnixNano", "before it starts"),
        ({"kind": "SPAN_KIND_SIDEWAYS"}, "kind", "unknown span kind"),
        ({"name": ["x"]}, "name", "expected a string"),
        (
            {"attributes": [{"key": "http.route", "value": {"stringValue": 3}}]},
            "attributes[0].value.stringValue",
            "expected a string",
        ),
    ],
)
def test_a_bad_span_names_the_file_the_record_and_the_json_path(
    override: dict[str, Any], field: str, reason: str
) -> None:
    data = document(otlp_span(spanId="0000000000000001"), otlp_span(**override))
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="bad.json")
    error = raised.value
    assert error.source == "bad.json"
    assert error.record == 1
    assert error.field == f"resourceSpans[0].scopeSpans[0].spans[1].{field}"
    assert reason in error.reason
    assert str(error).startswith("bad.json, record 1, field 'resourceSpans[0]")


def test_skipping_invalid_spans_keeps_the_good_ones_in_the_same_batch() -> None:
    data = document(otlp_span(spanId="0000000000000001"), otlp_span(traceId="nope"), otlp_span())
    report = DecodeReport()
    spans = decode_bytes(data, source="mixed.json", skip_invalid=True, report=report)
    assert [s.span_id for s in spans] == ["0000000000000001", SPAN]
    assert report.bad_records == 1
    assert report.problems[0].field == "resourceSpans[0].scopeSpans[0].spans[1].traceId"


def test_garbage_and_wrong_shapes_are_decode_errors_not_tracebacks() -> None:
    for data in (b'{"resourceSpans": [', b'{"resourceSpans": {"a": 1}}', b'{"resourceSpans": [3]}'):
        with pytest.raises(DecodeError) as raised:
            decode_bytes(data, source="x.json", fmt="otlp-json")
        assert raised.value.source == "x.json"
