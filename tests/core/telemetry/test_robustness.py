"""Whatever the bytes, a decoder answers with spans or a DecodeError, never another exception."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.builders import framed, otlp_request, span

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import decode_bytes

SPANS = [
    span(attributes={"http.route": "/x", "http.status_code": 500}),
    span(span_id="00000000000000a2", parent_id="b7ad6b7169203331", service="b", kind="client"),
]
OTLP_JSON = json.dumps(
    {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "x",
                                "kind": "SPAN_KIND_SERVER",
                                "startTimeUnixNano": "1",
                                "endTimeUnixNano": 2,
                                "attributes": [
                                    {"key": "http.route", "value": {"stringValue": "/"}}
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }
).encode()
JAEGER = json.dumps(
    {
        "data": [
            {
                "traceID": "abc",
                "processes": {"p": {"serviceName": "s"}},
                "spans": [
                    {
                        "traceID": "abc",
                        "spanID": "1",
                        "operationName": "o",
                        "processID": "p",
                        "startTime": 1,
                        "duration": 1,
                        "references": [{"refType": "CHILD_OF", "traceID": "abc", "spanID": "2"}],
                        "tags": [{"key": "error", "type": "bool", "value": True}],
                    }
                ],
            }
        ]
    }
).encode()
ZIPKIN = json.dumps(
    [
        {
            "traceId": "a" * 16,
            "id": "b" * 16,
            "kind": "CLIENT",
            "timestamp": 1,
            "duration": 2,
            "localEndpoint": {"serviceName": "x"},
        },
        {
            "traceId": "a" * 16,
            "id": "b" * 16,
            "kind": "SERVER",
            "shared": True,
            "timestamp": 1,
            "localEndpoint": {"serviceName": "y"},
            "tags": {"error": ""},
        },
    ]
).encode()
CSV = (
    b"TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
    b"898fbabdd1894463575af052c4cd7982,233d5101e107e112,root,ts-a-6f6cfc45b-h5m2n,/*,1,2,0\n"
)
SAMPLES = [
    otlp_request(SPANS).SerializeToString(),
    framed(otlp_request(SPANS).SerializeToString(), otlp_request(SPANS).SerializeToString()),
    OTLP_JSON,
    OTLP_JSON.replace(b"\n", b"") + b"\n" + OTLP_JSON.replace(b"\n", b""),
    JAEGER,
    ZIPKIN,
    CSV,
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from([b'"', b"{", b"[", b"null", b"-1", b"1e999", b"\x00", b","])
            )
        else:
            del data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=mutated(), skip_invalid=st.booleans())
def test_mutated_input_gives_spans_or_a_decode_error(data: bytes, skip_invalid: bool) -> None:
    try:
        spans = decode_bytes(data, source="fuzz", skip_invalid=skip_invalid)
    except DecodeError as error:
        assert error.source == "fuzz"
        return
    for s in spans:
        assert len(s.trace_id) == 32 and len(s.span_id) == 16
        assert s.start_ns <= s.end_ns
        assert s.service
