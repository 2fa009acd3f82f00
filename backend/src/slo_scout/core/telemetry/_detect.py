"""Which format a file is in, from its first few kilobytes (already decompressed) and its name.

Content wins over the name, except where content alone cannot tell (a CSV file is text with
commas; protobuf is binary): there the extension decides. JSON flavours are told apart by the
keys they use, which differ in case on purpose: OTLP writes ``traceId`` inside ``resourceSpans``,
Jaeger ``traceID`` with ``processes``, Zipkin a top-level list of spans with ``traceId``.
"""

from __future__ import annotations

import re
from typing import Final

from slo_scout.core.errors import UnknownFormatError

FORMATS: Final = ("otlp-json", "otlp-proto", "jaeger", "zipkin", "csv")

_OTLP_KEYS: Final = re.compile(
    rb'"(?:resourceSpans|batches|scopeSpans|instrumentationLibrarySpans)"\s*:'
)
_JAEGER_KEYS: Final = re.compile(
    rb'"(?:traceID|spanID|processes|operationName)"\s*:|^\{\s*"data"\s*:'
)
_ZIPKIN_KEYS: Final = re.compile(rb'"(?:traceId|localEndpoint)"\s*:')
_PROTO_SUFFIXES: Final = (".pb", ".binpb", ".proto", ".protobuf", ".otlp")


def detect_format(head: bytes, name: str = "") -> str:
    """One of :data:`FORMATS`, or :class:`UnknownFormatError` naming the source."""
    source = name or "<input>"
    lowered = name.lower().removesuffix(".gz")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise UnknownFormatError("the input is empty", source=source)
    first = text[:1]
    if first in (b"{", b"["):
        found = _json_flavour(text)
        if found is not None:
            return found
    if lowered.endswith(_PROTO_SUFFIXES) or _looks_like_proto(head):
        return "otlp-proto"
    if lowered.endswith((".csv", ".tsv")) or _looks_like_csv(text):
        return "csv"
    raise UnknownFormatError(
        "cannot tell the format (OTLP JSON or protobuf, Jaeger JSON, Zipkin JSON, CSV)",
        source=source,
    )


def _json_flavour(text: bytes) -> str | None:
    if _OTLP_KEYS.search(text):
        return "otlp-json"
    if text[:1] == b"[":
        return "zipkin" if _ZIPKIN_KEYS.search(text) else None
    if _JAEGER_KEYS.search(text):
        return "jaeger"
    return None


def _looks_like_proto(head: bytes) -> bool:
    # A single request opens with field 1 (resource_spans) as a length-delimited field; a framed
    # file opens with a 4-byte big-endian length, then the same tag.
    if head[:1] == b"\x0a":
        return True
    return len(head) >= 5 and head[0] == 0 and head[4] == 0x0A


def _looks_like_csv(text: bytes) -> bool:
    line = text.split(b"\n", 1)[0]
    if b"\x00" in line or line.count(b",") < 3:
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
