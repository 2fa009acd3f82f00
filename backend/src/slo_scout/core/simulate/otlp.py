"""Simulated spans as OTLP: protobuf messages, JSON documents, and the byte streams of files.

A batch becomes one ``ExportTraceServiceRequest`` with a ``ResourceSpans`` per pod, in order of
first appearance. File layouts:

- ``otlp-proto``, framing ``single``: one message. Concatenated serialized messages parse as one
  message whose repeated fields are joined, so batches are written back to back.
- ``otlp-proto``, framing ``delimited``: the collector file exporter's layout, each message
  preceded by its length as 4 bytes big-endian; readers can stream it message by message.
- ``otlp-json``: one JSON document ``{"resourceSpans": [...]}`` assembled from the batches.
- ``otlp-jsonl``: one JSON document per line, as the file exporter writes JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final, Literal

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from slo_scout.core.simulate.generator import SimResource, SimSpan

OutputFormat = Literal["otlp-json", "otlp-jsonl", "otlp-proto"]
Framing = Literal["single", "delimited"]
OUTPUT_FORMATS: Final[tuple[OutputFormat, ...]] = ("otlp-json", "otlp-jsonl", "otlp-proto")
SCOPE_NAME: Final = "slo-scout.simulate"
SCOPE_VERSION: Final = "1"


def _group(spans: Iterable[SimSpan]) -> dict[int, list[SimSpan]]:
    groups: dict[int, list[SimSpan]] = {}
    for span in spans:
        group = groups.get(span.resource)
        if group is None:
            groups[span.resource] = group = []
        group.append(span)
    return groups


def to_proto(spans: Iterable[SimSpan], resources: list[SimResource]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for index, group in _group(spans).items():
        rs = request.resource_spans.add()
        for key, value in resources[index].attributes:
            kv = rs.resource.attributes.add()
            kv.key = key
            kv.value.string_value = value
        scope = rs.scope_spans.add()
        scope.scope.name = SCOPE_NAME
        scope.scope.version = SCOPE_VERSION
        out = scope.spans
        for s in group:
            p = out.add()
            p.trace_id = s.trace_id
            p.span_id = s.span_id
            if s.parent_id:
                p.parent_span_id = s.parent_id
            p.name = s.name
            p.kind = s.kind
            p.start_time_unix_nano = s.start_ns
            p.end_time_unix_nano = s.end_ns
            if s.status:
                p.status.code = s.status
            attributes = p.attributes
            for key, attr in s.attributes:
                kv = attributes.add()
                kv.key = key
                if isinstance(attr, str):
                    kv.value.string_value = attr
                else:
                    kv.value.int_value = attr
    return request


def _json_attributes(pairs: Iterable[tuple[str, str | int]]) -> list[dict[str, Any]]:
    return [
        {"key": k, "value": {"stringValue": v} if isinstance(v, str) else {"intValue": str(v)}}
        for k, v in pairs
    ]


def to_json(spans: Iterable[SimSpan], resources: list[SimResource]) -> dict[str, Any]:
    """OTLP/JSON as the spec writes it: hex ids, integer enums, 64-bit integers as strings."""
    resource_spans = []
    for index, group in _group(spans).items():
        out = []
        for s in group:
            span: dict[str, Any] = {
                "traceId": s.trace_id.hex(),
                "spanId": s.span_id.hex(),
            }
            if s.parent_id:
                span["parentSpanId"] = s.parent_id.hex()
            span["name"] = s.name
            span["kind"] = s.kind
            span["startTimeUnixNano"] = str(s.start_ns)
            span["endTimeUnixNano"] = str(s.end_ns)
            span["attributes"] = _json_attributes(s.attributes)
            span["status"] = {"code": s.status} if s.status else {}
            out.append(span)
        resource_spans.append({
            "resource": {"attributes": _json_attributes(resources[index].attributes)},
            "scopeSpans": [
                {"scope": {"name": SCOPE_NAME, "version": SCOPE_VERSION}, "spans": out}
            ],
        })
    return {"resourceSpans": resource_spans}


def encode(
    batches: Iterable[list[SimSpan]],
    resources: list[SimResource],
    fmt: OutputFormat,
    framing: Framing = "single",
) -> Iterator[bytes]:
    """The bytes of a file in ``fmt``, batch by batch, ready to write or compress."""
    if fmt == "otlp-proto":
        for batch in batches:
            data = to_proto(batch, resources).SerializeToString()
            if framing == "delimited":
                yield len(data).to_bytes(4, "big")
            yield data
    elif fmt == "otlp-jsonl":
        for batch in batches:
            yield orjson.dumps(to_json(batch, resources)) + b"\n"
    elif fmt == "otlp-json":
        yield b'{"resourceSpans":['
        first = True
        for batch in batches:
            items = orjson.dumps(to_json(batch, resources)["resourceSpans"])[1:-1]
            if items:
                yield items if first else b"," + items
                first = False
        yield b"]}\n"
    else:
        raise ValueError(f"unknown output format {fmt!r}")
