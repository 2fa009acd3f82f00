"""Trimmed, wire-compatible schemas of ``ExportTraceServiceRequest`` for the hot path.

Decoding a million spans a second in Python is bounded by how many Python objects each span
costs. The official classes (``opentelemetry-proto``) wrap every attribute, every ``AnyValue`` and
the status in their own message objects. These schemas read the same bytes but declare:

- resource and status as ``bytes``, parsed with the official classes only when present;
- nothing else of a span (events, links, trace state): upb skips those fields in C;
- span attributes in one of two ways:

  - :data:`LiteRequest` (the fast loop) declares them as a *singular* message with no fields.
    The protobuf rule that repeated occurrences of a singular message merge makes upb
    concatenate every ``KeyValue``'s body into that one message as unknown fields, so a span's
    whole attribute list comes out as one ``bytes`` (its serialization): one object per span
    instead of one per attribute, and a ready-made cache key.
  - :data:`CarefulRequest` (the loop that names bad fields) declares them ``repeated bytes``,
    one raw ``KeyValue`` each, so an error can name ``attributes[i]``.

Field numbers are read from the official descriptors, so the schemas cannot drift apart. The
legacy ``instrumentation_library_spans`` (field 1000, dropped from the official proto in 2022) is
declared too, since old SDKs still send it.
"""

from __future__ import annotations

from typing import Any, Final

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from slo_scout.core.telemetry.proto_schema import F, Field, Schema

LEGACY_LIBRARY_SPANS_FIELD: Final = 1000
_PACKAGE: Final = "slo_scout.otlp_lite.v1"


def _number(message: Any, name: str) -> int:
    return int(message.DESCRIPTOR.fields_by_name[name].number)


def _build(variant: str, attributes: Field) -> Any:
    package = f"{_PACKAGE}.{variant}"
    schema = Schema(f"{package.replace('.', '/')}.proto", package)
    span = trace_pb2.Span
    schema.message("AttributeBlob", [])
    schema.message("Span", [
        ("trace_id", _number(span, "trace_id"), F.TYPE_BYTES, False, ""),
        ("span_id", _number(span, "span_id"), F.TYPE_BYTES, False, ""),
        ("parent_span_id", _number(span, "parent_span_id"), F.TYPE_BYTES, False, ""),
        ("name", _number(span, "name"), F.TYPE_STRING, False, ""),
        # An enum on the wire is a varint; int32 keeps unknown values instead of failing.
        ("kind", _number(span, "kind"), F.TYPE_INT32, False, ""),
        ("start_time_unix_nano", _number(span, "start_time_unix_nano"), F.TYPE_FIXED64, False, ""),
        ("end_time_unix_nano", _number(span, "end_time_unix_nano"), F.TYPE_FIXED64, False, ""),
        attributes,
        ("status", _number(span, "status"), F.TYPE_BYTES, False, ""),
    ])
    scope_spans = trace_pb2.ScopeSpans
    schema.message("ScopeSpans", [
        ("spans", _number(scope_spans, "spans"), F.TYPE_MESSAGE, True, "Span"),
    ])
    resource_spans = trace_pb2.ResourceSpans
    schema.message("ResourceSpans", [
        ("resource", _number(resource_spans, "resource"), F.TYPE_BYTES, False, ""),
        ("scope_spans", _number(resource_spans, "scope_spans"), F.TYPE_MESSAGE, True,
         "ScopeSpans"),
        ("instrumentation_library_spans", LEGACY_LIBRARY_SPANS_FIELD, F.TYPE_MESSAGE, True,
         "ScopeSpans"),
    ])
    request = trace_service_pb2.ExportTraceServiceRequest
    schema.message("ExportTraceServiceRequest", [
        ("resource_spans", _number(request, "resource_spans"), F.TYPE_MESSAGE, True,
         "ResourceSpans"),
    ])
    return schema.message_class("ExportTraceServiceRequest")


_ATTRIBUTES: Final = _number(trace_pb2.Span, "attributes")

LiteRequest: Final[Any] = _build(
    "fast", ("attributes", _ATTRIBUTES, F.TYPE_MESSAGE, False, "AttributeBlob")
)
CarefulRequest: Final[Any] = _build("careful", ("attributes", _ATTRIBUTES, F.TYPE_BYTES, True, ""))
