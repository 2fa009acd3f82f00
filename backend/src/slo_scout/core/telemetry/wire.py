"""The span record format on the ``otlp.spans`` topic: one record per (trace, request) fragment.

A record carries every span of one trace that arrived in one request, so Kafka and the Flink job
handle tens of spans per record instead of one. The value is text so PyFlink's
``SimpleStringSchema`` reads it without a Python deserialiser:

    <trace id, 32 hex chars><JSON array of spans>

The key is the trace id too (Kafka partitions by it, so a trace meets one Flink subtask), and
the leading trace id lets the job key its stream by slicing, without parsing JSON. Each span is
``[span_id, parent_id, service, name, kind, start_ns, end_ns, status, error, attributes]``;
only the attributes the core keeps travel (see ``KEPT_ATTRIBUTES``).

It lives in the core because both runtimes speak it: the collectors write it and the streaming
jobs read it. A record written by one version must be read by the next (append fields, never
reorder).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry.model import SPAN_KINDS, STATUS_CODES, Span

TRACE_ID_LEN = 32


@dataclass(frozen=True, slots=True)
class Fragment:
    trace_id: str
    value: bytes
    timestamp_ms: int  # latest span end: the event time Flink's watermarks follow
    spans: int


def encode_fragments(spans: Iterable[Span]) -> list[Fragment]:
    """Groups spans by trace, in first-seen order, into one record each."""
    groups: dict[str, list[list[object]]] = {}
    ends: dict[str, int] = {}
    for s in spans:
        row: list[object] = [
            s.span_id, s.parent_id, s.service, s.name, s.kind,
            s.start_ns, s.end_ns, s.status, s.error, s.attributes,
        ]
        group = groups.get(s.trace_id)
        if group is None:
            groups[s.trace_id] = [row]
            ends[s.trace_id] = s.end_ns
        else:
            group.append(row)
            if s.end_ns > ends[s.trace_id]:
                ends[s.trace_id] = s.end_ns
    return [
        Fragment(tid, tid.encode() + orjson.dumps(rows), ends[tid] // 1_000_000, len(rows))
        for tid, rows in groups.items()
    ]


def decode_fragment(value: str | bytes, *, source: str = "otlp.spans") -> tuple[str, list[Span]]:
    """The trace id and spans of one record; raises :class:`DecodeError` naming the field."""
    raw = value.encode() if isinstance(value, str) else value
    trace_id = raw[:TRACE_ID_LEN].decode("ascii", "replace")
    try:
        rows = orjson.loads(raw[TRACE_ID_LEN:])
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"not a span fragment: {exc}", source=source, record=trace_id) from exc
    if not isinstance(rows, list):
        raise DecodeError("span list expected", source=source, record=trace_id)
    spans: list[Span] = []
    for i, row in enumerate(rows):
        try:
            sid, parent, service, name, kind, start, end, status, error, attrs = row
        except (TypeError, ValueError) as exc:
            raise DecodeError("span row has the wrong shape", source=source, record=trace_id,
                              field=f"[{i}]") from exc
        if kind not in SPAN_KINDS or status not in STATUS_CODES:
            raise DecodeError("unknown kind or status", source=source, record=trace_id,
                              field=f"[{i}]")
        spans.append(Span(trace_id, sid, parent, service, name, kind, int(start), int(end),
                          status, bool(error), attrs))
    return trace_id, spans
