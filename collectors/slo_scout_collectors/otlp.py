"""OTLP payloads in, Kafka records and OTLP answers out; shared by the HTTP and gRPC receivers.

Traces go through the core's decoder (the same one ``slo-scout discover`` uses), so what the
collector accepts is exactly what the journey job can read. Metrics and logs are validated with
the official protobuf classes and forwarded as OTLP protobuf: their consumers read OTLP.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError as ProtoDecodeError
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from slo_scout.core.errors import DecodeError, InflationLimitError
from slo_scout.core.telemetry import DecodeReport, Inflation, decode_bytes
from slo_scout.core.telemetry.wire import Fragment, encode_fragments
from slo_scout_collectors.pipeline import RecordTooLarge, TooLarge

Signal = Literal["traces", "metrics", "logs"]
Encoding = Literal["protobuf", "json"]

# The core decoder's format names for the two OTLP encodings.
_TRACE_FORMATS: dict[Encoding, str] = {"protobuf": "otlp-proto", "json": "otlp-json"}


class Undecodable(Exception):
    """Nothing in the payload can be read: answer 400 and never ask for a retry."""


@dataclass
class Decoded:
    items: int  # accepted spans / data points / log records
    rejected: int = 0
    message: str = ""
    fragments: list[Fragment] = field(default_factory=list)  # traces
    oversized: list[Fragment] = field(default_factory=list)  # traces too large for one record
    payload: bytes = b""  # metrics and logs: normalised OTLP protobuf


def decode_traces(body: bytes, encoding: Encoding, source: str, max_inflated: int,
                  max_record_bytes: int | None = None) -> Decoded:
    """Spans of one request as Kafka records; bad spans and traces too large for one record
    (``max_record_bytes``) are rejected records, named in ``message``, and the rest kept.
    Raises :class:`Undecodable`, or ``TooLarge`` when a gzip payload inside the body (the core
    inflates one) inflates past ``max_inflated``."""
    report = DecodeReport()
    try:
        spans = decode_bytes(body, source=source, fmt=_TRACE_FORMATS[encoding],
                             skip_invalid=True, report=report,
                             inflation=Inflation(max_bytes=max_inflated))
    except InflationLimitError as exc:
        raise TooLarge(exc.message) from exc
    except DecodeError as exc:
        raise Undecodable(exc.message) from exc
    if not spans and report.bad_records:
        raise Undecodable("; ".join(p.message for p in report.problems[:3]))
    fragments = encode_fragments(spans)
    oversized = [f for f in fragments if max_record_bytes and len(f.value) > max_record_bytes]
    if oversized:
        fragments = [f for f in fragments if len(f.value) <= (max_record_bytes or 0)]
    problems = [f"{source}, trace {f.trace_id}: its {f.spans} span(s) make a {len(f.value)}-byte "
                f"record, over the {max_record_bytes}-byte limit" for f in oversized[:5]]
    problems += [p.message for p in report.problems[:5]]
    if not fragments and oversized:
        raise RecordTooLarge("; ".join(problems[:3]))
    message = "; ".join(problems[:5])
    if len(oversized) + report.bad_records > 5:
        message += f"; and {len(oversized) + report.bad_records - 5} more"
    rejected = report.bad_records + sum(f.spans for f in oversized)
    accepted = sum(f.spans for f in fragments)
    return Decoded(accepted, rejected, message, fragments, oversized)


def _hex_ids_to_base64(node: Any) -> Any:
    # OTLP/JSON writes trace and span ids as hex, where protobuf's JSON mapping expects base64.
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("traceId", "spanId") and isinstance(value, str) and value:
                try:
                    value = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError as exc:
                    raise Undecodable(f"{key} is not hex: {value[:40]!r}") from exc
            out[key] = _hex_ids_to_base64(value)
        return out
    if isinstance(node, list):
        return [_hex_ids_to_base64(v) for v in node]
    return node


def _parse(message: Message, body: bytes, encoding: Encoding) -> None:
    try:
        if encoding == "protobuf":
            message.ParseFromString(body)
        else:
            json_format.ParseDict(_hex_ids_to_base64(orjson.loads(body)), message,
                                  ignore_unknown_fields=True)
    except (ProtoDecodeError, orjson.JSONDecodeError, json_format.ParseError,
            TypeError, ValueError) as exc:
        raise Undecodable(f"not an OTLP {encoding} request: {exc}") from exc


def count_points(request: metrics_service_pb2.ExportMetricsServiceRequest) -> int:
    total = 0
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind is not None:
                    total += len(getattr(metric, kind).data_points)
    return total


def decode_metrics(body: bytes, encoding: Encoding) -> Decoded:
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    _parse(request, body, encoding)
    points = count_points(request)
    payload = body if encoding == "protobuf" else request.SerializeToString()
    return Decoded(points, payload=payload)


def decode_logs(body: bytes, encoding: Encoding) -> Decoded:
    request = logs_service_pb2.ExportLogsServiceRequest()
    _parse(request, body, encoding)
    count = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    payload = body if encoding == "protobuf" else request.SerializeToString()
    return Decoded(count, payload=payload)


def response(signal: Signal, decoded: Decoded | None) -> Message:
    """The Export*ServiceResponse, with partial success when part of the batch was refused."""
    if signal == "traces":
        resp: Message = trace_service_pb2.ExportTraceServiceResponse()
        if decoded is not None and decoded.rejected:
            resp.partial_success.rejected_spans = decoded.rejected
            resp.partial_success.error_message = decoded.message
    elif signal == "metrics":
        resp = metrics_service_pb2.ExportMetricsServiceResponse()
    else:
        resp = logs_service_pb2.ExportLogsServiceResponse()
    return resp


def encode_response(message: Message, encoding: Encoding) -> bytes:
    if encoding == "protobuf":
        return message.SerializeToString()
    return json_format.MessageToJson(message, indent=None).encode()
