from __future__ import annotations

import gzip

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from tests.builders import framed, otlp_request, span

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import (
    DecodeReport,
    decode_bytes,
    decode_stream,
    iter_otlp_proto_messages,
)


def three_spans() -> list:
    return [
        span(
            span_id="00000000000000a1",
            service="frontend",
            name="GET /",
            attributes={"http.route": "/"},
        ),
        span(
            span_id="00000000000000a2",
            parent_id="00000000000000a1",
            service="cart",
            name="GetCart",
            kind="client",
            status="error",
            attributes={"rpc.service": "CartService", "rpc.grpc.status_code": 14},
        ),
        span(
            span_id="00000000000000a3",
            parent_id="00000000000000a2",
            service="redis",
            kind="internal",
        ),
    ]


def test_a_single_request_round_trips_every_field() -> None:
    expected = three_spans()
    data = otlp_request(expected, extra_attributes={"thread.id": 7}).SerializeToString()
    assert decode_bytes(data, source="one.pb") == expected


def test_framed_fileexporter_output_is_decoded_message_by_message() -> None:
    first, second = three_spans()[:2], three_spans()[2:]
    data = framed(otlp_request(first).SerializeToString(), otlp_request(second).SerializeToString())
    chunks = [data[i : i + 5] for i in range(0, len(data), 5)]
    batches = list(decode_stream(chunks, source="traces.binpb"))
    assert [len(b) for b in batches] == [2, 1]
    assert [s for b in batches for s in b] == three_spans()


def test_the_framing_helper_yields_each_message() -> None:
    messages = [b"\x0a\x00", b"", b"\x0a\x02\x0a\x00"]
    assert list(iter_otlp_proto_messages([framed(*messages)])) == messages


def test_a_truncated_last_frame_is_named_and_earlier_messages_are_kept() -> None:
    whole = otlp_request(three_spans()).SerializeToString()
    data = framed(whole, whole)[:-10]
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="cut.pb")
    assert (raised.value.source, raised.value.record) == ("cut.pb", "message 2")
    report = DecodeReport()
    spans = decode_bytes(data, source="cut.pb", skip_invalid=True, report=report)
    assert len(spans) == 3 and report.bad_records == 1


def test_a_truncated_single_message_is_a_decode_error() -> None:
    data = otlp_request(three_spans()).SerializeToString()[:-7]
    with pytest.raises(DecodeError, match="truncated or corrupt"):
        decode_bytes(data, source="cut.pb", fmt="otlp-proto")


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out) + bytes([n])


def test_legacy_instrumentation_library_spans_field_1000_is_read() -> None:
    modern = otlp_request(three_spans()[:1]).SerializeToString()
    # Rewrite ResourceSpans.scope_spans (field 2) as field 1000 (tag varint 0x1f42 | LEN).
    request = ExportTraceServiceRequest.FromString(modern)
    rs = request.resource_spans[0]
    scope = rs.scope_spans[0].SerializeToString()
    resource = rs.resource.SerializeToString()
    body = b"\x0a" + varint(len(resource)) + resource + b"\xc2\x3e" + varint(len(scope)) + scope
    data = b"\x0a" + varint(len(body)) + body
    assert decode_bytes(data, source="old.pb", fmt="otlp-proto") == three_spans()[:1]


def test_bad_spans_are_named_and_skipped_while_the_rest_of_the_scope_is_kept() -> None:
    request = otlp_request(three_spans())
    broken = request.resource_spans[1].scope_spans[0].spans[0]
    broken.trace_id = b"\x01\x02"
    data = request.SerializeToString()
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="bad.pb")
    error = raised.value
    assert error.record == 1
    assert error.field == "resourceSpans[1].scopeSpans[0].spans[0].traceId"
    assert "expected 16 bytes" in error.reason
    report = DecodeReport()
    spans = decode_bytes(data, source="bad.pb", skip_invalid=True, report=report)
    assert [s.span_id for s in spans] == ["00000000000000a1", "00000000000000a3"]
    assert report.bad_records == 1


def test_a_span_ending_before_it_starts_is_rejected() -> None:
    request = otlp_request(three_spans()[:1])
    s = request.resource_spans[0].scope_spans[0].spans[0]
    s.end_time_unix_nano = s.start_time_unix_nano - 1
    with pytest.raises(DecodeError) as raised:
        decode_bytes(request.SerializeToString(), source="t.pb")
    assert raised.value.field == "resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano"


def test_kvlist_and_array_attributes_are_flattened_to_kept_keys() -> None:
    request = otlp_request(three_spans()[:1])
    s = request.resource_spans[0].scope_spans[0].spans[0]
    del s.attributes[:]
    kv = s.attributes.add()
    kv.key = "http"
    inner = kv.value.kvlist_value.values.add()
    inner.key = "route"
    inner.value.string_value = "/items/{id}"
    arr = s.attributes.add()
    arr.key = "db.system"
    arr.value.array_value.values.add().string_value = "postgresql"
    (decoded,) = decode_bytes(request.SerializeToString(), source="kv.pb")
    assert decoded.attributes == {"http.route": "/items/{id}", "db.system": "postgresql"}


def test_attribute_values_repeated_across_spans_decode_to_their_own_values() -> None:
    spans = [
        span(
            span_id=f"{i + 1:016x}",
            attributes={"http.route": f"/r{i % 3}", "http.request.method": "GET"},
        )
        for i in range(30)
    ]
    assert decode_bytes(otlp_request(spans).SerializeToString(), source="r.pb") == spans


def test_gzip_protobuf_is_decompressed_as_it_streams() -> None:
    data = gzip.compress(framed(otlp_request(three_spans()).SerializeToString()))
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert [s for b in decode_stream(chunks, source="t.pb.gz") for s in b] == three_spans()
