"""What the catalog job reads from the metrics and logs topics.

Metrics records (``otlp.metrics``) are one request each, tagged with a ``format`` header by the
collector: ``prometheus.remote_write.v1`` (an uncompressed ``prometheus.WriteRequest``),
``prometheus.remote_write.v2`` (an uncompressed ``io.prometheus.write.v2.Request``, which carries
each series' type) or the OTLP protocol name (``otlp_http``/``otlp_grpc``: an
``ExportMetricsServiceRequest``). From each we keep only *which* metrics exist with which label
names and type: what the SLI generator needs to pick a family
(``slo_scout.core.slis.detect_family``), never the samples.

Logs records (``otlp.logs``): ``loki.push.v1`` (Loki push JSON) or OTLP
(``ExportLogsServiceRequest``). We keep the error lines (OTLP severity ERROR and above; Loki
``level`` label or a level word in the line) with their service and trace id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry import remote_write_v1, remote_write_v2

REMOTE_WRITE = remote_write_v2.FORMAT_V1
REMOTE_WRITE_V2 = remote_write_v2.FORMAT_V2
LOKI = "loki.push.v1"
_ERROR_SEVERITY = 17  # OTLP SEVERITY_NUMBER_ERROR; WARN is 13-16
_ERROR_LEVELS = {"error", "err", "fatal", "critical", "crit", "panic", "emergency", "alert"}
_LEVEL_IN_LINE = re.compile(
    r"(?:\blevel\s*[=:]\s*\"?(?P<kv>[a-z]+))|\b(?P<word>ERROR|FATAL|CRITICAL|PANIC)\b",
    re.IGNORECASE)
_TRACE_IN_LINE = re.compile(r"trace[_.]?id\"?\s*[=:]\s*\"?(?P<id>[0-9a-fA-F]{32})\b",
                            re.IGNORECASE)
_SERVICE_LABELS = ("service_name", "service", "app", "application", "job")


@dataclass(frozen=True, slots=True, order=True)
class MetricSeen:
    metric: str
    label_keys: tuple[str, ...]
    metric_type: str  # counter | gauge | histogram | summary | unknown (2.0: also gaugehistogram,
    # info, stateset)
    source: str


@dataclass(frozen=True, slots=True)
class ErrorLine:
    service: str
    line: str
    trace_id: str | None


def _remote_write_metrics(payload: bytes) -> set[MetricSeen]:
    request = remote_write_v1.WriteRequest()
    request.ParseFromString(payload)
    seen: set[MetricSeen] = set()
    for series in request.timeseries:
        name = next((label.value for label in series.labels if label.name == "__name__"), "")
        if not name:
            continue
        # remote_write 1.0 carries no types: they are read from the names.
        found = remote_write_v2.infer_from_name(name, (label.name for label in series.labels))
        seen.add(MetricSeen(found.metric, found.label_keys, found.metric_type, REMOTE_WRITE))
    return seen


def _remote_write_v2_metrics(payload: bytes) -> set[MetricSeen]:
    try:
        found = remote_write_v2.series_metrics(remote_write_v2.parse_request(payload))
    except DecodeError as exc:
        raise ValueError(str(exc)) from exc
    return {MetricSeen(m.metric, m.label_keys, m.metric_type, REMOTE_WRITE_V2) for m in found}


def _otlp_metrics(payload: bytes, source: str) -> set[MetricSeen]:
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    request.ParseFromString(payload)
    seen: set[MetricSeen] = set()
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                data = metric.WhichOneof("data")
                if data is None:
                    continue
                kind = {"gauge": "gauge", "histogram": "histogram",
                        "exponential_histogram": "histogram", "summary": "summary"}.get(data)
                if data == "sum":
                    kind = "counter" if metric.sum.is_monotonic else "gauge"
                points = getattr(metric, data).data_points
                for keys in {tuple(sorted(a.key for a in p.attributes)) for p in points}:
                    seen.add(MetricSeen(metric.name, keys, kind or "unknown", source))
    return seen


def metrics_seen(payload: bytes, fmt: str) -> set[MetricSeen]:
    """Raises ``google.protobuf.message.DecodeError`` or ``ValueError`` for a bad record."""
    if fmt == REMOTE_WRITE:
        return _remote_write_metrics(payload)
    if fmt == REMOTE_WRITE_V2:
        return _remote_write_v2_metrics(payload)
    if fmt.startswith("otlp"):
        return _otlp_metrics(payload, fmt)
    raise ValueError(f"unknown metrics format {fmt!r}")


def _any_value_text(value: Any) -> str:
    kind = value.WhichOneof("value")
    if kind is None:
        return ""
    if kind == "string_value":
        return str(value.string_value)
    return str(getattr(value, kind))


def _otlp_error_lines(payload: bytes) -> Iterator[ErrorLine]:
    request = logs_service_pb2.ExportLogsServiceRequest()
    request.ParseFromString(payload)
    for rl in request.resource_logs:
        service = next((_any_value_text(a.value) for a in rl.resource.attributes
                        if a.key == "service.name"), "unknown_service")
        for sl in rl.scope_logs:
            for record in sl.log_records:
                level = record.severity_text.lower()
                if record.severity_number < _ERROR_SEVERITY and level not in _ERROR_LEVELS:
                    continue
                trace = record.trace_id.hex() if any(record.trace_id) else None
                yield ErrorLine(service, _any_value_text(record.body), trace)


def _loki_is_error(labels: dict[str, Any], meta: dict[str, Any], line: str) -> bool:
    for source in (meta, labels):
        for key in ("level", "detected_level", "severity", "lvl"):
            if isinstance(source.get(key), str):
                return source[key].lower() in _ERROR_LEVELS
    match = _LEVEL_IN_LINE.search(line)
    if match is None:
        return False
    return (match.group("kv") or match.group("word") or "").lower() in _ERROR_LEVELS


def _loki_error_lines(payload: bytes) -> Iterator[ErrorLine]:
    doc = orjson.loads(payload)
    for stream in doc["streams"]:
        labels = stream["stream"]
        service = next((str(labels[k]) for k in _SERVICE_LABELS if labels.get(k)),
                       "unknown_service")
        for entry in stream["values"]:
            line = entry[1]
            meta = entry[2] if len(entry) > 2 and isinstance(entry[2], dict) else {}
            if not _loki_is_error(labels, meta, line):
                continue
            trace = next((str(meta[k]).lower() for k in ("trace_id", "traceID", "traceid")
                          if meta.get(k)), None)
            found = _TRACE_IN_LINE.search(line)
            if found is not None:
                # The id is taken out of the text: it would make every line a template of its
                # own length, apart from the same line logged without one.
                trace = trace or found.group("id").lower()
                line = (line[:found.start()] + line[found.end():]).strip()
            yield ErrorLine(service, " ".join(line.split()), trace)


def error_lines(payload: bytes, fmt: str) -> list[ErrorLine]:
    """Raises ``google.protobuf.message.DecodeError``, ``ValueError`` or ``KeyError``."""
    if fmt == LOKI:
        return list(_loki_error_lines(payload))
    if fmt.startswith("otlp"):
        return list(_otlp_error_lines(payload))
    raise ValueError(f"unknown logs format {fmt!r}")
