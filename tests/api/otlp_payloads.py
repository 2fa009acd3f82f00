"""OTLP request bodies built by hand: root server spans with a child client call."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

_IDS = ("traceId", "spanId", "parentSpanId")


def _attr(key: str, value: str | int) -> dict[str, Any]:
    typed = {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}
    return {"key": key, "value": typed}


def trace_spans(
    index: int, start: datetime, *, route: str = "/checkout", status: int = 200,
    duration_ms: int = 40,
) -> list[dict[str, Any]]:
    trace = f"{index + 1:032x}"
    root, child = f"{2 * index + 1:016x}", f"{2 * index + 2:016x}"
    begin = int(start.timestamp() * 1e9) + index * 1_000_000_000
    end = begin + duration_ms * 1_000_000
    return [
        {"traceId": trace, "spanId": root, "name": f"POST {route}", "kind": 2,
         "startTimeUnixNano": str(begin), "endTimeUnixNano": str(end),
         "attributes": [_attr("http.request.method", "POST"), _attr("http.route", route),
                        _attr("http.response.status_code", status)],
         "status": {"code": 2 if status >= 500 else 0}},
        {"traceId": trace, "spanId": child, "parentSpanId": root, "name": "Charge", "kind": 3,
         "startTimeUnixNano": str(begin + 1_000_000), "endTimeUnixNano": str(end - 1_000_000)},
    ]


def otlp_json(spans: list[dict[str, Any]], service: str = "shop-frontend") -> bytes:
    resource = {"attributes": [_attr("service.name", service)]}
    return json.dumps(
        {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}
    ).encode()


def otlp_proto(spans: list[dict[str, Any]], service: str = "shop-frontend") -> bytes:
    from google.protobuf.json_format import Parse

    # protobuf's JSON mapping reads bytes fields as base64, OTLP/JSON writes ids as hex
    as_b64 = [{k: base64.b64encode(bytes.fromhex(v)).decode() if k in _IDS else v
               for k, v in span.items()} for span in spans]
    message = Parse(otlp_json(as_b64, service).decode(), ExportTraceServiceRequest())
    assert message.resource_spans[0].resource.attributes[0] == KeyValue(
        key="service.name", value=AnyValue(string_value=service)
    )
    return message.SerializeToString()
