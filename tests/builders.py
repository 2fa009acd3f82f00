"""Data builders shared by the tests: spans and OTLP requests with sensible defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from slo_scout.core.telemetry.model import (
    SPAN_KINDS,
    STATUS_CODES,
    AttrValue,
    Span,
    SpanKind,
    StatusCode,
    is_error_span,
)

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
SPAN_ID = "b7ad6b7169203331"
START_NS = 1_700_000_000_000_000_000


def span(
    *,
    trace_id: str = TRACE_ID,
    span_id: str = SPAN_ID,
    parent_id: str | None = None,
    service: str = "frontend",
    name: str = "GET /",
    kind: SpanKind = "server",
    start_ns: int = START_NS,
    end_ns: int | None = None,
    duration_ns: int = 1_000_000,
    status: StatusCode = "unset",
    error: bool | None = None,
    attributes: Mapping[str, AttrValue] | None = None,
) -> Span:
    """A span; ``error`` defaults to what the decoders would decide."""
    attrs = dict(attributes or {})
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=parent_id,
        service=service,
        name=name,
        kind=kind,
        start_ns=start_ns,
        end_ns=end_ns if end_ns is not None else start_ns + duration_ns,
        status=status,
        error=is_error_span(status, kind, attrs) if error is None else error,
        attributes=attrs,
    )


def _set_any(target: AnyValue, value: AttrValue) -> None:
    if isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    else:
        target.string_value = value


def otlp_request(
    spans: Iterable[Span] = (),
    *,
    resource_attributes: Mapping[str, Mapping[str, AttrValue]] | None = None,
    extra_attributes: Mapping[str, AttrValue] | None = None,
) -> ExportTraceServiceRequest:
    """An OTLP request holding ``spans``, one ResourceSpans per service (in first-seen order).

    ``resource_attributes`` adds attributes to a service's resource (``service.name`` is set
    from the span's service unless given there); ``extra_attributes`` are added to every span,
    e.g. attributes a decoder must drop.
    """
    request = ExportTraceServiceRequest()
    by_service: dict[str, object] = {}
    extra = dict(extra_attributes or {})
    for s in spans:
        scope = by_service.get(s.service)
        if scope is None:
            rs = request.resource_spans.add()
            attrs = dict((resource_attributes or {}).get(s.service, {}))
            attrs.setdefault("service.name", s.service)
            for key, value in attrs.items():
                kv = rs.resource.attributes.add()
                kv.key = key
                _set_any(kv.value, value)
            scope = rs.scope_spans.add()
            scope.scope.name = "tests.builders"
            by_service[s.service] = scope
        out = scope.spans.add()  # type: ignore[attr-defined]
        out.trace_id = bytes.fromhex(s.trace_id)
        out.span_id = bytes.fromhex(s.span_id)
        if s.parent_id:
            out.parent_span_id = bytes.fromhex(s.parent_id)
        out.name = s.name
        out.kind = SPAN_KINDS.index(s.kind)
        out.start_time_unix_nano = s.start_ns
        out.end_time_unix_nano = s.end_ns
        out.status.code = STATUS_CODES.index(s.status)
        for key, value in {**s.attributes, **extra}.items():
            kv = out.attributes.add()
            kv.key = key
            _set_any(kv.value, value)
    return request


def framed(*messages: bytes) -> bytes:
    """Messages as the collector's fileexporter writes them: 4-byte big-endian length first."""
    return b"".join(len(m).to_bytes(4, "big") + m for m in messages)
