"""Loki's push API in its protobuf encoding: a snappy-compressed ``logproto.PushRequest``.

This is what Promtail, Grafana Alloy and the Loki clients send by default. The schema
(grafana/loki pkg/push/push.proto) is rebuilt from descriptors. Each request is rewritten into the
JSON push document (``{"streams": [{"stream": {...}, "values": [["<ns>", "<line>", {meta}?]]}]}``)
and forwarded as ``loki.push.v1``, so the logs topic holds one Loki shape whatever the client
encoding, and the catalog job reads both unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from google.protobuf.message import DecodeError as ProtoDecodeError

from slo_scout.core.telemetry import MAX_UNIX_NS
from slo_scout.core.telemetry.proto_schema import F as _F
from slo_scout.core.telemetry.proto_schema import Schema
from slo_scout_collectors import snappy_body
from slo_scout_collectors.otlp import Decoded, Undecodable

_PACKAGE = "logproto"
_NANOS = 1_000_000_000


def _build() -> Any:
    schema = Schema("pkg/push/push.proto", _PACKAGE)
    message = schema.message
    message("PushRequest", [("streams", 1, _F.TYPE_MESSAGE, True, "StreamAdapter"),
                            ("format", 2, _F.TYPE_STRING, False, "")])
    message("StreamAdapter", [("labels", 1, _F.TYPE_STRING, False, ""),
                              ("entries", 2, _F.TYPE_MESSAGE, True, "EntryAdapter"),
                              ("hash", 3, _F.TYPE_UINT64, False, "")])
    message("LabelPairAdapter", [("name", 1, _F.TYPE_STRING, False, ""),
                                 ("value", 2, _F.TYPE_STRING, False, "")])
    # google.protobuf.Timestamp, declared here so the pool needs no well-known-types import.
    message("Timestamp", [("seconds", 1, _F.TYPE_INT64, False, ""),
                          ("nanos", 2, _F.TYPE_INT32, False, "")])
    message("EntryAdapter", [("timestamp", 1, _F.TYPE_MESSAGE, False, "Timestamp"),
                             ("line", 2, _F.TYPE_STRING, False, ""),
                             ("structuredMetadata", 3, _F.TYPE_MESSAGE, True,
                              "LabelPairAdapter")])
    return schema.message_class("PushRequest")


PushRequest = _build()

# A stream's labels are a Prometheus label set as text: {name="value", ...}.
_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)', re.DOTALL)
_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)',
                     re.DOTALL)
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
           "\\": "\\", '"': '"', "'": "'"}


def _unquote(text: str, where: str) -> str:
    # Go string escapes: \x and octal are bytes (so a multi-byte character may be spelled as
    # several), the others are characters.
    out = bytearray()
    last = 0
    for match in _ESCAPE.finditer(text):
        out += text[last:match.start()].encode()
        code = match.group(1)
        if code[0] == "x":
            out.append(int(code[1:], 16))
        elif code[0] in "01234567":
            if int(code, 8) > 255:
                raise Undecodable(f"{where}: octal escape \\{code} is over 255")
            out.append(int(code, 8))
        elif code[0] in "uU":
            out += chr(int(code[1:], 16)).encode("utf-8", "surrogatepass")
        elif code in _SIMPLE:
            out += _SIMPLE[code].encode()
        else:
            raise Undecodable(f"{where}: unknown escape \\{code}")
        last = match.end()
    out += text[last:].encode()
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Undecodable(f"{where}: not UTF-8 after unescaping") from exc


def parse_labels(text: str, where: str) -> dict[str, str]:
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise Undecodable(f"{where}: {text[:80]!r} is not a label set {{name=\"value\", ...}}")
    inner = body[1:-1].strip()
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(inner):
        match = _PAIR.match(inner, pos)
        if match is None:
            raise Undecodable(f"{where}: cannot read a label at {inner[pos:pos + 40]!r}")
        name = match.group(1)
        if name in labels:
            raise Undecodable(f"{where}: label {name!r} appears twice")
        labels[name] = _unquote(match.group(2), f"{where} label {name!r}")
        pos = match.end()
        if match.group(3) == "," and pos >= len(inner):
            break  # a trailing comma, as Loki's parser allows
    return labels


def decode(body: bytes, max_bytes: int) -> Decoded:
    """Raises ``Undecodable`` (400) or ``TooLarge`` (413, from the snappy length preamble)."""
    raw = snappy_body.inflate(body, max_bytes, "Loki push")
    request = PushRequest()
    try:
        request.ParseFromString(raw)
    except ProtoDecodeError as exc:
        raise Undecodable(f"not a logproto.PushRequest: {exc}") from exc
    streams: list[dict[str, Any]] = []
    lines = 0
    for i, stream in enumerate(request.streams):
        labels = parse_labels(stream.labels, f"streams[{i}].labels")
        values: list[list[Any]] = []
        for j, entry in enumerate(stream.entries):
            ts = entry.timestamp
            if (ts.seconds < 0 or not 0 <= ts.nanos < _NANOS
                    or ts.seconds * _NANOS + ts.nanos > MAX_UNIX_NS):
                raise Undecodable(f"streams[{i}].entries[{j}].timestamp is out of range")
            value: list[Any] = [str(ts.seconds * _NANOS + ts.nanos), entry.line]
            if entry.structuredMetadata:
                value.append({pair.name: pair.value for pair in entry.structuredMetadata})
            values.append(value)
        lines += len(values)
        streams.append({"stream": labels, "values": values})
    return Decoded(lines, payload=orjson.dumps({"streams": streams}))
