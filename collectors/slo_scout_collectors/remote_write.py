"""Prometheus remote_write 1.0: a snappy-compressed ``prometheus.WriteRequest``.

The message class is built from descriptors in the core (the catalog job reads the same).
Series are forwarded unchanged to the metrics topic, tagged
``format: prometheus.remote_write.v1``; the SLI generator reads which families and label sets
exist from there.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError as ProtoDecodeError

from slo_scout.core.telemetry.remote_write_v1 import WriteRequest
from slo_scout.core.telemetry.remote_write_v2 import FORMAT_V1
from slo_scout_collectors import snappy_body
from slo_scout_collectors.otlp import Decoded, Undecodable

FORMAT = FORMAT_V1

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
