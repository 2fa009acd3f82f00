"""Prometheus remote_write 2.0: a snappy-compressed ``io.prometheus.write.v2.Request``.

The schema (message classes built from descriptors) lives in the core
(``slo_scout.core.telemetry.remote_write_v2``), shared with the catalog job. A request is validated
(label references inside the symbols table, a ``__name__`` on every series, samples or histograms
but not both) and forwarded uncompressed to the metrics topic, tagged ``format:
prometheus.remote_write.v2``. Unlike 1.0 it carries each series' type, unit and help.

Content negotiation follows the 2.0 specification: the ``proto`` parameter of ``Content-Type``
names the message (``prometheus.WriteRequest`` when absent), any other message or content type is a
415, and every 2.0 answer carries the ``X-Prometheus-Remote-Write-*-Written`` headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError as ProtoDecodeError

from slo_scout.core.telemetry.remote_write_v2 import FORMAT_V2 as FORMAT
from slo_scout.core.telemetry.remote_write_v2 import V1_MESSAGE, V2_MESSAGE, Request
from slo_scout_collectors import snappy_body
from slo_scout_collectors.otlp import Decoded, Undecodable

__all__ = ["FORMAT", "V1_MESSAGE", "V2_MESSAGE", "Request", "Unsupported", "Written", "decode",
           "message_type"]


class Unsupported(Exception):
    """A content type, message or encoding this receiver does not read: 415, never retried."""


@dataclass(frozen=True, slots=True)
class Written:
    samples: int = 0
    histograms: int = 0
    exemplars: int = 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        prefix = b"x-prometheus-remote-write-"
        return [(prefix + b"samples-written", str(self.samples).encode()),
                (prefix + b"histograms-written", str(self.histograms).encode()),
                (prefix + b"exemplars-written", str(self.exemplars).encode())]


def message_type(headers: dict[str, str]) -> str:
    """The protobuf message a remote_write request declares; raises :class:`Unsupported`."""
    ctype, *params = (part.strip() for part in
                      headers.get("content-type", "application/x-protobuf").split(";"))
    if ctype.lower() != "application/x-protobuf":
        raise Unsupported(f"content-type {ctype!r}: remote_write sends application/x-protobuf")
    proto = V1_MESSAGE
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "proto":
            proto = value.strip().strip('"')
    if proto not in (V1_MESSAGE, V2_MESSAGE):
        raise Unsupported(f"proto={proto}: this receiver reads {V1_MESSAGE} and {V2_MESSAGE}")
    return proto


def _check_refs(refs: Any, symbols: int, where: str) -> None:
    if len(refs) % 2:
        raise Undecodable(f"{where}.labels_refs has an odd length {len(refs)}: refs go in "
                          "name/value pairs")
    for ref in refs:
        if ref >= symbols:
            raise Undecodable(f"{where}.labels_refs: {ref} is outside the {symbols} symbols")


def decode(body: bytes, headers: dict[str, str], max_bytes: int) -> tuple[Decoded, Written]:
    """Raises :class:`Unsupported` (415), ``Undecodable`` (400) or ``TooLarge`` (413)."""
    encoding = headers.get("content-encoding", "snappy").strip().lower()
    if encoding != "snappy":
        raise Unsupported(f"content-encoding {encoding!r}: remote_write 2.0 uses snappy")
    raw = snappy_body.inflate(body, max_bytes, "remote_write")
    request = Request()
    try:
        request.ParseFromString(raw)
    except ProtoDecodeError as exc:
        raise Undecodable(f"not an {V2_MESSAGE}: {exc}") from exc
    symbols = request.symbols
    if symbols and symbols[0] != "":
        raise Undecodable("symbols[0] must be the empty string")
    samples = histograms = exemplars = 0
    for i, series in enumerate(request.timeseries):
        where = f"timeseries[{i}]"
        refs = series.labels_refs
        _check_refs(refs, len(symbols), where)
        if not any(symbols[refs[j]] == "__name__" and symbols[refs[j + 1]]
                   for j in range(0, len(refs), 2)):
            raise Undecodable(f"{where} has no __name__ label")
        if bool(series.samples) == bool(series.histograms):
            raise Undecodable(f"{where} must hold samples or histograms, one of the two")
        for j, exemplar in enumerate(series.exemplars):
            _check_refs(exemplar.labels_refs, len(symbols), f"{where}.exemplars[{j}]")
        meta = series.metadata
        if meta.help_ref >= len(symbols) or meta.unit_ref >= len(symbols):
            raise Undecodable(f"{where}.metadata refers outside the {len(symbols)} symbols")
        samples += len(series.samples)
        histograms += len(series.histograms)
        exemplars += len(series.exemplars)
    return Decoded(samples + histograms, payload=raw), Written(samples, histograms, exemplars)
