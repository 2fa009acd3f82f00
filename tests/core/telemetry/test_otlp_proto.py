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


# Spans whose attributes are written byte by byte: the fast path reads a span's attributes as
# one merged blob and must agree with the official parser on every valid encoding.
def _field(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + varint(len(payload)) + payload


def _key(key: str) -> bytes:
    return _field(0x0A, key.encode())


def _text(value: str) -> bytes:
    return _field(0x12, _field(0x0A, value.encode()))  # AnyValue{string_value}


def _attribute(*fields: bytes) -> bytes:
    return _field(0x4A, b"".join(fields))  # Span.attributes (field 9), one KeyValue


def _request_with(*raw_attributes: bytes) -> bytes:
    """One request with the three spans, the first carrying ``raw_attributes`` as written."""
    request = otlp_request(three_spans())
    first = request.resource_spans[0]
    del first.scope_spans[0].spans[0].attributes[:]
    span_bytes = first.scope_spans[0].spans[0].SerializeToString() + b"".join(raw_attributes)
    resource = _field(0x0A, first.resource.SerializeToString())
    rebuilt = _field(0x0A, resource + _field(0x12, _field(0x12, span_bytes)))
    rest = b"".join(_field(0x0A, rs.SerializeToString()) for rs in request.resource_spans[1:])
    return rebuilt + rest


def test_attributes_in_any_valid_encoding_decode_as_the_official_parser_reads_them() -> None:
    data = _request_with(
        _attribute(_text("/items/{id}"), _key("http.route")),  # value before key
        _attribute(_key("http.request.method")),  # no value at all
        _attribute(_key("x" * 200), _text("a key longer than 127 bytes")),
        _attribute(_key("db.system"), _text("postgresql")),
    )
    official = ExportTraceServiceRequest.FromString(data)
    assert len(official.resource_spans[0].scope_spans[0].spans[0].attributes) == 4
    decoded = decode_bytes(data, source="odd.pb")
    assert decoded[0].attributes == {"http.route": "/items/{id}", "db.system": "postgresql"}
    assert decoded[1:] == three_spans()[1:]


def test_a_corrupt_attribute_is_named_and_the_other_spans_are_kept() -> None:
    # The value claims 9 bytes where 2 follow, inside a correctly sized KeyValue.
    data = _request_with(_attribute(_key("http.route"), b"\x12\x09ab"))
    with pytest.raises(DecodeError) as raised:
        decode_bytes(data, source="corrupt.pb")
    assert raised.value.field == "resourceSpans[0].scopeSpans[0].spans[0].attributes[0]"
    report = DecodeReport()
    kept = decode_bytes(data, source="corrupt.pb", skip_invalid=True, report=report)
    assert kept == three_spans()[1:]
    assert report.bad_records == 1
