"""Prometheus remote_write 1.0: a snappy-compressed ``prometheus.WriteRequest``.

The message classes are built from a descriptor here (the schema is small and stable), so no
generated code or protoc is needed. Series are forwarded unchanged to the metrics topic, tagged
``format: prometheus.remote_write.v1``; the SLI generator reads which families and label sets
exist from there.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError as ProtoDecodeError

from slo_scout.core.telemetry.remote_write_v2 import FORMAT_V1
from slo_scout_collectors import snappy_body
from slo_scout_collectors.otlp import Decoded, Undecodable

FORMAT = FORMAT_V1
_PACKAGE = "slo_scout.prometheus.v1"
_F = descriptor_pb2.FieldDescriptorProto


def _build() -> Any:
    file = descriptor_pb2.FileDescriptorProto(name="slo_scout/prometheus_remote.proto",
                                              package=_PACKAGE, syntax="proto3")

    def message(name: str, fields: list[tuple[str, int, int, bool, str]]) -> None:
        msg = file.message_type.add(name=name)
        for fname, number, kind, repeated, type_name in fields:
            f = msg.field.add(name=fname, number=number, type=kind,  # type: ignore[arg-type]
                              label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL)
            if type_name:
                f.type_name = f".{_PACKAGE}.{type_name}"

    message("Label", [("name", 1, _F.TYPE_STRING, False, ""),
                      ("value", 2, _F.TYPE_STRING, False, "")])
    message("Sample", [("value", 1, _F.TYPE_DOUBLE, False, ""),
                       ("timestamp", 2, _F.TYPE_INT64, False, "")])
    # Exemplars (3) and native histograms (4) are kept on the wire as the raw bytes they are.
    message("TimeSeries", [("labels", 1, _F.TYPE_MESSAGE, True, "Label"),
                           ("samples", 2, _F.TYPE_MESSAGE, True, "Sample"),
                           ("exemplars", 3, _F.TYPE_BYTES, True, ""),
                           ("histograms", 4, _F.TYPE_BYTES, True, "")])
    message("WriteRequest", [("timeseries", 1, _F.TYPE_MESSAGE, True, "TimeSeries"),
                             ("metadata", 3, _F.TYPE_BYTES, True, "")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.WriteRequest"))


WriteRequest = _build()


def decode(body: bytes, headers: dict[str, str], max_bytes: int) -> Decoded:
    """Raises :class:`TooLarge` when the series would inflate past ``max_bytes``."""
    ctype = headers.get("content-type", "application/x-protobuf").split(";")[0].strip()
    if ctype != "application/x-protobuf":
        raise Undecodable(f"content-type {ctype!r}: remote_write sends application/x-protobuf")
    version = headers.get("x-prometheus-remote-write-version", "0.1.0")
    if not version.startswith("0.1"):
        raise Undecodable(f"remote_write version {version} is not supported (1.0 is)")
    encoding = headers.get("content-encoding", "snappy")
    if encoding != "snappy":
        raise Undecodable(f"content-encoding {encoding!r}: remote_write uses snappy")
    raw = snappy_body.inflate(body, max_bytes, "remote_write")
    request = WriteRequest()
    try:
        request.ParseFromString(raw)
    except ProtoDecodeError as exc:
        raise Undecodable(f"not a prometheus.WriteRequest: {exc}") from exc
    samples = 0
    for series in request.timeseries:
        if not any(label.name == "__name__" for label in series.labels):
            raise Undecodable("a series has no __name__ label")
        samples += len(series.samples) + len(series.histograms)
    return Decoded(samples, payload=raw)


def response_headers(decoded: Decoded) -> list[tuple[bytes, bytes]]:
    # remote_write 2.0 receivers report what they wrote; 1.0 senders ignore these headers.
    return [(b"x-prometheus-remote-write-samples-written", str(decoded.items).encode())]
