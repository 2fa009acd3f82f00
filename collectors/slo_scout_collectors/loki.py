"""Loki's push API (``POST /loki/api/v1/push``), JSON encoding.

``{"streams": [{"stream": {label: value}, "values": [["<unix ns>", "<line>", {meta}?], ...]}]}``
is validated and forwarded unchanged to the logs topic, tagged ``format: loki.push.v1``. The
protobuf encoding (snappy ``logproto.PushRequest``) is rewritten into this document by
:mod:`slo_scout_collectors.loki_protobuf`.
"""

from __future__ import annotations

import orjson

from slo_scout_collectors.otlp import Decoded, Undecodable

FORMAT = "loki.push.v1"


def decode(body: bytes, headers: dict[str, str]) -> Decoded:
    ctype = headers.get("content-type", "").split(";")[0].strip()
    if ctype != "application/json":
        raise Undecodable(f"content-type {ctype or '(none)'!r}: only application/json "
                          "Loki pushes are accepted")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Undecodable(f"not JSON: {exc}") from exc
    streams = doc.get("streams") if isinstance(doc, dict) else None
    if not isinstance(streams, list):
        raise Undecodable("field 'streams' must be a list")
    lines = 0
    for i, stream in enumerate(streams):
        if not isinstance(stream, dict) or not isinstance(stream.get("stream"), dict):
            raise Undecodable(f"streams[{i}].stream must be an object of labels")
        values = stream.get("values")
        if not isinstance(values, list):
            raise Undecodable(f"streams[{i}].values must be a list")
        for j, entry in enumerate(values):
            if (not isinstance(entry, list) or len(entry) < 2 or not isinstance(entry[0], str)
                    or not entry[0].isdigit() or not isinstance(entry[1], str)):
                raise Undecodable(f"streams[{i}].values[{j}] must be [\"<unix ns>\", \"<line>\"]")
        lines += len(values)
    return Decoded(lines, payload=body)
